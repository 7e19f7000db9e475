"""The user's own images, read for an application (`genlab upscale`, `genlab decompose`): one file or every
image of a folder, each checked with a one-line error naming it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.errors import UserError

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


