"""`genlab evaluate` and `genlab compare`: how good runs are."""

from __future__ import annotations

from pathlib import Path
import typer

from genlab.cli.app import app, console, print_sections


@app.command()
def evaluate(
    run: Path = typer.Argument(..., help="Run folder made by `genlab train`."),
    iwae: int = typer.Option(100, "--iwae", help="Importance samples for the IWAE bound (latent models; 1 = ELBO only)."),
    samples: int = typer.Option(1000, "--samples", help="Samples for quality and novelty metrics (at most the test "
                                "split's size; 0 skips them)."),
    classify: bool = typer.Option(False, "--classify", help="Also classify the test split by Bayes' rule, "
                                  "argmax_y log p(x|y) + log p(y) (class-conditional likelihood models)."),
    seed: int = typer.Option(0, help="Seed for the bound's Monte Carlo noise and the samples."),
    device: str = typer.Option("cpu", "--device", help="Where the model runs: cpu, cuda or cuda:N."),
) -> None:
    """How good and how new: test bits/dim beside PNG and WebP-lossless; accuracy (classifiers); FD, KID,
    precision/recall, density/coverage and novelty of samples against the real test split's own figures.
    Writes evaluation.json, novelty.png and report.md into the run folder."""
    from genlab import api

    loaded = api.load_run(run, device=device)
    evaluation = api.evaluate(loaded, iwae_k=iwae, seed=seed, samples=samples, classify=classify)
    print_sections(evaluation.sections())
    report = api.write_report(loaded, evaluation)
    console.print(f"wrote {loaded.folder.evaluation} and {report}")


@app.command()
def compare(
    runs: list[Path] = typer.Argument(..., help="Run folders of the same dataset."),
    out: Path = typer.Option(..., "-o", "--out", help="Folder for comparison.md, bits.png and samples.png."),
    seed: int = typer.Option(0, help="Seed for samples (and for evaluating runs that have no evaluation.json yet)."),
    device: str = typer.Option("cpu", "--device", help="Where the model runs: cpu, cuda or cuda:N."),
) -> None:
    """One table of every metric over runs (the real data's floor first), a bits/dim chart and the sample grids
    side by side. Runs without a current evaluation.json are evaluated first."""
    from genlab import api

    path = api.compare(runs, out, seed=seed, device=device)
    console.print(path.read_text(), markup=False)
    console.print(f"wrote {path}")
