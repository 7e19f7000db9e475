"""`genlab traverse`: what each latent of a run controls, as a picture."""

from __future__ import annotations

from pathlib import Path

import typer

from genlab.cli.app import app, console, seed_option


@app.command()
def traverse(
    run: Path = typer.Argument(..., help="A run with a latent space (vae, tcvae, factorvae, ...)."),
    output: Path = typer.Option(Path("traverse.png"), "-o", "--output", help="The PNG to write."),
    images: int = typer.Option(3, "--images", help="Test images whose codes are traversed, side by side."),
    steps: int = typer.Option(9, "--steps", help="Values per sweep."),
    span: float = typer.Option(2.0, "--span", help="Each latent is set to values from -SPAN to +SPAN (prior units)."),
    seed: int = seed_option(0, "Seed for which test images are shown."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
) -> None:
    """One row per latent, sorted by its mean KL to the prior over the test split (the latents a model
    uses come first, the unused ones, KL near 0, last), each row setting that latent to values from -SPAN
    to +SPAN in a test image's code while the others stay: a disentangled model shows one factor per row."""
    from genlab.api import load_run, write_traversal

    opened = load_run(run, device=device)
    path = write_traversal(opened, output, images=images, steps=steps, span=span, seed=seed)
    console.print(f"wrote {path}")
