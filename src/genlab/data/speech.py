"""Speech corpora: utterances (an id, a transcript, a mono waveform) at one sample rate, from three sources.

1. `read_ljspeech`: a folder in the LJSpeech layout, the format most TTS corpora are shipped or converted to:
       metadata.csv    one utterance a line, `id|text|normalized text` (UTF-8, no header, no csv quoting,
                       since transcripts hold quotes; the third column is optional)
       wavs/ID.wav     its audio (or wavs/ID.flac): 16- or 24-bit PCM or float, any rate, any channels
   Every file is read with soundfile, mixed down to mono by averaging its channels and resampled to `rate`
   (scipy's polyphase filter, by the exact ratio rate / source rate), so a model sees one rate whatever
   the files were recorded at; what was converted is said in the corpus' notes, never printed.
2. `espeak_corpus`: a built-in synthetic corpus needing no download: fixed English sentences spoken by
   espeak-ng (the `espeakng-loader` wheel's library, through ctypes), deterministic, for tests and demos.
3. `asterisk_to_ljspeech`: Debian's Asterisk English prompts (568 telephone prompts by one speaker, with a
   transcript file) converted into an LJSpeech folder, from one of two packages of the same recordings:
   `asterisk-core-sounds-en-g722` (16 kHz wideband G.722 at 64 kbit/s, decoded by the `G722` wheel; the
   default) or `asterisk-core-sounds-en-wav` (8 kHz PCM: nothing above 4 kHz). The 16 kHz prompts are the
   better ones: on 150 of them the offline recogniser (metrics/recognition.py) misses 35.5 % of the words of
   the G.722 files and 72.0 % of the WAVs' (`genlab bench speech`, the same prompts from both), and the
   8 kHz files leave the 18 of 80 mel bands centred above 4 kHz empty. `make speech-data` installs the
   package and runs `python -m genlab.data.speech [OUT] [--wav]`, which writes cache_root()/speech/asterisk
   by default.

numpy, scipy and soundfile only: no torch here (listing or checking data must not pay for importing it).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genlab.errors import UserError
from genlab.files import cache_root

INSTALL = "pip install 'genlab[speech]'"
RATE = 22050  # LJSpeech's rate, and espeak-ng's
METADATA = "metadata.csv"
AUDIO_SUFFIXES = (".wav", ".flac")  # tried in this order for wavs/ID
ESPEAK_VOICE = "en-us"

# Short, varied English for the built-in corpus: numbers, times, money, dates, abbreviations, questions,
# exclamations, quotes and lists, 4 to 12 words each, so every front-end rule is heard at least once.
SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Where did you put the keys this morning?",
    "Please call me back before 5 tomorrow.",
    "It costs $12.50, not $15.",
    "She was born on May 3rd, 1994.",
    "Turn left, then right, then left again.",
    "How many apples are left in the basket?",
    "Wow! That was the loudest thunder I have ever heard.",
    "The train leaves at 7:30 sharp.",
    "Forty-two is the answer; what was the question?",
    "Mr. Smith lives at 221 Baker Street.",
    "Can you hear me now?",
    "We need 3 eggs, 2 cups of flour, and milk.",
    "The meeting has been moved to Thursday afternoon.",
    "Do not open the door until the light turns green.",
    "About 70% of the Earth is covered by water.",
    "Why is the sky blue during the day?",
    "He whispered: \"Keep this a secret.\"",
    "Our flight was delayed by 2 hours and 15 minutes.",
    "Seven swans swam silently across the shimmering lake.",
    "Is this seat taken, or may I sit here?",
    "The recipe serves 4 to 6 people.",
    "Yesterday it rained; today the sun is shining.",
    "Please read chapter 11 before Monday's class.",
    "Nobody expected the small team to win the final.",
    "What time does the library close on Sundays?",
    "The temperature dropped to minus 5 degrees overnight.",
    "I'd like a cup of tea, please.",
    "Bright red kites danced above the windy hill.",
    "In 2008, the old bridge was finally rebuilt.",
    "Are you sure you locked the back door?",
    "One, two, three, four: everybody clap your hands!",
    "The museum opens at 10 and closes at 6.",
    "Careful, the floor is still wet.",
    "Which of these 3 roads leads to the river?",
    "My grandmother planted 12 rose bushes last spring.",
    "Dr. Jones will see you in a few minutes.",
    "The children laughed as the puppy chased its tail.",
    "Have you ever seen the northern lights?",
    "Thank you for waiting; your call is important to us.",
)


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


def _check_rate(rate: int) -> int:
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


class _Conversions:
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
    rate = _check_rate(rate)
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"No folder at {folder}: give the path of an LJSpeech folder (metadata.csv and wavs/).")
    metadata = folder / METADATA
    if not metadata.is_file():
        raise UserError(f"{folder} has no {METADATA}: an LJSpeech folder holds {METADATA} (lines id|text|normalized "
                        "text) and wavs/ID.wav.")
    lines = read_metadata(metadata)
    paths = [audio_file(folder, line.id) for line in lines]  # every missing file before any decoding
    conversions, waves = _Conversions(rate), []
    for path in paths:
        waves.append(conversions.to_rate(*read_audio(path)))
    return SpeechCorpus([line.id for line in lines], [line.text for line in lines], waves, rate,
                        conversions.notes())


# --- espeak-ng --------------------------------------------------------------------------------------------

# The synthesis runs in a fresh Python process: espeak-ng keeps state from one utterance to the next that
# neither espeak_Terminate / espeak_Initialize nor its random seeds reset (the same sentence said twice in
# one process differs from the first sample on, and by a few samples in length), while a fresh process
# says the same sentences bit for bit. The child needs only the standard library; anything the library
# prints goes to stderr, so stdout carries only a JSON header line and the int16 samples.
_ESPEAK_WORKER = r"""
import ctypes, json, os, sys

out = os.fdopen(os.dup(1), "wb")
os.dup2(2, 1)  # the library's own messages go to stderr
library, data, voice = sys.argv[1:4]
sentences = json.loads(sys.stdin.buffer.read().decode("utf-8"))
lib = ctypes.CDLL(library)
# speak_lib.h: int espeak_Initialize(espeak_AUDIO_OUTPUT, int buflength, const char *path, int options)
lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
lib.espeak_Initialize.restype = ctypes.c_int
# typedef int (t_espeak_callback)(short *wav, int numsamples, espeak_EVENT *events)
CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
lib.espeak_SetSynthCallback.argtypes = [CALLBACK]
lib.espeak_SetSynthCallback.restype = None
lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
lib.espeak_SetVoiceByName.restype = ctypes.c_int
# espeak_ERROR espeak_Synth(const void *text, size_t size, unsigned int position, espeak_POSITION_TYPE,
#                           unsigned int end_position, unsigned int flags, unsigned int *id, void *user_data)
lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                             ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p]
lib.espeak_Synth.restype = ctypes.c_int
lib.espeak_Synchronize.restype = ctypes.c_int
lib.espeak_Info.argtypes = [ctypes.c_void_p]
lib.espeak_Info.restype = ctypes.c_char_p

chunks = []

def collect(wav, count, events):
    if wav and count > 0:  # NULL marks the end; a count of 0 does not
        chunks.append(ctypes.string_at(wav, 2 * count))
    return 0  # go on

callback = CALLBACK(collect)  # held for the whole process: the library calls it inside every espeak_Synth
rate = lib.espeak_Initialize(2, 0, data.encode(), 0)  # AUDIO_OUTPUT_SYNCHRONOUS, default buffer
if rate <= 0:
    sys.exit(f"espeak_Initialize found no voice data in {data}")
lib.espeak_SetSynthCallback(callback)
if lib.espeak_SetVoiceByName(voice.encode()) != 0:
    sys.exit(f"espeak-ng has no voice {voice}")
said = []
for text in sentences:
    chunks.clear()
    encoded = text.encode("utf-8")
    status = lib.espeak_Synth(encoded, len(encoded) + 1, 0, 1, 0, 1, None, None)  # POS_CHARACTER, CHARS_UTF8
    if status != 0 or lib.espeak_Synchronize() != 0:
        sys.exit(f"espeak_Synth failed ({status}) on {text!r}")
    said.append(b"".join(chunks))
header = {"rate": rate, "version": lib.espeak_Info(None).decode(), "lengths": [len(s) // 2 for s in said]}
out.write(json.dumps(header).encode() + b"\n" + b"".join(said))
out.flush()
"""


def _espeak_paths() -> tuple[str, str]:
    """(the espeak-ng shared library, its data folder) from the espeakng-loader wheel, or a UserError."""
    try:
        import espeakng_loader
    except ImportError:
        raise UserError(f"The built-in speech corpus needs the espeakng-loader package, which is not installed: "
                        f"{INSTALL}.") from None
    return str(espeakng_loader.get_library_path()), str(espeakng_loader.get_data_path())


def speak(sentences: Sequence[str], voice: str = ESPEAK_VOICE) -> tuple[list[np.ndarray], int, str]:
    """(int16 samples of each sentence, espeak-ng's rate, its version), said by espeak-ng in a fresh process
    so the same sentences give the same samples on every call."""
    library, data = _espeak_paths()
    try:
        run = subprocess.run([sys.executable, "-S", "-c", _ESPEAK_WORKER, library, data, voice],
                             input=json.dumps(list(sentences)).encode(), capture_output=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise UserError("espeak-ng did not finish speaking within 10 minutes: reinstall it with "
                        "pip install --force-reinstall espeakng-loader.") from None
    if run.returncode != 0:
        reason = (run.stderr.decode(errors="replace").strip().splitlines() or [f"exit code {run.returncode}"])[-1]
        raise UserError(f"espeak-ng from {library} could not speak ({reason}): reinstall it with "
                        "pip install --force-reinstall espeakng-loader.")
    header, _, samples = run.stdout.partition(b"\n")
    info = json.loads(header)
    ends = np.cumsum([0, *info["lengths"]])
    pcm = np.frombuffer(samples, dtype=np.int16)
    return [pcm[a:b].copy() for a, b in zip(ends[:-1], ends[1:])], int(info["rate"]), str(info["version"])


def espeak_corpus(rate: int = RATE, sentences: Sequence[str] = SENTENCES) -> SpeechCorpus:
    """The built-in synthetic corpus: `sentences` (by default the 40 of SENTENCES) said by espeak-ng's en-us
    voice, as float32 at `rate` Hz; the same samples on every call (ids espeak-000, espeak-001, ...)."""
    rate = _check_rate(rate)
    sentences = [str(s) for s in sentences]
    if not sentences or not all(s.strip() for s in sentences):
        raise UserError("espeak_corpus needs at least one sentence, none of them empty: pass sentences=[...] "
                        "with text, or leave it out for the built-in ones.")
    pcm, source, version = speak(sentences)
    conversions = _Conversions(rate, noun="utterance")
    waves = [conversions.to_rate(p.astype(np.float32) / 32768, source, 1) for p in pcm]
    notes = [f"spoken by espeak-ng {version} (voice {ESPEAK_VOICE}) at {source} Hz", *conversions.notes()]
    return SpeechCorpus([f"espeak-{i:03d}" for i in range(len(sentences))], sentences, waves, rate, notes)


# --- Debian's Asterisk prompts as an LJSpeech folder ------------------------------------------------------

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
                        "the 8 kHz WAVs: python -m genlab.data.speech --wav).")
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


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m genlab.data.speech [OUT] [--wav]`: convert the Asterisk prompts (the 16 kHz G.722 ones, or
    the 8 kHz WAVs with --wav) into OUT (default cache_root()/speech/asterisk) and say what was written; 2
    with the one-line error for a mistake."""
    args = list(sys.argv[1:] if argv is None else argv)
    suffix = ".wav" if "--wav" in args else ".g722"
    args = [a for a in args if a != "--wav"]
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print("usage: python -m genlab.data.speech [OUT_FOLDER] [--wav]", file=sys.stderr)
        return 2
    out = Path(args[0]) if args else cache_root() / "speech" / "asterisk"
    try:
        conversion = asterisk_to_ljspeech(out, suffix=suffix)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(conversion.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
