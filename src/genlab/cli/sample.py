"""`genlab sample`: new examples (or latent walks) from a run, as a picture and optionally an array."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from genlab.cli.app import app, console


@app.command()
def sample(
    run: Path = typer.Argument(..., help="Run folder made by `genlab train`."),
    n: int = typer.Option(64, "-n", help="Number of samples (a conditional run without --label spreads them over one row per class)."),
    output: Path = typer.Option(Path("samples.png"), "-o", "--output", help="PNG grid to write."),
    npy: Optional[Path] = typer.Option(None, "--npy", help="Also write the samples as integer levels (N, C, H, W)."),
    seed: int = typer.Option(0, help="Sampling seed."),
    device: str = typer.Option("cpu", "--device", help="Where the model runs: cpu, cuda or cuda:N."),
    label: Optional[int] = typer.Option(None, help="Class to generate (conditional runs); omitted: one row per class."),
    temperature: Optional[float] = typer.Option(None, help="Below 1: safer, less varied samples (latent, flow, autoregressive)."),
    steps: Optional[int] = typer.Option(None, help="Denoising steps (diffusion)."),
    method: Optional[str] = typer.Option(None, help="ddim (deterministic, fewer steps) or ddpm (ancestral) (diffusion)."),
    guidance: Optional[float] = typer.Option(None, help="Classifier-free guidance weight W (conditional diffusion)."),
    interpolate: bool = typer.Option(False, "--interpolate", help="Instead of samples: walks in latent space between "
                                     "pairs of encoded test images (latent families), one row per pair."),
    between: Optional[list[str]] = typer.Option(None, "--between", help="Molecule runs (smiles-vae): walk between "
                                                "these two molecules' codes instead, e.g. --between CCO --between "
                                                "c1ccccc1 (implies --interpolate)."),
) -> None:
    """Generate new examples from a trained run (or, with --interpolate, walks between test images)."""
    from genlab import api
    from genlab.files import write_npy
    from genlab.media import save_examples

    loaded = api.load_run(run, device=device)
    if between:
        from genlab.data.molecules import encode_molecules
        from genlab.errors import UserError

        if loaded.spec.modality != "tokens" or len(between) != 2:
            raise UserError("--between takes two molecules (SMILES) of a molecule run: --between A --between B.")
        x, row = api.interpolate(loaded, encode_molecules(loaded.spec, between), seed=seed), 10
    elif interpolate:
        test = loaded.dataset().test
        pairs = max(1, n // 10)
        x, row = api.interpolate(loaded, test.x[: 2 * pairs], test.y, seed=seed), 10
    else:
        x, row = api.sample_grid(loaded, n, seed=seed, label=label, temperature=temperature, steps=steps,
                                 method=method, guidance=guidance)
    written = save_examples(loaded.spec, x, output, nrow=row) or output
    if npy is not None:
        write_npy(npy, x.astype("uint8"))
    walked = "interpolated " + ("molecules" if loaded.spec.modality == "tokens" else "images")
    console.print(f"{len(x)} {walked if interpolate or between else 'samples'} -> {written}"
                  + (f" and {npy}" if npy else ""))
