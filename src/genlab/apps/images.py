"""The user's own images, read for an application (`genlab upscale`, `genlab decompose`, `genlab inpaint`): one
file or every image of a folder, each checked with a one-line error naming it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from genlab.errors import UserError

if TYPE_CHECKING:  # reading and checking images needs no torch
    from genlab.models.loading import Run

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def read_user_image(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """(colour (C, H, W) with C 1 or 3, alpha (1, H, W) or None), uint8 or uint16; a UserError if unreadable."""
    import warnings

    import imageio.v3 as iio

    try:
        with warnings.catch_warnings():  # imageio tries every plugin on a non-image, some deprecated
            warnings.simplefilter("ignore")
            pixels = np.asarray(iio.imread(path))
    except Exception:  # noqa: BLE001  (any decoder failure is the same problem for the user)
        raise UserError(f"{path} is not a readable image: give a PNG, JPEG, TIFF, BMP or WebP file.") from None
    if pixels.dtype not in (np.uint8, np.uint16) or pixels.ndim not in (2, 3) or (pixels.ndim == 3 and
                                                                                  pixels.shape[2] > 4):
        raise UserError(f"{path} holds {pixels.dtype} pixels of shape {pixels.shape}: give an 8- or 16-bit grey, "
                        "RGB or RGBA image.")
    pixels = pixels[..., None] if pixels.ndim == 2 else pixels
    channels = pixels.transpose(2, 0, 1)  # (C, H, W)
    colour = channels[:3] if len(channels) in (3, 4) else channels[:1]
    alpha = channels[len(colour):][:1] if len(channels) in (2, 4) else None
    return np.ascontiguousarray(colour), alpha


def images_in(source: Path) -> list[Path]:
    """The image `source`, or the images of the folder `source` in name order."""
    if source.is_dir():
        images = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise UserError(f"{source} holds no images ({', '.join(IMAGE_SUFFIXES)}): point at an image or a folder "
                            "of them.")
        return images
    if not source.is_file():
        raise UserError(f"{source} does not exist: give an image file or a folder of images.")
    return [source]


def as_levels(colour: np.ndarray, levels: int) -> np.ndarray:
    """8- or 16-bit pixels (C, H, W) -> the run's levels 0..levels-1 (uint8 for up to 256 levels)."""
    peak = float(np.iinfo(colour.dtype).max)
    return np.round(colour.astype(np.float64) * ((levels - 1) / peak)).astype(np.uint8 if levels <= 256 else np.int32)


def images_for_run(run: Run, images: list[Path], resize: bool, verb: str, alpha_note: str
                   ) -> tuple[np.ndarray, list[str]]:
    """The images as the run's levels (N, C, H, W), checked against its channels and size (refused in one line
    saying what the run `verb`s, or resized when `resize`); notes for the user (`alpha_note` if any image had
    an alpha channel)."""
    from genlab.data.degrade import resize as resize_image

    channels, height, width = run.spec.shape
    out, notes, alpha, resized = [], [], False, False
    kind = {1: "grey", 3: "RGB"}
    for path in images:
        colour, a = read_user_image(path)
        alpha |= a is not None
        if len(colour) != channels:
            raise UserError(f"{path} is {kind[len(colour)]} and run {run.folder.path} {verb} {kind[channels]} "
                            f"images: convert it to {kind[channels]}.")
        if colour.shape[1:] != (height, width):
            if not resize:
                raise UserError(f"{path} is {colour.shape[1]}x{colour.shape[2]} pixels and run {run.folder.path} "
                                f"{verb} {height}x{width} images: crop it to that size, or pass --resize.")
            colour, resized = resize_image(colour, (height, width)), True
        out.append(as_levels(colour, run.spec.levels))
    if alpha:
        notes.append(f"alpha channels were ignored: {alpha_note}")
    if resized:
        notes.append(f"images of another size were resized (bicubic) to the run's {height}x{width}")
    return np.stack(out), notes
