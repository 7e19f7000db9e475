"""`genlab decompose`: a slots run splits the user's scenes into their objects, one picture per slot.

For every input image NAME, OUTDIR/NAME/ gets the reconstruction, each slot's masked reconstruction as an
RGBA PNG (slot-K.png, transparent where the slot holds nothing) and its mask as a grey PNG (mask-K.png),
and OUTDIR/NAME-overview.png shows it all in one row: image | reconstruction | masks coloured | each slot
alone. Every input is read and checked before anything is written; each file is written whole.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from genlab.apps.images import images_for_run, images_in
from genlab.errors import UserError
from genlab.files import atomic_write
from genlab.media.decomposition import overview_picture, to_rgb8
from genlab.models.batched import decomposed
from genlab.models.loading import Run

BATCH = 32  # images decomposed at once


@dataclass
class Decomposed:
    written: list[Path]
    notes: list[str] = field(default_factory=list)


def _png(pixels: np.ndarray) -> bytes:
    """(H, W) or (H, W, C) uint8 as PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def _files(name: str, out: Path, x: np.ndarray, recon: np.ndarray, images: np.ndarray, masks: np.ndarray,
           levels: int) -> list[tuple[Path, bytes]]:
    """What one scene writes: x and recon (C, H, W), images (K, C, H, W) of levels, masks (K, H, W)."""
    folder = out / name
    files = [(folder / "reconstruction.png", _png(to_rgb8(recon, levels).transpose(1, 2, 0)))]
    alpha = np.round(masks * 255).astype(np.uint8)  # (K, H, W)
    for k, (image, mask) in enumerate(zip(to_rgb8(images, levels), alpha), start=1):
        files.append((folder / f"slot-{k}.png", _png(np.concatenate([image, mask[None]]).transpose(1, 2, 0))))
        files.append((folder / f"mask-{k}.png", _png(mask)))
    picture = overview_picture(x[None], recon[None], images[None], masks[None], levels)
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    files.append((out / f"{name}-overview.png", buf.getvalue()))
    return files


def _check_targets(out: Path, names: list[str]) -> None:
    """Refuse, before anything is written, an output that is in the way: a file where a folder goes or the
    other way round."""
    if out.exists() and not out.is_dir():
        raise UserError(f"-o {out} is a file: name a folder for the slots' pictures.")
    for name in names:
        folder, overview = out / name, out / f"{name}-overview.png"
        if folder.exists() and not folder.is_dir():
            raise UserError(f"{folder} is a file, where the slots of {name} go: move it or choose another -o.")
        if overview.is_dir():
            raise UserError(f"{overview} is a folder, where the overview of {name} goes: move it or choose another -o.")


def decompose(run: Run, source: Path | str, out: Path | str, *, resize: bool = False, seed: int = 0,
              slots: int | None = None, progress: Callable[[int, int], None] | None = None) -> Decomposed:
    """Split the image `source`, or every image of the folder `source`, into the run's slots (or `slots` of
    them) under `out`."""
    if not run.model.can_decompose:
        raise UserError(f"Run {run.folder.path} is a {run.model.name} run, which does not split scenes into "
                        "objects: use a slots run (genlab train --model slots).")
    if slots is not None and slots < 1:
        raise UserError(f"--slots {slots} must be at least 1: leave it out for the run's own number, or give more.")
    source, out = Path(source), Path(out)
    paths = images_in(source)
    stems = [p.stem for p in paths]
    clash = next((s for s in stems if stems.count(s) > 1), None)
    if clash:
        raise UserError(f"{source} holds several images named {clash}.* : rename them apart first.")
    _check_targets(out, stems)
    x, notes = images_for_run(run, paths, resize, "decomposes", "slots see the colour channels only")
    result = Decomposed([], notes)
    for start in range(0, len(x), BATCH):
        batch = x[start : start + BATCH]
        recon, images, masks = decomposed(run.model, batch, seed=seed, slots=slots)
        for i, name in enumerate(stems[start : start + BATCH]):
            for path, data in _files(name, out, batch[i], recon[i], images[i], masks[i], run.spec.levels):
                atomic_write(path, data)
                result.written.append(path)
        if progress:
            progress(min(start + BATCH, len(x)), len(x))
    return result
