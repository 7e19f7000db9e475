"""`genlab upscale`: a super-resolution run applied to images of any size."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from genlab.cli.app import app, console


@app.command()
def upscale(
    run: Path = typer.Argument(..., help="An srresnet or srgan run folder."),
    source: Path = typer.Argument(..., help="An image (grey, RGB or RGBA; 8- or 16-bit) or a folder of images."),
    output: Path = typer.Option(..., "-o", "--output", help="Image to write, or a folder for a folder of images "
                                "(NAME-x4.png each; 16-bit colour as .tif)."),
    compare: bool = typer.Option(False, "--compare", help="Also write the bicubic upscaling beside each output "
                                 "(NAME-bicubic.png), to see what the model adds."),
    tile: int = typer.Option(256, "--tile", help="Largest low-resolution tile side in pixels; tiles overlap by at "
                             "least 16 and are blended, so memory stays bounded whatever the image size (about 1 GB "
                             "at 256 for the 16-block model)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
) -> None:
    """Upscale images x4 (or the run's scale) with a trained super-resolution model, in overlapping tiles."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from genlab.api import load_run, upscale as upscale_images

    bar = Progress(TextColumn("[bold]upscale {task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True,
                   disable=not sys.stderr.isatty())
    tasks: dict[str, int] = {}

    def progress(name: str, done: int, total: int) -> None:
        if name not in tasks:
            tasks[name] = bar.add_task(name, total=total)
        bar.update(tasks[name], completed=done)

    opened = load_run(run, device=device)
    with bar:
        result = upscale_images(opened, source, output, compare=compare, tile=tile, progress=progress)
    for note in result.notes:
        console.print(f"note: {note}")
    for path in result.written:
        console.print(f"wrote {path}")
