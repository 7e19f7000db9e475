"""Intelligibility as a recogniser hears it: word and character error rates of an offline speech recogniser's
transcript of a waveform against the words that were to be said.

The recogniser is CMU PocketSphinx 5 (Huggins-Daines et al. 2006; the `pocketsphinx` wheel ships its US
English acoustic model, pronunciation dictionary and trigram language model, so nothing downloads). It
hears 16 kHz audio; waveforms are resampled to it. It is a small HMM recogniser of the 2010s: it mishears
clean recordings too, so a model's error rate is read beside the recording's own (the floor), never
against zero. It knows only its dictionary's words (about 134,000).

References are a transcript's spoken words (data/text.py's `spoken_words`: numbers and abbreviations said
out, lower case, punctuation dropped). WER: word-level edit distance (substitutions, insertions, deletions)
summed over utterances over the reference words summed; CER the same on the words joined by single spaces.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

import numpy as np

RATE = 16_000  # the acoustic model's


def available() -> bool:
    """Whether the recogniser is installed (the speech extra)."""
    return importlib.util.find_spec("pocketsphinx") is not None


class Recogniser:
    """PocketSphinx's default US English decoder; `words(wave, rate)` -> the words it hears."""

    def __init__(self):
        from pocketsphinx import Decoder

        self.decoder = Decoder(samprate=RATE, loglevel="FATAL")

    def words(self, wave: np.ndarray, rate: int) -> list[str]:
        """What the recogniser hears in a mono waveform (S,) in [-1, 1] at `rate` Hz."""
        from genlab.data.speech import resample

        wave = resample(np.asarray(wave, np.float64), rate, RATE)
        pcm = (np.clip(wave, -1.0, 1.0) * 32767.0).astype(np.int16)
        self.decoder.start_utt()
        self.decoder.process_raw(pcm.tobytes(), full_utt=True)
        self.decoder.end_utt()
        heard = self.decoder.hyp()
        return heard.hypstr.split() if heard is not None else []


def edit_distance(reference: Sequence, hypothesis: Sequence) -> int:
    """Levenshtein distance: the fewest substitutions, insertions and deletions turning one into the other."""
    previous = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        current = [i]
        for j, h in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


def error_rates(pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> dict[str, float]:
    """{"wer", "cer"} over (reference words, heard words) pairs (see the module's docstring)."""
    words = sum(edit_distance(ref, hyp) for ref, hyp in pairs) / max(1, sum(len(ref) for ref, _ in pairs))
    joined = [(" ".join(ref), " ".join(hyp)) for ref, hyp in pairs]
    chars = sum(edit_distance(ref, hyp) for ref, hyp in joined) / max(1, sum(len(ref) for ref, _ in joined))
    return {"wer": float(words), "cer": float(chars)}
