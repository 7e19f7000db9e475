"""`genlab inpaint`: the masked part of the user's image filled anew by a run that inpaints (diffusion by
RePaint, pixelcnn by completion in raster order), several completions per image, every unmasked pixel kept
exactly.

The mask is a grey image of the same size, white (at least half the peak) where the model fills (a grey one is
thresholded there, with a note; transparent pixels of a mask with alpha are never filled); or `below=ROW` fills
every row from ROW down, the completion the PixelRNN paper shows. OUT (a .png) gets the first completion at the
image's own size, OUT-2.png ... the others, and OUT-overview.png the image with its hole beside every completion,
enlarged. The completions keep every pixel outside the mask exactly as the user's file has it (its bit depth and
alpha included), even when the model sees a copy quantised to its own levels (said in a note). Everything is read
and checked before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genlab.apps.images import as_levels, from_levels, images_for_run, read_user_image
from genlab.data.image_io import encode
from genlab.config import check_seed
from genlab.errors import UserError
from genlab.files import atomic_write, output_path
from genlab.media.grids import grid_image, save_png
from genlab.models.batched import inpainted
from genlab.models.loading import Run
from genlab.sampling import check_options

BATCH = 16  # completions drawn at once


@dataclass
class Inpainted:
    written: list[Path]
    notes: list[str] = field(default_factory=list)


def read_mask(path: Path, size: tuple[int, int]) -> tuple[np.ndarray, list[str]]:
    """A mask image as (H, W) bool, True where it is white (at least half its peak) and, if it has alpha, opaque
    (at least half): the pixels to fill; and notes (a grey mask's threshold, a transparent part left alone)."""
    path = Path(path)
    decoded = read_user_image(path)
    colour, alpha = decoded.colour, decoded.alpha
    if colour.shape[1:] != size:
        raise UserError(f"The mask {path} is {colour.shape[1]}x{colour.shape[2]} pixels and the image "
                        f"{size[0]}x{size[1]}: draw the mask at the image's size.")
    peak = np.iinfo(colour.dtype).max
    half = (peak + 1) // 2
    notes = []
    if not np.isin(colour, (0, peak)).all():
        notes.append(f"the mask {path.name} is not only black and white: pixels at least half white (>= {half} of "
                     f"{peak}) are filled, darker ones kept")
    hole = colour.max(0) >= half
    if alpha is not None and (alpha[0] < half).any():
        hole &= alpha[0] >= half
        notes.append(f"the mask {path.name} is partly transparent: its transparent pixels are kept, not filled")
    return hole, notes


def _output_paths(out: Path, n: int) -> list[Path]:
    """OUT, OUT-2.png .. OUT-n.png, OUT-overview.png: checked to be writable PNG paths."""
    out = output_path(out, (".png",), "a completion")
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
    check_seed(seed)
    options = check_options(model, options, model.inpaint)
    paths = _output_paths(Path(out), n)
    x, notes = images_for_run(run, [Path(image)], False, "inpaints",
                              "the model fills colour channels only, and the completions keep the image's alpha")
    original = read_user_image(Path(image))  # the user's own values, kept outside the mask
    levels, dtype = run.spec.levels, original.colour.dtype
    if not np.array_equal(from_levels(as_levels(original.colour, levels), levels, dtype), original.colour):
        notes.append(f"the run models {levels} levels a channel, so it saw a copy of {Path(image).name} quantised to "
                     "them; every pixel outside the mask is kept as the image has it")
    _, height, width = run.spec.shape
    if below is not None:
        if not 0 <= below < height:
            raise UserError(f"--below {below} is not a row of the {height}-row image: use 0..{height - 1}.")
        hole = np.zeros((height, width), bool)
        hole[below:] = True
    else:
        hole, mask_notes = read_mask(Path(mask), (height, width))
        notes += mask_notes
    if not hole.any():
        raise UserError(f"The mask {mask} marks no pixel to fill: paint the region to fill white.")
    filled = np.empty((n, *x.shape[1:]), x.dtype)  # (n, C, H, W), drawn BATCH at a time for the progress bar
    for start in range(0, n, BATCH):
        count = min(BATCH, n - start)
        filled[start : start + count] = inpainted(model, np.repeat(x, count, axis=0), np.repeat(hole[None], count, 0),
                                                  batch_size=BATCH, seed=seed + start, **options)
        if progress:
            progress(start + count, n)
    shown_hole = np.where(hole[None, None], (levels - 1) // 2, x)  # the hole in mid grey
    alpha = original.alpha  # the user's transparency outside the hole; the filled pixels opaque (a hole erased to
    if alpha is not None:   # transparent, a common way to mark it, would otherwise hide the fill)
        alpha = np.where(hole[None], np.iinfo(alpha.dtype).max, alpha).astype(alpha.dtype)
    for path, image_levels in zip(paths, filled):  # the model's pixels in the hole, the user's everywhere else
        completion = np.where(hole[None], from_levels(image_levels, levels, dtype), original.colour)
        atomic_write(path, encode(completion, alpha, ".png")[0])
    save_png(grid_image(np.concatenate([shown_hole, filled]), levels, nrow=n + 1), paths[-1])
    return Inpainted(paths, notes)
