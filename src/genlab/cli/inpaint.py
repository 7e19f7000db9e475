"""`genlab inpaint`: fill the masked part of an image with a diffusion or pixelcnn run."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from genlab.cli.app import app, console, progress_bar, seed_option


@app.command()
def inpaint(
    run: Path = typer.Argument(..., help="A diffusion or pixelcnn run folder."),
    image: Path = typer.Argument(..., help="The image to complete (PNG, JPEG, ...), of the run's size and channels."),
    output: Path = typer.Option(..., "-o", "--output", help="OUT.png: the first completion at the image's size; "
                                "OUT-2.png ... the others; OUT-overview.png the image with its hole beside them."),
    mask: Optional[Path] = typer.Option(None, "--mask", help="A grey image of the same size: white where to fill."),
    below: Optional[int] = typer.Option(None, "--below", help="Instead of --mask: fill every row from ROW down "
                                        "(pixelcnn completes such a region exactly in its own order)."),
    n: int = typer.Option(4, "-n", help="Completions to draw."),
    seed: int = seed_option(0, "Seed of the completions."),
    steps: Optional[int] = typer.Option(None, help="Denoising steps (diffusion; default the run's sample_steps)."),
    resample: Optional[int] = typer.Option(None, help="RePaint's tries per step (diffusion; default 5): more "
                                           "agree better with the known pixels and cost as many times the time."),
    temperature: Optional[float] = typer.Option(None, help="Below 1: safer, less varied completions."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
) -> None:
    """Fill the masked pixels of an image anew, several times: diffusion by RePaint (the known pixels noised
    to every step, resampled so the fill agrees with them), pixelcnn pixel by pixel in raster order. Every
    pixel outside the mask is kept exactly."""
    from genlab.api import inpaint as inpaint_image
    from genlab.api import load_run

    opened = load_run(run, device=device)
    with progress_bar("inpaint") as progress:
        result = inpaint_image(opened, image, output, mask=mask, below=below, n=n, seed=seed, progress=progress,
                               steps=steps, resample=resample, temperature=temperature)
    for note in result.notes:
        console.print(f"note: {note}")
    console.print(f"{n} completion{'s' if n > 1 else ''} -> {', '.join(str(p) for p in result.written)}")
