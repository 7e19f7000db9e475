"""`genlab inpaint`: the masked part of the user's image filled anew by a run that inpaints (diffusion by
RePaint, pixelcnn by completion in raster order), several completions per image, every unmasked pixel kept
exactly.

The mask is a grey image of the same size, white (at least half the peak) where the model fills; or
`below=ROW` fills every row from ROW down, the completion the PixelRNN paper shows. OUT (a .png) gets the
first completion at the image's own size, OUT-2.png ... the others, and OUT-overview.png the image with
its hole beside every completion, enlarged. Everything is read and checked before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genlab.apps.images import images_for_run, read_user_image
from genlab.errors import UserError
from genlab.media.grids import grid_image, save_png
from genlab.models.batched import inpainted
from genlab.models.loading import Run
from genlab.sampling import check_options

BATCH = 16  # completions drawn at once


@dataclass
class Inpainted:
    written: list[Path]
    notes: list[str] = field(default_factory=list)


def read_mask(path: Path, size: tuple[int, int]) -> np.ndarray:
    """A mask image as (H, W) bool, True where it is white (at least half its peak): the pixels to fill."""
    colour, _ = read_user_image(Path(path))
    if colour.shape[1:] != size:
        raise UserError(f"The mask {path} is {colour.shape[1]}x{colour.shape[2]} pixels and the image "
                        f"{size[0]}x{size[1]}: draw the mask at the image's size.")
    return colour.max(0) >= (np.iinfo(colour.dtype).max + 1) // 2


def _output_paths(out: Path, n: int) -> list[Path]:
    """OUT, OUT-2.png .. OUT-n.png, OUT-overview.png: checked to be writable PNG paths."""
    out = out if out.suffix else out.with_suffix(".png")
    if out.suffix.lower() != ".png":
        raise UserError(f"-o {out}: completions are written as PNG; name a .png file.")
    paths = [out] + [out.with_name(f"{out.stem}-{k}.png") for k in range(2, n + 1)]
    paths.append(out.with_name(f"{out.stem}-overview.png"))
    for path in paths:
        if path.is_dir():
            raise UserError(f"{path} is a folder, where a completion goes: move it or choose another -o.")
    return paths


def inpaint(run: Run, image: Path | str, out: Path | str, *, mask: Path | str | None = None, below: int | None = None,
            n: int = 4, seed: int = 0, progress: Callable[[int, int], None] | None = None,
            **options) -> Inpainted:
    """Fill the masked pixels of `image` `n` times (seeded) with the run; write the completions and an
    overview next to `out`. options: the family's (diffusion: steps, resample; both: temperature)."""
    model = run.model
    if not model.can_inpaint:
        raise UserError(f"Run {run.folder.path} is a {model.name} run, which does not inpaint: use a diffusion or "
                        "pixelcnn run.")
    if (mask is None) == (below is None):
        raise UserError("Say what to fill: --mask MASK.png (white = fill) or --below ROW, one of them.")
    if n < 1:
        raise UserError(f"-n {n} must be at least 1.")
    options = check_options(model, options, model.inpaint)
    paths = _output_paths(Path(out), n)
    x, notes = images_for_run(run, [Path(image)], False, "inpaints", "the model fills colour channels only")
    if run.spec.levels != 256:
        notes.append(f"the run models {run.spec.levels} grey levels: the image was quantised to them, and the kept "
                     "pixels are exact at that quantisation")
    _, height, width = run.spec.shape
    if below is not None:
        if not 0 <= below < height:
            raise UserError(f"--below {below} is not a row of the {height}-row image: use 0..{height - 1}.")
        hole = np.zeros((height, width), bool)
        hole[below:] = True
    else:
        hole = read_mask(Path(mask), (height, width))
    if not hole.any():
        raise UserError(f"The mask {mask} marks no pixel to fill: paint the region to fill white.")
    filled = np.empty((n, *x.shape[1:]), x.dtype)  # (n, C, H, W), drawn BATCH at a time for the progress bar
    for start in range(0, n, BATCH):
        count = min(BATCH, n - start)
        filled[start : start + count] = inpainted(model, np.repeat(x, count, axis=0), np.repeat(hole[None], count, 0),
                                                  batch_size=BATCH, seed=seed + start, **options)
        if progress:
            progress(start + count, n)
    shown_hole = np.where(hole[None, None], (run.spec.levels - 1) // 2, x)  # the hole in mid grey
    pictures = [grid_image(image[None], run.spec.levels, pad=0, min_cell=1) for image in filled]  # own size
    pictures.append(grid_image(np.concatenate([shown_hole, filled]), run.spec.levels, nrow=n + 1))
    for path, picture in zip(paths, pictures):
        save_png(picture, path)
    return Inpainted(paths, notes)
