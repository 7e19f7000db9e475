"""`genlab upscale`: a super-resolution run applied to the user's own images, of any size.

An image is cut into overlapping low-resolution tiles; each is upscaled on its own and the outputs are
blended with linear ramps across the overlaps, so memory stays bounded by the tile, not the image, and no
seam shows. Grey images go through an RGB model as three equal channels and come back grey; an alpha channel
is upscaled by bicubic interpolation (with a note); 16-bit images stay 16-bit (a folder's outputs: PNG for grey,
TIFF for colour). An output format that cannot hold alpha (JPEG, BMP) or 16 bits (JPEG, WebP, BMP) gets what it
can hold, with a note. A folder in gives a folder out, one file per image, each written whole or not at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from genlab.apps.images import images_in, read_user_image
from genlab.data.degrade import upscale_classically
from genlab.data.image_io import FORMATS, Decoded, encode, file_notes
from genlab.errors import UserError
from genlab.files import atomic_write, output_path
from genlab.models.loading import Run

MIN_SIDE = 8  # pixels: a smaller image has too little context to upscale
TILE, OVERLAP = 256, 16  # low-resolution pixels: the largest tile side, and what neighbours share at least


@dataclass
class Upscaled:
    written: list[Path]
    notes: list[str] = field(default_factory=list)


def read_image(path: Path) -> Decoded:
    """The user's image (colour, alpha, notes), at least MIN_SIDE pixels a side."""
    decoded = read_user_image(path)
    if min(decoded.colour.shape[1:]) < MIN_SIDE:
        raise UserError(f"{path} is {decoded.colour.shape[1]}x{decoded.colour.shape[2]} pixels: upscaling needs at "
                        f"least {MIN_SIDE} a side.")
    return decoded


def _spans(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """(start, size) of the tiles along one side: as few as fit `tile`, all of one size, spread evenly so each
    shares at least `overlap` pixels (less one for rounding) with the next. Equal tiles waste little: a 512-pixel
    side takes three of 182 at tile 256, 7 % more work than one."""
    if length <= tile:
        return [(0, length)]
    n = math.ceil((length - overlap) / (tile - overlap))
    size = math.ceil((length + (n - 1) * overlap) / n)
    return [(round(i * (length - size) / (n - 1)), size) for i in range(n)]


def _ramp(length: int, fade: int, fade_start: bool, fade_end: bool) -> np.ndarray:
    """Blending weights (length,): 1 inside, falling linearly over `fade` pixels at the faded ends."""
    i = np.arange(length) + 0.5
    weight = np.ones(length)
    if fade_start:
        weight = np.minimum(weight, i / fade)
    if fade_end:
        weight = np.minimum(weight, (length - i) / fade)
    return weight


def upscale_array(model, low: np.ndarray, *, tile: int = TILE, overlap: int = OVERLAP,
                  progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Colour pixels (C, h, w) uint8/uint16 -> (C, s*h, s*w) of the same type, tile by tile."""
    s, peak = model.scale, float(np.iinfo(low.dtype).max)
    c, h, w = low.shape
    unit = torch.from_numpy(low.astype(np.float32) * (2.0 / peak) - 1.0).to(model.device)  # (C, h, w) on [-1, 1]
    if c == 1 and model.spec.shape[0] == 3:
        unit = unit.expand(3, h, w)
    total = np.zeros((unit.shape[0], s * h, s * w))
    weights = np.zeros((s * h, s * w))
    rows, cols = _spans(h, tile, overlap), _spans(w, tile, overlap)
    done = 0
    for top, th in rows:
        for left, tw in cols:
            window = unit[:, top : top + th, left : left + tw]  # (C', th, tw)
            with torch.no_grad():
                out = model.upscale(window[None])[0].cpu().numpy()  # (C', s*th, s*tw)
            ramp = np.outer(_ramp(s * th, s * overlap, top > 0, top + th < h),
                            _ramp(s * tw, s * overlap, left > 0, left + tw < w))  # (s*th, s*tw)
            total[:, s * top : s * (top + th), s * left : s * (left + tw)] += out * ramp
            weights[s * top : s * (top + th), s * left : s * (left + tw)] += ramp
            done += 1
            if progress:
                progress(done, len(rows) * len(cols))
    high = total / weights  # (C', s*h, s*w) on [-1, 1]
    if c == 1:
        high = high.mean(0, keepdims=True)
    return np.clip(np.round((high + 1) * (peak / 2)), 0, peak).astype(low.dtype)


def _target(source: Path, image: Path, out: Path, pixels: np.ndarray, scale: int) -> Path:
    """Where one upscaled image goes: `out` itself for a single image (in the format its suffix names; what that
    format cannot hold is said in a note when written), OUT/NAME-xS.png (.tif for 16-bit colour) for each image
    of a folder."""
    sixteen_bit_colour = pixels.dtype == np.uint16 and len(pixels) > 1
    if not source.is_dir():
        return output_path(out, tuple(FORMATS), "the upscaled image")  # what encode writes
    return out / f"{image.stem}-x{scale}{'.tif' if sixteen_bit_colour else '.png'}"


def upscale(run: Run, source: Path | str, out: Path | str, *, compare: bool = False, tile: int = TILE,
            progress: Callable[[str, int, int], None] | None = None) -> Upscaled:
    """Upscale the image `source` into the file `out`, or every image of the folder `source` into the folder
    `out`; compare: also write each image's bicubic upscaling beside it ("NAME-bicubic.png")."""
    if not run.model.can_upscale:
        raise UserError(f"Run {run.folder.path} is a {run.model.name} run, which does not upscale images: use an "
                        "srresnet or srgan run.")
    if tile <= 2 * OVERLAP:
        raise UserError(f"--tile {tile} must exceed twice the overlap ({2 * OVERLAP} pixels): use e.g. {TILE}.")
    source, out = Path(source), Path(out)
    images = images_in(source)
    targets, read, any_alpha = [], [], False
    for path in images:  # every input read and checked before anything is written, then let go (memory)
        decoded = read_image(path)
        if len(decoded.colour) == 3 and run.model.spec.shape[0] == 1:
            raise UserError(f"{path} is in colour and run {run.folder.path} upscales grey images: convert it to grey.")
        targets.append(_target(source, path, out, decoded.colour, run.model.scale))
        read.append((path.name, decoded.notes))
        any_alpha |= decoded.alpha is not None
    result = Upscaled([], file_notes(read))
    if any_alpha:
        result.notes.append("alpha channels were upscaled by bicubic interpolation, not by the model")
    s, written = run.model.scale, []
    for path, target in zip(images, targets):
        decoded = read_image(path)
        report = (lambda done, total, name=path.name: progress(name, done, total)) if progress else None
        high = upscale_array(run.model, decoded.colour, tile=tile, progress=report)
        alpha = None if decoded.alpha is None else upscale_classically(decoded.alpha, s)
        files = [(target, high)]
        if compare:
            files.append((target.with_name(f"{target.stem}-bicubic{target.suffix}"),
                          upscale_classically(decoded.colour, s)))
        for path_out, pixels in files:
            data, lost = encode(pixels, alpha, path_out.suffix)
            atomic_write(path_out, data)
            result.written.append(path_out)
            written.append((path_out.name, lost))
    result.notes += file_notes(written)
    return result
