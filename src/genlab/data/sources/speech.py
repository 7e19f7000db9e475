"""Speech: the asterisk and espeak built-ins or a folder in the LJSpeech layout (metadata.csv and wavs/), whose
transcripts become phonemes (the default) or characters (`--set data.front_end=characters`)."""

from __future__ import annotations

from pathlib import Path

from genlab.data.builtin import BUILTINS, SpeechBuiltin
from genlab.data.sources import Source
from genlab.data.spec import Dataset


class Speech(Source):
    holds = "recordings with transcripts (speech)"
    options = ("front_end",)

    def recognises(self, name: str) -> bool:
        return isinstance(BUILTINS.get(name), SpeechBuiltin) or (Path(name) / "metadata.csv").is_file()

    def load(self, name: str, split_seed: int, front_end: str | None = None) -> Dataset:
        if name in BUILTINS:
            return BUILTINS[name].load(split_seed, front_end)
        from genlab.data.speech import read_ljspeech
        from genlab.data.utterances import speech_dataset

        return speech_dataset(Path(name).name, read_ljspeech(name), front_end=front_end or "phonemes",
                              split_seed=split_seed)
