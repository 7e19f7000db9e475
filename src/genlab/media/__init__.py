"""Examples turned into files people look at (and, as modalities arrive, listen to): one writer per modality.

`save_examples(spec, x, path)` is what the trainer's preview and the reports call, so neither knows what an
example is; a new modality adds one Medium to MEDIA. numpy and Pillow only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genlab.data.spec import DatasetSpec
from genlab.files import output_path
from genlab.media.grids import save_grid
from genlab.media.molecules import MOLECULE_SUFFIXES, write_molecules
from genlab.media.video import CLIP_SUFFIXES, write_clips


def _image_grid(spec: DatasetSpec, x: np.ndarray, path: Path, nrow: int | None) -> Path:
    """Images (N, C, H, W) of levels as one PNG grid, `nrow` to a row."""
    save_grid(x, spec.levels, path, nrow=nrow)
    return path


@dataclass(frozen=True)
class Medium:
    """How one modality's examples become files: its writer(spec, examples, path, examples per row) -> the file
    written, what they are written as and the suffixes it can write (the first the default), what its examples
    are called, and `genlab sample`'s default file and count for it."""

    writer: Callable[[DatasetSpec, np.ndarray, Path, int | None], Path]
    written_as: str
    suffixes: tuple[str, ...]
    noun: str
    default_file: str
    default_count: int


# modality -> its medium; a modality without one (audio: the speech apps write WAVs) has no grid of examples
MEDIA: dict[str, Medium] = {
    "image": Medium(_image_grid, "a grid of images", (".png",), "images", "samples.png", 64),
    "video": Medium(write_clips, "clips", CLIP_SUFFIXES, "clips", "clips.gif", 16),
    "tokens": Medium(write_molecules, "molecules", MOLECULE_SUFFIXES, "molecules", "samples.png", 64),
}


def examples_path(spec: DatasetSpec, path: Path) -> Path:
    """Where examples of `spec`'s modality go when asked for `path`: its default suffix added when it has none,
    and a suffix its writer cannot write refused in one line (files.output_path), before any sampling."""
    medium = MEDIA.get(spec.modality)
    return Path(path) if medium is None else output_path(path, medium.suffixes, medium.written_as)


def save_examples(spec: DatasetSpec, x: np.ndarray, path: Path, nrow: int | None = None) -> Path | None:
    """Write examples x of `spec`'s modality at `path` (see examples_path); the file written, or None when the
    modality has no writer yet."""
    medium = MEDIA.get(spec.modality)
    return None if medium is None else medium.writer(spec, np.asarray(x), examples_path(spec, path), nrow)
