"""`genlab design`: candidate molecules for a wanted property, from a smiles-vae's latent space."""

from __future__ import annotations

from pathlib import Path

import typer

from genlab.cli.app import app, console, progress_bar, seed_option
from genlab.errors import UserError


@app.command()
def design(
    run: Path = typer.Argument(..., help="A smiles-vae run folder (genlab train --model smiles-vae)."),
    objective: str = typer.Option(..., "--objective", help="What to maximise: qed (drug-likeness), logp, or "
                                  "predicted:PREDICTOR_RUN (a predictor run's predicted response)."),
    n: int = typer.Option(100, "-n", help="Candidates to write, best first."),
    output: Path = typer.Option(Path("candidates.csv"), "-o", "--output", help="CSV of the candidates (rank, SMILES, "
                                "the predicted response for predicted:RUN, QED, logP, SA, novel, round); the top "
                                "ones' picture goes beside it (.png)."),
    rounds: int = typer.Option(10, help="Rounds of Bayesian optimisation after the start."),
    batch: int = typer.Option(25, help="Codes proposed and decoded per round."),
    start: int = typer.Option(100, help="Training molecules encoded to start the search from."),
    max_sa: float = typer.Option(4.5, "--max-sa", help="Synthetic accessibility limit (SA score, 1 easy to 10 hard): "
                                 "molecules above it are not candidates."),
    seed: int = seed_option(0, "Seed of the start molecules and the proposals."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
) -> None:
    """Propose new molecules that score high on an objective, by Bayesian optimisation in a smiles-vae's latent
    space, within an SA limit; prints the best three and how the search compares with the training molecules."""
    from genlab.api import design as design_molecules
    from genlab.api import load_run

    opened = load_run(run, device=device)
    with progress_bar("design") as progress:
        result = design_molecules(opened, objective, output, n=n, rounds=rounds, batch=batch, start=start,
                                  max_sa=max_sa, seed=seed,
                                  progress=progress)
    if not result.candidates:
        raise UserError(f"No decoded molecule was valid with SA <= {max_sa:g} after {result.decoded} tries: raise "
                        "--max-sa, give more --rounds, or train the smiles-vae longer.")
    novel = sum(c.novel for c in result.candidates)
    console.print(f"{result.decoded} codes decoded: {result.valid / result.decoded:.1%} valid, "
                  f"{result.counted / result.decoded:.1%} within the SA limit; {len(result.candidates)} candidates, "
                  f"{novel / len(result.candidates):.0%} novel")
    for rank, c in enumerate(result.candidates[:3], 1):
        console.print(f"  #{rank} {objective} {c.score:.3f}  QED {c.qed:.3f}  SA {c.sa:.2f}  {c.smiles}")
    console.print(f"best encoded training molecule: {result.start_best:.3f}")
    console.print(f"-> {result.written[0]} and {result.written[1]}")
