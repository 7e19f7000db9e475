"""The last step every loader of a user's files shares: checked uint8 examples (images from a folder or an
array file, clips) split three ways with the user fractions and wrapped in a `Dataset` named after the
folder or file.

It lives apart from the readers (image_files.py, image_folders.py, cached_folders.py, array_files.py) so
that a folder, its disk cache and an array file name, count and split their examples the same way.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from genlab.errors import UserError

from .spec import Dataset, DatasetSpec, ExtraSpec
from .splits import split_arrays, user_split_sizes

MIN_EXAMPLES = 10


def one_line(text: object) -> str:
    """Collapse whitespace so a third-party error message cannot break the one-line rule."""
    return " ".join(str(text).split())


def _display_name(path: Path) -> str:
    """The folder or file name a dataset is called by (works for '.' and trailing slashes too)."""
    return os.path.basename(os.path.abspath(path))


def require_examples(path: Path, n: int) -> None:
    """Checked before decoding or scanning values: 10 examples is the least that splits three ways."""
    if n < MIN_EXAMPLES:
        raise UserError(f"{path} has only {n} examples: at least {MIN_EXAMPLES} are needed for train/val/test splits.")


def user_spec(
    path: Path, shape: tuple[int, ...], levels: int, class_names: Sequence[str] | None, notes: Sequence[str],
    extras: Sequence[ExtraSpec] = (), modality: str = "image",
) -> DatasetSpec:
    return DatasetSpec(
        name=_display_name(path),
        shape=tuple(int(d) for d in shape),
        levels=levels,
        num_classes=None if class_names is None else len(class_names),
        class_names=None if class_names is None else tuple(class_names),
        notes=tuple(notes),
        modality=modality,
        extras=tuple(extras),
    )


def finish_dataset(
    path: Path,
    x: np.ndarray,
    y: np.ndarray | None,
    levels: int,
    class_names: Sequence[str] | None,
    notes: Sequence[str],
    split_seed: int,
    masks: np.ndarray | None = None,
) -> Dataset:
    """Split checked uint8 images (N, C, H, W) or clips (N, T, C, H, W) (and object masks (N, H, W)) with the
    shared user fractions and wrap them in a Dataset."""
    n_test, n_val = user_split_sizes(len(x))
    extras = None if masks is None else {"masks": masks}
    train, val, test = split_arrays(x, y, n_test=n_test, n_val=n_val, seed=split_seed, extras=extras)
    specs = () if masks is None else (ExtraSpec("masks", masks.shape[1:], "uint8", levels=int(masks.max()) + 1),)
    modality = "video" if x.ndim == 5 else "image"
    return Dataset(user_spec(path, x.shape[1:], levels, class_names, notes, specs, modality), train, val, test)
