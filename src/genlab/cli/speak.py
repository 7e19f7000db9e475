"""`genlab speak`: a text-to-speech run says a sentence (or every line of a file) into WAV files."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from genlab.cli.app import app, console, progress_bar, seed_option
from genlab.errors import UserError


@app.command()
def speak(
    run: Path = typer.Argument(..., help="A tts run folder (genlab train --model tts)."),
    text: Optional[str] = typer.Argument(None, help="What to say (quote it). Or use --text-file."),
    output: Path = typer.Option(..., "-o", "--output", help="WAV file for one text; a folder (001.wav, ...) for "
                                "--text-file."),
    text_file: Optional[Path] = typer.Option(None, "--text-file", help="A UTF-8 file: each non-empty line is said "
                                             "into its own WAV file."),
    vocoder: Optional[Path] = typer.Option(None, "--vocoder", help="A vocoder run (genlab train --model vocoder); "
                                           "default: the one the tts run names, else Griffin-Lim."),
    speed: float = typer.Option(1.0, help="Speaking rate: 1 the voice's own, 1.5 faster, 0.8 slower."),
    seed: int = seed_option(0, "Seed (Griffin-Lim's starting phases)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
) -> None:
    """Say text with a trained voice: the tts run's mel spectrogram through its vocoder (or Griffin-Lim), written
    as 16-bit WAV at the run's sample rate."""
    if (text is None) == (text_file is None):
        raise UserError("Give the text to say, or --text-file FILE, but not both: genlab speak RUN \"Hello.\" -o hi.wav")
    if text_file is not None:
        if not text_file.is_file():
            raise UserError(f"--text-file {text_file} does not exist: give a UTF-8 file with one sentence a line.")
        texts = [line for line in text_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        if not texts:
            raise UserError(f"--text-file {text_file} has no text: write one sentence a line.")
    else:
        texts = [text]
    from genlab.api import load_run
    from genlab.api import speak as say

    opened = load_run(run, device=device)
    with progress_bar("speak") as progress:
        spoken = say(opened, texts, output, vocoder=vocoder, speed=speed, seed=seed,
                     progress=progress)
    where = spoken.written[0] if len(spoken.written) == 1 else f"{len(spoken.written)} files in {output}"
    console.print(f"{spoken.seconds:.1f} s of speech ({spoken.vocoder}, real-time factor "
                  f"{spoken.real_time_factor:.2f}) -> {where}")
