"""`genlab compress` and `genlab decompress`: models turned into files."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from genlab.cli.app import app, console
import sys
from contextlib import contextmanager

from rich.console import Console


@contextmanager
def _coding_progress(label: str):
    """Yields progress(total) for genlab.apps.compression: a rich bar over the coder's work (images, or refinement
    steps), on stderr when it is a terminal (else silent), started once the coder knows how much there is."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)

    def start(total: int):
        if not sys.stderr.isatty():
            return lambda n: None
        task = bar.add_task(label, total=total)
        bar.start()
        return lambda n: bar.advance(task, n)

    try:
        yield start
    finally:
        bar.stop()


@app.command()
def compress(
    run: Path = typer.Argument(..., help="A pixelcnn run (lossless .glz), a codec run, or a folder of codec runs "
                               "trained at several lambdas (lossy .glc; pick one with --rate)."),
    source: Path = typer.Argument(..., help="Lossless: an image, a folder of images or a .npy (N, [C,] H, W) of the "
                                  "model's shape and levels. Lossy: one RGB image of any size."),
    output: Path = typer.Option(..., "-o", "--output", help="Compressed file to write (.glz lossless, .glc lossy)."),
    rate: Optional[float] = typer.Option(None, "--rate", help="Lossy, with a folder of codec runs: the highest-quality "
                                         "run whose file stays within this many bits/dim (else the smallest file)."),
    refine: int = typer.Option(0, "--refine", help="Lossy: optimise the latents for this image for N steps before "
                               "coding, e.g. 200: a lower rate + lambda x distortion (a smaller file, a sharper image "
                               "or both); encoding is slower (each run of a family is refined), decoding unchanged."),
) -> None:
    """Compress images with a trained model into a file of about -log2 p(x) bits (lossless) or a learned codec's
    rate (lossy). Sizes are reported in bits/dim of the real file."""
    from genlab import api

    with _coding_progress("compress") as progress:
        report = api.compress(run, source, output, rate=rate, refine=refine, progress=progress)
    extra = ""
    if report.model_bits is not None:
        extra = (f"; the model's -log2 p is {report.model_bits / report.dims:.4f} bits/dim "
                 f"(file overhead {100 * (8 * report.file_bytes / report.model_bits - 1):.2f} %)")
    if report.psnr is not None:
        extra = f"; PSNR {report.psnr:.2f} dB with {report.run.name}"
    for note in report.notes:
        console.print(f"note: {note}")
    console.print(f"{report.images} image(s) -> {output}: {report.file_bytes:,} bytes, "
                  f"{report.bits_per_dim:.4f} bits/dim{extra}; {report.seconds:.1f} s")


@app.command()
def decompress(
    run: Path = typer.Argument(..., help="The run (or folder of codec runs) that compressed the file."),
    path: Path = typer.Argument(..., help="A .glz or .glc file written by `genlab compress`."),
    output: Path = typer.Option(..., "-o", "--output", help="A new folder of PNGs, an .npy (N, C, H, W), or a .png "
                                "for a single image."),
) -> None:
    """Decode a compressed file bit-exactly (lossless) or to the codec's reconstruction (lossy). A file from
    another model, truncated or altered, is refused."""
    from genlab import api

    with _coding_progress("decompress") as progress:
        report = api.decompress(run, path, output, progress=progress)
    console.print(f"{path} -> {output}: {report.images} image(s) in {report.seconds:.1f} s")
