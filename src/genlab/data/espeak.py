"""The built-in synthetic speech corpus, needing no download: fixed English sentences (SENTENCES) spoken by
espeak-ng (the `espeakng-loader` wheel's library, through ctypes, in a child process), deterministic, for tests
and demos.

numpy only, and the standard library in the child: no torch here (listing or checking data must not pay for
importing it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

import numpy as np

from genlab.errors import UserError

from .speech import INSTALL, RATE, Conversions, SpeechCorpus, check_rate

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
    rate = check_rate(rate)
    sentences = [str(s) for s in sentences]
    if not sentences or not all(s.strip() for s in sentences):
        raise UserError("espeak_corpus needs at least one sentence, none of them empty: pass sentences=[...] "
                        "with text, or leave it out for the built-in ones.")
    pcm, source, version = speak(sentences)
    conversions = Conversions(rate, noun="utterance")
    waves = [conversions.to_rate(p.astype(np.float32) / 32768, source, 1) for p in pcm]
    notes = [f"spoken by espeak-ng {version} (voice {ESPEAK_VOICE}) at {source} Hz", *conversions.notes()]
    return SpeechCorpus([f"espeak-{i:03d}" for i in range(len(sentences))], sentences, waves, rate, notes)
