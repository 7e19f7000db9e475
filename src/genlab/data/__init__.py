"""Datasets: one entry point, `load_dataset`, for built-ins, image folders and .npy/.npz files, and
`load_data` for a run's [data] config.

Every source yields a `Dataset`: a `DatasetSpec` (modality, shape, levels, labels, named extras; images
today, (C, H, W) uint8 levels) and fixed train / val / test splits chosen by `split_seed`, each a `Split`
of x, y and named per-example extras. An image folder too large for memory is decoded once into a
memory-mapped cache under $GENLAB_CACHE (else ~/.cache/genlab) and its splits read from it; set
GENLAB_FORCE_CACHE=1 to always do so, 0 never, or GENLAB_MEMORY_BUDGET=<bytes> to set the size above
which it happens (see cache.py). No torch here: listing or validating data must not pay for importing it.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import Any

from genlab.config import DataConfig
from genlab.errors import UserError

from .builtin import BUILTINS, Builtin
from .array_files import ARRAY_SUFFIXES
from .labels import hide_labels, hide_properties
from .sources import VIEWS, check_taken, sources
from .spec import MODALITIES, Dataset, DatasetSpec, ExtraSpec, Split

__all__ = ["BUILTINS", "MODALITIES", "Builtin", "Dataset", "DatasetSpec", "ExtraSpec", "Split", "list_builtins",
           "load_data", "load_dataset"]


def list_builtins() -> list[DatasetSpec]:
    """Specs of the built-in datasets, without loading any data."""
    return [entry.spec for entry in BUILTINS.values()]


def _looks_like_path(name: str) -> bool:
    """A source meant as a path (a separator or a data-file suffix), so 'not found' beats 'unknown name'."""
    return os.sep in name or "/" in name or Path(name).suffix.lower() in ARRAY_SUFFIXES


def _is_int(value: object) -> bool:
    """True for Python and NumPy integers, not for bools (a CLI or notebook may pass either kind)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_options(split_seed: int, channels: int | None, size: tuple[int, int] | None) -> None:
    """Reject bad option values up front, before any data is read."""
    if not _is_int(split_seed) or split_seed < 0:
        raise UserError(f"Invalid split seed {split_seed!r}: use a non-negative integer.")
    if channels is not None and (not _is_int(channels) or channels not in (1, 3)):
        raise UserError(f"Invalid channels {channels!r}: use 1 (grayscale) or 3 (RGB).")
    if size is not None and (
        not isinstance(size, (tuple, list)) or len(size) != 2 or not all(_is_int(d) and d > 0 for d in size)
    ):
        raise UserError(f"Invalid size {size!r}: use two positive integers (height, width), e.g. --size 32x32.")


def load_dataset(source: str | os.PathLike[str], *, split_seed: int = 0, **options: Any) -> Dataset:
    """Load a built-in by name, or data by path (an image folder, a .npy / .npz file, molecules in a .csv / .smi
    file, a folder of recordings in the LJSpeech layout), split by `split_seed`: the first source of
    data/sources/ that recognises it loads it, after a view's prefix (`frames:`, `tracks:`) is taken off.

    `options` are load options for the source, each taken by the sources that declare it: `channels` (1 or 3)
    and `size` (H, W) convert and resize image folders (and pick a procedural built-in's size); `tokens`
    ("smiles" atoms, the default, or "selfies") tokenises molecules; `front_end` ("phonemes", the default, or
    "characters") turns speech transcripts into symbols. None means not given. A built-in name wins over a
    folder of the same name (write ./name for the folder).
    """
    options = {key: value for key, value in options.items() if value is not None}
    _check_options(split_seed, options.get("channels"), options.get("size"))
    split_seed = int(split_seed)
    if "channels" in options:
        options["channels"] = int(options["channels"])
    if "size" in options:
        options["size"] = (int(options["size"][0]), int(options["size"][1]))
    name = os.fspath(source)
    for prefix, view in VIEWS.items():
        if name.startswith(prefix):
            return view(load_dataset(name[len(prefix):], split_seed=split_seed, **options))
    for found in sources():
        if found.recognises(name):
            check_taken(name, found, options)
            return found.load(name, split_seed, **options)
    builtins = ", ".join(BUILTINS)
    if _looks_like_path(name):
        raise UserError(f"No file or folder at '{name}': check the path, or use one of {builtins}.")
    raise UserError(
        f"Unknown dataset '{name}': use one of {builtins}, or a path to an image folder, a .npy/.npz file (images or "
        "clips), molecules (.csv/.smi) or recordings (a folder with metadata.csv)."
    )


def load_data(data: DataConfig, seed: int = 0) -> Dataset:
    """The dataset a run's [data] config names; with labels_per_class, the training labels beyond that many per
    class (chosen by `seed`) are hidden as -1."""
    dataset = load_dataset(data.source, split_seed=data.split_seed, **data.load_options())
    if data.labels_per_class:
        dataset.train = hide_labels(dataset.train, data.labels_per_class, seed)
    if data.labelled:
        dataset.train = hide_properties(dataset.train, data.labelled, seed)
    return dataset
