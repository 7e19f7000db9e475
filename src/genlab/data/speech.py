"""Speech corpora: utterances (an id, a transcript, a mono waveform) at one sample rate, and the LJSpeech folder
they are read from.

`read_ljspeech` reads a folder in the LJSpeech layout, the format most TTS corpora are shipped or converted to:
    metadata.csv    one utterance a line, `id|text|normalized text` (UTF-8, no header, no csv quoting,
                    since transcripts hold quotes; the third column is optional)
    wavs/ID.wav     its audio (or wavs/ID.flac): 16- or 24-bit PCM or float, any rate, any channels
Every file is read with soundfile, mixed down to mono by averaging its channels and resampled to `rate`
(scipy's polyphase filter, by the exact ratio rate / source rate), so a model sees one rate whatever the files
were recorded at; what was converted is said in the corpus' notes (Conversions), never printed.

Here too what every source shares: SpeechCorpus, RATE, `check_rate`, `resample`, `read_audio` and the
Conversions they note. The other sources live beside this module: espeak.py, the built-in synthetic corpus
said by espeak-ng; asterisk.py, Debian's Asterisk prompts converted into an LJSpeech folder (run by
`genlab data asterisk [OUT] [--wav]`, cli/data.py).

numpy, scipy and soundfile only: no torch here (listing or checking data must not pay for importing it).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genlab.errors import UserError

INSTALL = "pip install 'genlab[speech]'"  # the extra holding espeakng-loader and G722 (espeak.py, asterisk.py)
RATE = 22050  # LJSpeech's rate, and espeak-ng's
METADATA = "metadata.csv"
AUDIO_SUFFIXES = (".wav", ".flac")  # tried in this order for wavs/ID


@dataclass
class SpeechCorpus:
    """Utterances at one sample rate: ids, transcripts (the normalized text when the source has it),
    float32 mono waveforms in [-1, 1] at `rate` Hz, and what was done to get them there."""

    ids: list[str]
    texts: list[str]
    waves: list[np.ndarray]
    rate: int
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def seconds(self) -> float:
        """The total duration of the corpus' audio."""
        return sum(len(w) for w in self.waves) / self.rate


# --- audio ------------------------------------------------------------------------------------------------


def check_rate(rate: int) -> int:
    """`rate` as a positive int, or a UserError (a CLI or notebook may pass a NumPy integer)."""
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or rate <= 0:
        raise UserError(f"Sample rate {rate!r} is not a positive whole number of Hz: use e.g. 22050 or 16000.")
    return int(rate)


def resample(wave: np.ndarray, source: int, target: int) -> np.ndarray:
    """`wave` (1-d) from `source` Hz to `target` Hz by polyphase filtering with the exact ratio
    (up, down = target, source over their gcd): 16 kHz -> 22.05 kHz is 441 / 320, and n samples become
    ceil(n * up / down)."""
    if source == target:
        return wave
    from scipy.signal import resample_poly

    g = math.gcd(source, target)
    return resample_poly(wave, target // g, source // g).astype(np.float32)


def read_audio(path: Path) -> tuple[np.ndarray, int, int]:
    """(float32 mono samples, the file's rate, its channel count) of an audio file soundfile reads
    (WAV 16/24/32-bit PCM or float, FLAC, ...), channels averaged; a UserError naming the file otherwise."""
    import soundfile

    try:
        data, source = soundfile.read(str(path), dtype="float32", always_2d=True)  # (frames, channels)
    except (RuntimeError, OSError, ValueError) as err:  # soundfile.LibsndfileError is a RuntimeError
        reason = (getattr(err, "error_string", None) or str(err).splitlines()[0]).rstrip(".")  # not the path again
        raise UserError(f"Cannot read the audio file {path} ({reason}): re-export it as WAV or FLAC.") from None
    if data.shape[0] == 0:
        raise UserError(f"The audio file {path} holds no samples: re-export it, or drop its line from "
                        f"{METADATA}.")
    if not np.isfinite(data).all():
        raise UserError(f"The audio file {path} holds samples that are not numbers (NaN or infinity): "
                        "re-export it.")
    return data.mean(axis=1, dtype=np.float32), int(source), int(data.shape[1])


class Conversions:
    """What was done to a corpus' files, counted by kind, as notes: one per source rate and channel count."""

    def __init__(self, rate: int, noun: str = "file"):
        self.rate, self.noun = rate, noun
        self.rates: Counter[int] = Counter()
        self.channels: Counter[int] = Counter()
        self.clipped = 0

    def to_rate(self, wave: np.ndarray, source: int, channels: int) -> np.ndarray:
        """`wave` (already mono, from `channels` channels) at the corpus' rate, within [-1, 1]."""
        if channels > 1:
            self.channels[channels] += 1
        if source != self.rate:
            self.rates[source] += 1
            wave = resample(wave, source, self.rate)
        if wave.size and np.abs(wave).max() > 1:
            self.clipped += 1
            wave = np.clip(wave, -1, 1)
        return np.ascontiguousarray(wave, dtype=np.float32)

    def notes(self) -> list[str]:
        def files(n: int) -> str:
            return f"{n} {self.noun}{'s' if n != 1 else ''}"

        notes = [f"resampled {files(n)} from {source} Hz to {self.rate} Hz" for source, n in sorted(self.rates.items())]
        notes += [f"mixed {files(n)} of {c} channels down to mono" for c, n in sorted(self.channels.items())]
        if self.clipped:
            notes.append(f"clipped {files(self.clipped)} to [-1, 1] (beyond full scale as stored, or after "
                         "resampling)")
        return notes


# --- LJSpeech folders -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetadataLine:
    """One utterance of a metadata.csv: its line number (1-based, for messages), id and chosen text."""

    number: int
    id: str
    text: str


def read_metadata(path: Path) -> list[MetadataLine]:
    """The utterances of an LJSpeech metadata.csv: `id|text|normalized text` per line, the normalized text
    chosen when present and non-empty; blank lines are skipped, every other mistake is a UserError naming
    the file and the line."""
    try:
        content = path.read_bytes().decode("utf-8-sig")  # a BOM, as some editors write, is not part of the id
    except UnicodeDecodeError as err:
        raise UserError(f"{path} is not UTF-8 text (byte {err.start}): save it as UTF-8.") from None
    lines, seen = [], {}
    for number, raw in enumerate(content.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        fields = line.split("|")
        if len(fields) == 1:
            raise UserError(f"Line {number} of {path} has no '|': write it as id|text|normalized text.")
        if len(fields) > 3:
            raise UserError(f"Line {number} of {path} has {len(fields)} fields separated by '|', not 2 or 3: "
                            "write it as id|text|normalized text, with no '|' inside the text.")
        uid = fields[0].strip()
        if not uid:
            raise UserError(f"Line {number} of {path} has no id before its '|': write it as id|text|normalized "
                            "text, the id naming wavs/ID.wav.")
        if uid in seen:
            raise UserError(f"The id {uid} is on lines {seen[uid]} and {number} of {path}: give every utterance "
                            "its own id.")
        seen[uid] = number
        normalized = fields[2].strip() if len(fields) == 3 else ""
        text = normalized or fields[1].strip()
        if not text:
            raise UserError(f"Utterance {uid} (line {number} of {path}) has an empty text: write its transcript, "
                            "or drop the line.")
        lines.append(MetadataLine(number, uid, text))
    if not lines:
        raise UserError(f"{path} holds no utterances: write one line id|text|normalized text per audio file.")
    return lines


def audio_file(folder: Path, uid: str) -> Path:
    """wavs/ID.wav or wavs/ID.flac of an LJSpeech folder, or a UserError naming the id and the path expected."""
    for suffix in AUDIO_SUFFIXES:
        path = folder / "wavs" / f"{uid}{suffix}"
        if path.is_file():
            return path
    raise UserError(f"Utterance {uid} of {folder / METADATA} has no audio file: put it at "
                    f"{folder / 'wavs' / uid}.wav (or .flac), or drop its line.")


def holds_recordings(folder: Path) -> bool:
    """Whether `folder` holds audio files (.wav, .flac), loose or in wavs/: meant as speech, whatever it lacks."""
    places = [place for place in (folder, folder / "wavs") if place.is_dir()]
    return any(path.suffix.lower() in AUDIO_SUFFIXES for place in places for path in place.iterdir())


def read_ljspeech(folder: Path | str, rate: int = RATE) -> SpeechCorpus:
    """Every utterance of an LJSpeech folder (metadata.csv, wavs/), in metadata order, as mono float32 at
    `rate` Hz; files at other rates are resampled and multi-channel files averaged, each said once in the
    notes."""
    rate = check_rate(rate)
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"No folder at {folder}: give the path of an LJSpeech folder (metadata.csv and wavs/).")
    metadata = folder / METADATA
    if not metadata.is_file():
        raise UserError(f"{folder} has no {METADATA}: an LJSpeech folder holds {METADATA} (lines id|text|normalized "
                        "text) and wavs/ID.wav.")
    lines = read_metadata(metadata)
    paths = [audio_file(folder, line.id) for line in lines]  # every missing file before any decoding
    conversions, waves = Conversions(rate), []
    for path in paths:
        waves.append(conversions.to_rate(*read_audio(path)))
    return SpeechCorpus([line.id for line in lines], [line.text for line in lines], waves, rate,
                        conversions.notes())
