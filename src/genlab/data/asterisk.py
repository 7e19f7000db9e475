"""Debian's Asterisk English prompts (568 telephone prompts by one speaker, with a transcript file) converted
into an LJSpeech folder (speech.py reads it), from one of two packages of the same recordings:
`asterisk-core-sounds-en-g722` (16 kHz wideband G.722 at 64 kbit/s, decoded by the `G722` wheel; the default)
or `asterisk-core-sounds-en-wav` (8 kHz PCM: nothing above 4 kHz). The 16 kHz prompts are the better ones: on
150 of them the offline recogniser (metrics/recognition.py) misses 35.5 % of the words of the G.722 files and
72.0 % of the WAVs' (`genlab bench speech`, the same prompts from both), and the 8 kHz files leave the 18 of 80
mel bands centred above 4 kHz empty. `make speech-data` installs the package and runs
`genlab data asterisk [OUT] [--wav]` (cli/data.py), which writes cache_root()/speech/asterisk by default.

numpy and soundfile (and G722 for .g722) only: no torch here (listing or checking data must not pay for
importing it).
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genlab.errors import UserError

from .speech import INSTALL, METADATA

ASTERISK_PACKAGES = {".g722": "asterisk-core-sounds-en-g722", ".wav": "asterisk-core-sounds-en-wav"}
ASTERISK_PACKAGE = ASTERISK_PACKAGES[".g722"]  # the default: wideband, 16 kHz
G722_RATE, G722_BITS = 16_000, 64_000  # how Asterisk's .g722 prompts are coded (G.722's 64 kbit/s mode)
ASTERISK_SOUNDS = Path("/usr/share/asterisk/sounds/en_US_f_Allison")  # what the sounds/en alternative points at
ASTERISK_TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
ASTERISK_MARKER = ".genlab-asterisk"  # in a folder this converter wrote, which it may therefore replace
# Transcript parts nobody says: [@] after "at", (note: ...), <beep ascending>, (10 seconds of silence).
ANNOTATION = re.compile(r"\[[^\]]*\]|\([^)]*\)|<[^>]*>")
KEYPAD_WORDS = {"*": "star", "#": "pound"}  # what a telephone prompt says for the keys


@dataclass
class Conversion:
    """What `asterisk_to_ljspeech` wrote: the folder, the prompts in it and their length, the source rates,
    and the prompts left out, counted by reason."""

    folder: Path
    prompts: int
    seconds: float
    rates: tuple[int, ...]
    skipped: dict[str, int]
    unused_transcripts: int  # transcript lines naming no audio file

    def summary(self) -> str:
        """One line for the person who ran the conversion."""
        skipped = ", ".join(f"{n} {reason}" for reason, n in self.skipped.items() if n) or "none"
        rates = " and ".join(f"{r} Hz" for r in self.rates)
        unused = self.unused_transcripts
        return (f"Wrote {self.prompts} prompts ({self.seconds / 60:.1f} minutes at {rates}) to {self.folder}; "
                f"skipped {skipped}; {unused} transcript{' names' if unused == 1 else 's name'} no audio file.")


def read_transcripts(path: Path) -> dict[str, str]:
    """The prompts' transcripts: `name: text` lines (name = the path under the sounds folder, without .wav),
    `;` comments and blank lines skipped; the file may be gzipped, as Debian ships it."""
    if not path.is_file():
        raise UserError(f"No transcript file at {path}: install Debian's {ASTERISK_PACKAGE} (make speech-data), or "
                        "pass the path of its core-sounds-en.txt(.gz).")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            content = f.read()
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise UserError(f"Cannot read the transcript file {path} ({err}): reinstall {ASTERISK_PACKAGE}.") from None
    transcripts = {}
    for number, line in enumerate(content.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        name, colon, text = line.partition(":")
        if not colon or not name.strip():
            raise UserError(f"Line {number} of {path} is not 'name: transcript': fix or remove it.")
        transcripts[name.strip()] = text.strip()
    return transcripts


def spoken_text(transcript: str) -> tuple[str, str]:
    """(the words said, the same with the keypad's * and # as words) of a transcript, its annotations
    removed; ("", "") when nothing in it is said (a tone, a beep, silence)."""
    text = re.sub(r"\s+", " ", ANNOTATION.sub(" ", transcript).replace("|", " ")).strip()
    normalized = re.sub(r"(?<!\S)[*#](?=[\s.,;:!?]|$)", lambda m: KEYPAD_WORDS[m.group(0)], text)
    return text, normalized


def _prompt_id(relative: Path) -> str:
    """digits/1.wav -> digits_1: the relative path without its suffix, folders joined by '_'."""
    return relative.with_suffix("").as_posix().replace("/", "_")


def _output_folder(out: Path) -> None:
    """Refuse to replace a folder this converter did not write (so a typo never deletes someone's data)."""
    if out.exists() and not (out / ASTERISK_MARKER).is_file() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"{out} already exists and was not written by this converter: choose another folder, or "
                        "remove it first.")


def _decode_g722(source: Path) -> tuple[np.ndarray, int]:
    """The int16 samples of a headerless G.722 file (Asterisk's .g722) and their rate, 16 kHz."""
    if importlib.util.find_spec("G722") is None:
        raise UserError(f"Decoding {source} needs the G722 package, which is not installed: {INSTALL} (or convert "
                        "the 8 kHz WAVs: genlab data asterisk --wav).")
    from G722 import G722

    return np.asarray(G722(G722_RATE, G722_BITS).decode(source.read_bytes()), np.int16), G722_RATE


def _read_prompt_pcm(source: Path) -> tuple[np.ndarray, int]:
    """An Asterisk prompt file (a sound file, or G.722 for .g722) as int16 samples and their rate; a
    UserError naming the file and the package to reinstall when it cannot be read."""
    import soundfile

    try:
        if source.suffix.lower() == ".g722":
            return _decode_g722(source)
        return soundfile.read(str(source), dtype="int16")
    except (RuntimeError, OSError, ValueError) as err:
        reason = (getattr(err, "error_string", None) or str(err).splitlines()[0]).rstrip(".")
        raise UserError(f"Cannot read the prompt {source} ({reason}): reinstall "
                        f"{ASTERISK_PACKAGES.get(source.suffix.lower(), ASTERISK_PACKAGE)}.") from None


def _copy_wave(source: Path, target: Path) -> tuple[float, int]:
    """`source` re-written as 16-bit PCM WAV at `target` (same rate and channels); (its seconds, its rate)."""
    import soundfile

    data, rate = _read_prompt_pcm(source)
    soundfile.write(str(target), data, rate, subtype="PCM_16", format="WAV")
    return len(data) / rate, rate


def asterisk_versions(sounds: Path = ASTERISK_SOUNDS) -> dict[str, tuple[Path, Path]]:
    """Prompt id (as in the converted folder) -> (its 8 kHz .wav, its 16 kHz .g722), for every prompt both
    Debian packages installed under `sounds` (empty unless both are)."""
    if not sounds.is_dir():
        return {}
    return {_prompt_id(p.relative_to(sounds)): (p, p.with_suffix(".g722")) for p in sorted(sounds.rglob("*.wav"))
            if p.with_suffix(".g722").is_file()}


def read_prompt(path: Path) -> tuple[np.ndarray, int]:
    """One Asterisk prompt file (.wav or .g722) as float samples in [-1, 1] and its rate."""
    samples, rate = _read_prompt_pcm(path)
    return samples.astype(np.float64) / 32768.0, rate


def _replace(staging: Path, out: Path) -> None:
    """Rename the finished `staging` folder to `out`, an earlier conversion there moved aside first and then
    deleted, so `out` is always either the old folder or the new one."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old."))
        os.replace(out, old / out.name)
    os.replace(staging, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def asterisk_to_ljspeech(out_folder: Path | str, sounds: Path | str = ASTERISK_SOUNDS,
                         transcripts: Path | str = ASTERISK_TRANSCRIPTS, suffix: str = ".g722") -> Conversion:
    """Debian's Asterisk English prompts (`sounds`, every `suffix` file under it: .g722 or .wav, and their
    `transcripts`) as an LJSpeech folder: metadata.csv lines `id|text|normalized text` (id: the relative
    path, '/' as '_'; the normalized text says the keypad's * and # as words) and wavs/ID.wav as 16-bit
    PCM. Prompts with no
    transcript, an empty one or one that says nothing (a beep, silence) are skipped and counted. Written
    whole or not at all: built beside `out_folder` and renamed into place, replacing an earlier conversion."""
    out, sounds, package = Path(out_folder), Path(sounds), ASTERISK_PACKAGES[suffix]
    if not sounds.is_dir():
        raise UserError(f"No prompts folder at {sounds}: install Debian's {package} (make speech-data), "
                        f"or pass the folder holding its {suffix} files.")
    text_of = read_transcripts(Path(transcripts))
    _output_folder(out)
    files = sorted(p.relative_to(sounds) for p in sounds.rglob("*") if p.suffix.lower() == suffix and p.is_file())
    if not files:
        raise UserError(f"{sounds} holds no {suffix} files: install Debian's {package} (make speech-data), or pass "
                        "the folder of its prompts.")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    mask = os.umask(0)
    os.umask(mask)
    staging.chmod(0o777 & ~mask)  # mkdtemp makes it 0700: give it the mode mkdir would
    try:
        conversion = _convert(files, sounds, text_of, staging)
        (staging / ASTERISK_MARKER).write_text(f"{sounds}\n{transcripts}\n")
        _replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    conversion.folder = out
    return conversion


def _convert(files: Sequence[Path], sounds: Path, text_of: dict[str, str], folder: Path) -> Conversion:
    """Write metadata.csv and wavs/ into `folder` for the prompts (paths relative to `sounds`) that say
    something."""
    (folder / "wavs").mkdir()
    skipped = {"without a transcript": 0, "with an empty transcript": 0, "that say nothing (tones, silence)": 0}
    lines, seconds, rates, ids = [], 0.0, set(), {}
    for relative in files:
        name, uid = relative.with_suffix("").as_posix(), _prompt_id(relative)
        if name not in text_of:
            skipped["without a transcript"] += 1
            continue
        text, normalized = spoken_text(text_of[name])
        if not text:
            skipped["with an empty transcript" if not text_of[name] else "that say nothing (tones, silence)"] += 1
            continue
        if uid in ids:
            raise UserError(f"The prompts {ids[uid]} and {relative} both become the id {uid}: rename one of them.")
        ids[uid] = relative
        length, rate = _copy_wave(sounds / relative, folder / "wavs" / f"{uid}.wav")
        seconds, rates = seconds + length, rates | {rate}
        lines.append(f"{uid}|{text}|{normalized}\n")
    (folder / METADATA).write_text("".join(lines), encoding="utf-8")
    unused = len(set(text_of) - {p.with_suffix("").as_posix() for p in files})
    return Conversion(folder, len(lines), seconds, tuple(sorted(rates)), skipped, unused)
