"""Recorded sentences (a `SpeechCorpus` of waveforms and transcripts) as a dataset speech models train on.

Each transcript goes through the text front end (data/text.py: normalised, then phonemes or characters)
and becomes symbol ids over the corpus's symbol set (`<pad>` = 0), stored with the spec (the "text"
extra's vocabulary; `spec.tokenizer` names the front end) so a run speaks new text with the symbols it
learnt. Waveforms are stored as uint16 offset-binary levels (32768 = silence), zero-padded to the longest
utterance, with each one's length in samples beside it (extra "samples"), and the words of its transcript
(extra "words": ids over the corpus's words, 0 the padding), which a recogniser's transcript of synthesised
speech is scored against (evaluation/speech.py). An utterance with fewer mel
frames (one per 256 samples) than symbols cannot be aligned and is left out, said in a note. Splits: 10 %
test and 10 % validation (at least one each), by `split_seed`, as for every user dataset.
"""

from __future__ import annotations

import numpy as np

from .spec import Dataset, DatasetSpec, ExtraSpec
from .splits import split_arrays, user_split_sizes
from .text import Symbols, spoken_words, to_symbols

HOP = 256  # samples per mel frame (models/audio.py's MelSettings takes it from here)
MIDPOINT = 32768  # the uint16 level of silence


def as_levels(wave: np.ndarray) -> np.ndarray:
    """A waveform in [-1, 1] as uint16 offset-binary levels."""
    return (np.clip(np.round(np.asarray(wave, np.float64) * 32767.0), -32768, 32767) + MIDPOINT).astype(np.uint16)


def speech_dataset(name: str, corpus, *, front_end: str = "phonemes", split_seed: int = 0) -> Dataset:
    """The corpus (data/speech.py's SpeechCorpus) as an audio Dataset (see the module's docstring)."""
    from genlab.errors import UserError

    strings = to_symbols(corpus.texts, front_end)
    symbols = Symbols.of(strings)
    kept, notes = [], list(corpus.notes)
    for i, (string, wave) in enumerate(zip(strings, corpus.waves)):
        ids, _ = symbols.encode(string)
        if ids and len(wave) // HOP + 1 >= len(ids):
            kept.append((i, ids))
    dropped = len(strings) - len(kept)
    if dropped:
        examples = ", ".join(corpus.ids[i] for i in sorted(set(range(len(strings))) - {i for i, _ in kept})[:3])
        notes.append(f"left out {dropped} utterance(s) with no symbols or too short to say them ({examples}, ...)")
    if len(kept) < 3:
        raise UserError(f"{name} has {len(kept)} usable utterance(s): a speech dataset needs at least 3 (train, "
                        "validation, test); add recordings.")
    samples = max(len(corpus.waves[i]) for i, _ in kept)
    symbols_max = max(len(ids) for _, ids in kept)
    said = [spoken_words(corpus.texts[i]) for i, _ in kept]
    vocabulary = ("<pad>", *sorted({w for words in said for w in words}))
    word_id = {w: k for k, w in enumerate(vocabulary)}
    words = np.zeros((len(kept), max(1, max(map(len, said)))), np.int32)  # (N, W) 0-padded
    x = np.full((len(kept), samples), MIDPOINT, np.uint16)  # (N, S) silence-padded
    text = np.zeros((len(kept), symbols_max), np.int16)  # (N, X) 0-padded
    lengths = np.zeros((len(kept), 1), np.int32)
    for row, (i, ids) in enumerate(kept):
        wave = corpus.waves[i]
        x[row, : len(wave)] = as_levels(wave)
        text[row, : len(ids)] = ids
        lengths[row, 0] = len(wave)
        words[row, : len(said[row])] = [word_id[w] for w in said[row]]
    spec = DatasetSpec(name, (samples,), 65536, modality="audio", rate=corpus.rate, tokenizer=front_end,
                       extras=(ExtraSpec("samples", (1,), "int32"),
                               ExtraSpec("text", (symbols_max,), "int16", levels=len(symbols), modality="tokens",
                                         vocabulary=symbols.symbols),
                               ExtraSpec("words", words.shape[1:], "int32", levels=len(vocabulary),
                                         vocabulary=vocabulary)), notes=tuple(notes))
    n_test, n_val = user_split_sizes(len(kept))
    train, val, test = split_arrays(x, None, n_test=n_test, n_val=n_val, seed=split_seed,
                                    extras={"samples": lengths, "text": text, "words": words})
    return Dataset(spec, train, val, test)
