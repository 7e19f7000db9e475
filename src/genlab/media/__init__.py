"""Examples turned into files people look at (and, as modalities arrive, listen to): one writer per modality.

`save_examples(spec, x, path)` is what the trainer's preview and the reports call, so neither knows what an
example is; a new modality adds one writer to WRITERS. numpy and Pillow only.
"""

from __future__ import annotations

from collections.abc import Callable
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


# modality -> writer(spec, examples, path with one of its suffixes, examples per row) -> the file written
WRITERS: dict[str, Callable[[DatasetSpec, np.ndarray, Path, int | None], Path]] = {
    "image": _image_grid, "video": write_clips, "tokens": write_molecules}
# modality -> (what its examples are written as, the suffixes its writer can write; the first is the default)
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "image": ("a grid of images", (".png",)), "video": ("clips", CLIP_SUFFIXES),
    "tokens": ("molecules", MOLECULE_SUFFIXES)}


def examples_path(spec: DatasetSpec, path: Path) -> Path:
    """Where examples of `spec`'s modality go when asked for `path`: its default suffix added when it has none,
    and a suffix its writer cannot write refused in one line (files.output_path), before any sampling."""
    what, suffixes = FORMATS.get(spec.modality, ("examples", ()))
    return output_path(path, suffixes, what) if suffixes else Path(path)


def save_examples(spec: DatasetSpec, x: np.ndarray, path: Path, nrow: int | None = None) -> Path | None:
    """Write examples x of `spec`'s modality at `path` (see examples_path); the file written, or None when the
    modality has no writer yet."""
    writer = WRITERS.get(spec.modality)
    return None if writer is None else writer(spec, np.asarray(x), examples_path(spec, path), nrow)
