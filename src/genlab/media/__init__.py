"""Examples turned into files people look at (and, as modalities arrive, listen to): one writer per modality.

`save_examples(spec, x, path)` is what the trainer's preview and the reports call, so neither knows what an
example is; a new modality adds one writer to WRITERS. numpy and Pillow only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from genlab.data.spec import DatasetSpec
from genlab.media.grids import save_grid
from genlab.media.molecules import write_molecules
from genlab.media.video import write_clips


def _image_grid(spec: DatasetSpec, x: np.ndarray, path: Path, nrow: int | None) -> Path:
    """Images (N, C, H, W) of levels as one PNG grid, `nrow` to a row."""
    out = path if path.suffix or path.is_dir() else path.with_suffix(".png")  # a folder: refused by atomic_write
    save_grid(x, spec.levels, out, nrow=nrow)
    return out


# modality -> writer(spec, examples, path without suffix, examples per row) -> the file written
WRITERS: dict[str, Callable[[DatasetSpec, np.ndarray, Path, int | None], Path]] = {
    "image": _image_grid, "video": write_clips, "tokens": write_molecules}


def save_examples(spec: DatasetSpec, x: np.ndarray, path: Path, nrow: int | None = None) -> Path | None:
    """Write examples x of `spec`'s modality at `path` (the writer adds its suffix when `path` has none);
    the file written, or None when the modality has no writer yet."""
    writer = WRITERS.get(spec.modality)
    return None if writer is None else writer(spec, np.asarray(x), Path(path), nrow)
