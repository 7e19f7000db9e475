"""`genlab datasets`: what data is built in; `genlab data asterisk`: turn the recordings a Debian package
installed into a corpus genlab reads (`make speech-data` runs it)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from genlab.cli.app import app, console

data_app = typer.Typer(help="Prepare data genlab reads from what a system package installed.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@app.command()
def datasets() -> None:
    """List the built-in datasets: shape, levels, labels and size."""
    from genlab.data import BUILTINS

    table = Table(title="Built-in datasets (or pass a folder of images, a .npy or a .npz)")
    for col in ("name", "shape", "levels", "classes", "examples"):
        table.add_column(col, no_wrap=True)
    table.add_column("about")
    for entry in BUILTINS.values():
        table.add_row(entry.spec.name, "x".join(map(str, entry.spec.shape)), str(entry.spec.levels),
                      str(entry.spec.num_classes or "-"), str(entry.size), entry.description)
    console.print(table)


@data_app.command()
def asterisk(
    out: Optional[Path] = typer.Argument(None, help="The LJSpeech folder to write (replacing an earlier conversion "
                                         "there); default: $GENLAB_CACHE (else ~/.cache/genlab)/speech/asterisk, "
                                         "where the asterisk built-in reads it."),
    wav: bool = typer.Option(False, "--wav", help="Convert the 8 kHz WAVs (asterisk-core-sounds-en-wav) instead of "
                             "the 16 kHz G.722 prompts (asterisk-core-sounds-en-g722)."),
) -> None:
    """Convert Debian's Asterisk English prompts (one speaker, transcribed) into an LJSpeech folder: metadata.csv
    and wavs/ID.wav, the prompts that say nothing left out; says what was written."""
    from genlab.data.asterisk import asterisk_to_ljspeech
    from genlab.files import cache_root

    conversion = asterisk_to_ljspeech(out if out is not None else cache_root() / "speech" / "asterisk",
                                      suffix=".wav" if wav else ".g722")
    typer.echo(conversion.summary())  # one plain line: the console would wrap it at the terminal's width
