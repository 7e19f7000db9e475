"""Where a dataset comes from, by registry: each source says what it recognises (a built-in name, a folder layout,
a file suffix), which load options it takes and how to load; views (`frames:`, `tracks:`) are registered
transforms of another source's dataset. `load_dataset` (data/__init__.py) is a lookup in these tables.

Adding a source: one module in this folder with a `Source` subclass and one line in SOURCES (before the more
general sources it must win over); a load option of its own is one entry in its `options`, given through
`--set data.NAME=VALUE` (config.DataConfig keeps its extra keys for the source to read).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from genlab.data.frames import PREFIX as FRAMES_PREFIX
from genlab.data.frames import frames_of
from genlab.data.spec import Dataset
from genlab.data.tracks import PREFIX as TRACKS_PREFIX
from genlab.data.tracks import tracks_of
from genlab.errors import UserError
from genlab.targets import resolve

# The shared load options and their flags; a source's own option is given as --set data.NAME=VALUE.
FLAGS = {"channels": "--channels", "size": "--size"}

VIEWS: dict[str, Callable[[Dataset], Dataset]] = {FRAMES_PREFIX: frames_of, TRACKS_PREFIX: tracks_of}


class Source(ABC):
    holds: ClassVar[str]  # what its data is, for messages: "molecules (moses, a .csv or .smi)"
    options: ClassVar[tuple[str, ...]] = ()  # the load options it takes (others given are refused)

    @abstractmethod
    def recognises(self, name: str) -> bool:
        """Whether `name` (a built-in name or a path) is this source's."""

    @abstractmethod
    def load(self, name: str, split_seed: int, **options: Any) -> Dataset:
        """The dataset, split by split_seed, with the options it takes (only those given, each not None)."""


# In the order they are asked: the first that recognises a name loads it.
SOURCES: dict[str, str] = {
    "molecules": "genlab.data.sources.molecules:Molecules",
    "speech": "genlab.data.sources.speech:Speech",
    "builtin images": "genlab.data.sources.images:BuiltinImages",
    "image folder": "genlab.data.sources.images:ImageFolder",
    "array file": "genlab.data.sources.arrays:ArrayFile",
}


def sources() -> list[Source]:
    return [resolve(target)() for target in SOURCES.values()]


def flag(option: str) -> str:
    return FLAGS.get(option, f"--set data.{option}")


def check_taken(name: str, source: Source, options: dict[str, Any]) -> None:
    """Refuse an option the source does not take, naming the kind of data it is for."""
    for option in options:
        if option not in source.options:
            owner = next((s for s in sources() if option in s.options), None)
            if owner is None:
                raise UserError(f"No data source takes the option '{option}': drop {flag(option)} (the options are "
                                f"{', '.join(sorted({o for s in sources() for o in s.options}))}).")
            raise UserError(f"{name} holds {source.holds}: {flag(option)} is for {owner.holds}; drop it.")
