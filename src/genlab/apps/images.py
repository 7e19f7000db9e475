"""The user's own images, read for an application (`genlab upscale`, `genlab decompose`, `genlab inpaint`): one
file or every image of a folder, each decoded by genlab's one image reader (`genlab.data.image_io`: every Pillow
mode converted deliberately, with notes where information is lost) and checked with a one-line error naming it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from genlab.data.image_files import IMAGE_SUFFIXES
from genlab.data.image_io import Decoded, decode, file_notes
from genlab.errors import UserError

if TYPE_CHECKING:  # reading and checking images needs no torch
    from genlab.models.loading import Run


def read_user_image(path: Path) -> Decoded:
    """The user's image by the shared reader (`genlab.data.image_io.decode`, which converts every Pillow mode
    deliberately): grey or RGB colour (C, H, W) and alpha (1, H, W) or None, uint8 or uint16, and notes on what
    was converted with a loss; a UserError naming the file if it is unreadable or too large."""
    return decode(Path(path))


def images_in(source: Path) -> list[Path]:
    """The image `source`, or the images of the folder `source` in name order."""
    if source.is_dir():
        images = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise UserError(f"{source} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}): point at an image or a folder "
                            "of them.")
        return images
    if not source.is_file():
        raise UserError(f"{source} does not exist: give an image file or a folder of images.")
    return [source]


def as_levels(colour: np.ndarray, levels: int) -> np.ndarray:
    """8- or 16-bit pixels (C, H, W) -> the run's levels 0..levels-1 (uint8 for up to 256 levels)."""
    peak = float(np.iinfo(colour.dtype).max)
    return np.round(colour.astype(np.float64) * ((levels - 1) / peak)).astype(np.uint8 if levels <= 256 else np.int32)


def from_levels(x: np.ndarray, levels: int, dtype: np.dtype) -> np.ndarray:
    """The run's levels 0..levels-1 -> 8- or 16-bit pixels of `dtype` (the inverse of as_levels on its grid)."""
    peak = float(np.iinfo(dtype).max)
    return np.round(np.asarray(x, np.float64) * (peak / (levels - 1))).astype(dtype)


def images_for_run(run: Run, images: list[Path], resize: bool, verb: str, alpha_note: str
                   ) -> tuple[np.ndarray, list[str]]:
    """The images as the run's levels (N, C, H, W), checked against its channels and size (refused in one line
    saying what the run `verb`s, or resized when `resize`); notes for the user (`alpha_note` if any image had
    an alpha channel)."""
    from genlab.data.degrade import resize as resize_image

    channels, height, width = run.spec.shape
    out, found, any_alpha, resized = [], [], False, False
    kind = {1: "grey", 3: "RGB"}
    for path in images:
        decoded = read_user_image(path)
        colour, any_alpha = decoded.colour, any_alpha or decoded.alpha is not None
        found.append((path.name, decoded.notes))
        if len(colour) != channels:
            raise UserError(f"{path} is {kind[len(colour)]} and run {run.folder.path} {verb} {kind[channels]} "
                            f"images: convert it to {kind[channels]}.")
        if colour.shape[1:] != (height, width):
            if not resize:
                raise UserError(f"{path} is {colour.shape[1]}x{colour.shape[2]} pixels and run {run.folder.path} "
                                f"{verb} {height}x{width} images: crop it to that size, or pass --resize.")
            colour, resized = resize_image(colour, (height, width)), True
        out.append(as_levels(colour, run.spec.levels))
    notes = file_notes(found)
    if any_alpha:
        notes.append(f"alpha channels were ignored: {alpha_note}")
    if resized:
        notes.append(f"images of another size were resized (bicubic) to the run's {height}x{width}")
    return np.stack(out), notes
