"""`genlab speak`: a text-to-speech run says the user's text, written as WAV files.

The text goes through the run's own front end (the normaliser, then phonemes or characters, and the
symbol set it trained on); a text is said piece by piece (`data.text.speech_pieces`: sentences, a long
sentence cut at its clauses, a long clause between words; a pause of PAUSE seconds between pieces), so no
piece is longer than what the model trained on, and memory stays bounded whatever the text's length (one
5,000-word sentence said whole was killed at 20 GB). The run's mel spectrogram becomes a waveform through a
vocoder run (`vocoder`, or the one the tts run names in model.vocoder) or, without one, Griffin-Lim. Every text is checked before anything is written, and each file is written whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genlab.data.text import Symbols, speech_pieces, to_symbols
from genlab.errors import UserError
from genlab.files import atomic_write, output_path
from genlab.media.audio import wav_bytes
from genlab.models.loading import Run, load_named_run
from genlab.sampling import speech

PAUSE = 0.2  # seconds of silence between pieces (sentences or clauses)
SPEEDS = (0.25, 4.0)


@dataclass
class Spoken:
    written: list[Path]
    seconds: float  # of audio written
    synthesis_seconds: float  # wall time of the model and the vocoder
    vocoder: str  # "griffin-lim" or the vocoder run's folder
    first_mel: np.ndarray | None = None  # the first piece's log-mel (M, Y), what the model drew before the vocoder
    notes: list[str] = field(default_factory=list)

    @property
    def real_time_factor(self) -> float:
        """Synthesis time over the audio's duration: below 1 is faster than real time."""
        return self.synthesis_seconds / max(self.seconds, 1e-9)


def _symbol_ids(run: Run, text: str) -> list[list[int]]:
    """Each piece of `text` (speech_pieces) as the run's symbol ids; a UserError for empty text or nothing sayable."""
    if not text.strip():
        raise UserError("The text is empty: give a sentence to say, e.g. genlab speak RUN \"Hello there.\"")
    symbols = Symbols(run.spec.extra("text").vocabulary)
    out = []
    for string in to_symbols(speech_pieces(text), run.spec.tokenizer or "phonemes"):
        ids, _ = symbols.encode(string)
        if ids:
            out.append(ids)
    if not out:
        raise UserError(f"Nothing in {text[:40]!r} is a sound this run learnt: write English words.")
    return out


def _vocoder(run: Run, path: str | Path | None) -> Run | None:
    """The vocoder run to use (explicit, else the tts run's model.vocoder), checked; None for Griffin-Lim."""
    path = path or getattr(run.model.config, "vocoder", None)
    if path is None:
        return None
    vocoder = load_named_run("--vocoder", path, "train one with genlab train --model vocoder on the same recordings",
                             device=str(run.device))
    if not vocoder.model.can_vocode:
        raise UserError(f"--vocoder {path} is a {vocoder.model.name} run, not a vocoder: train one with genlab train "
                        "--model vocoder on the same recordings.")
    if vocoder.spec.rate != run.spec.rate:
        raise UserError(f"--vocoder {path} makes {vocoder.spec.rate} Hz audio and {run.folder.path} speaks at "
                        f"{run.spec.rate} Hz: train the vocoder on recordings at the same rate.")
    return vocoder


def synthesise(run: Run, piece_ids: Sequence[list[int]], *, vocoder: Run | None = None, speed: float = 1.0,
               seed: int = 0, progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """(the waveform (S,) float32 of pieces given as symbol ids, PAUSE seconds apart; each piece's log-mel
    (M, Y)), one piece synthesised at a time, so memory follows the longest piece, not the text. `seed`:
    Griffin-Lim's starting phases."""
    pause = np.zeros(int(PAUSE * run.spec.rate), np.float32)
    pieces, mels = [], []
    for i, ids in enumerate(piece_ids):
        wave, mel = speech(run.model, ids, None if vocoder is None else vocoder.model, speed=speed, seed=seed)
        pieces += [wave, pause]
        mels.append(mel)
        if progress is not None:
            progress(i + 1, len(piece_ids))
    return np.concatenate(pieces[:-1]), mels


def speak(run: Run, texts: Sequence[str], output: Path | str, *, vocoder: str | Path | None = None,
          speed: float = 1.0, seed: int = 0, progress: Callable[[int, int], None] | None = None) -> Spoken:
    """Say each text: one text to `output` (.wav), several to output/001.wav, 002.wav, ... (a folder)."""
    output = Path(output)
    if not run.model.can_speak:
        raise UserError(f"{run.folder.path} is a {run.model.name} run, which does not speak: train one with genlab "
                        "train --model tts --data espeak (or your recordings).")
    if not SPEEDS[0] <= speed <= SPEEDS[1]:
        raise UserError(f"--speed {speed:g} is outside {SPEEDS[0]:g}-{SPEEDS[1]:g}: 1 is the voice's own pace.")
    if len(texts) == 1:
        output = output_path(output, (".wav",), "one text's speech")
    if len(texts) > 1 and output.suffix:
        raise UserError(f"-o {output}: several texts go into a folder (001.wav, 002.wav, ...); give a folder path.")
    ids = [_symbol_ids(run, text) for text in texts]  # every text checked before anything is written
    chosen = _vocoder(run, vocoder)
    paths = [output] if len(texts) == 1 else [output / f"{i:03d}.wav" for i in range(1, len(texts) + 1)]
    total = sum(len(s) for s in ids)
    done, seconds, started = 0, 0.0, time.perf_counter()
    waves, first_mel = [], None
    for piece_ids in ids:
        wave, mels = synthesise(run, piece_ids, vocoder=chosen, speed=speed, seed=seed,
                          progress=None if progress is None else lambda k, _, base=done: progress(base + k, total))
        done += len(piece_ids)
        waves.append(wave)
        first_mel = mels[0] if first_mel is None else first_mel
        seconds += len(wave) / run.spec.rate
    elapsed = time.perf_counter() - started
    for path, wave in zip(paths, waves):
        atomic_write(path, wav_bytes(wave, run.spec.rate))
    return Spoken(paths, seconds, elapsed, "griffin-lim" if chosen is None else str(chosen.folder.path), first_mel)
