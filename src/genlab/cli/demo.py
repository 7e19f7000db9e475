"""`genlab demo`: the whole process on built-in digits in about a minute."""

from __future__ import annotations

from pathlib import Path

import typer

from genlab.cli.app import app, console


@app.command()
def demo(out: Path = typer.Option(Path("runs/demo"), "--out", help="Run folder for the demo (replaced if a demo made it).")) -> None:
    """The whole process on built-in digits in about a minute: train a VAE, sample, evaluate, write a report."""
    from genlab.api import run_demo

    report = run_demo(out, progress=console.print)
    console.print(f"[bold green]report:[/] {report}")
