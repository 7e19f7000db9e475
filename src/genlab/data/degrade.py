"""The standard degradation of single-image super-resolution, with PIL: a high-resolution image cropped to
a multiple of the scale, then downscaled by antialiased bicubic interpolation (PIL's BICUBIC matches MATLAB's
`imresize`, which the SRGAN and BasicSR figures use, to about 0.01 dB). Classical upscalers for the anchors
(bicubic, Lanczos) too. Arrays are (C, H, W); each channel is resized on its own, 8-bit ones by PIL's own
8-bit path, any other type in 32-bit float (16-bit images), rounded and clipped back into its range."""

from __future__ import annotations

import numpy as np
from PIL import Image

METHODS = {"bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS}


def crop_to_multiple(x: np.ndarray, scale: int) -> np.ndarray:
    """(C, H, W) cut at the bottom and right to sides divisible by `scale`."""
    h, w = x.shape[-2:]
    return x[..., : h - h % scale, : w - w % scale]


def resize(x: np.ndarray, size: tuple[int, int], method: str = "bicubic") -> np.ndarray:
    """(C, H, W) -> (C, *size) with PIL's `method` per channel, in x's dtype (integers rounded, clipped)."""
    h, w = size
    if x.dtype == np.uint8:
        return np.stack([np.asarray(Image.fromarray(channel).resize((w, h), METHODS[method])) for channel in x])
    out = np.stack([np.asarray(Image.fromarray(channel.astype(np.float32), mode="F").resize((w, h), METHODS[method]))
                    for channel in x])
    if np.issubdtype(x.dtype, np.integer):
        info = np.iinfo(x.dtype)
        out = np.clip(np.round(out), info.min, info.max)
    return out.astype(x.dtype)


def downscale(high: np.ndarray, scale: int) -> np.ndarray:
    """The low-resolution input for `high` (C, H, W): antialiased bicubic to H/s x W/s (sides cut to multiples)."""
    high = crop_to_multiple(high, scale)
    return resize(high, (high.shape[1] // scale, high.shape[2] // scale))


def upscale_classically(low: np.ndarray, scale: int, method: str = "bicubic") -> np.ndarray:
    """`low` (C, h, w) to (C, s*h, s*w) by bicubic or Lanczos interpolation: the classical anchors."""
    return resize(low, (low.shape[1] * scale, low.shape[2] * scale), method)
