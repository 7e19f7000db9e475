"""Integer-level images -> PNG grids people can look at."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from PIL import Image

from genlab.files import atomic_write


def to_uint8(x: np.ndarray, levels: int) -> np.ndarray:
    """Levels 0..levels-1 (N, C, H, W) -> 0..255 uint8 (N, H, W, C) for display."""
    scaled = np.round(np.asarray(x, dtype=np.float64) * (255.0 / (levels - 1)))
    return scaled.clip(0, 255).astype(np.uint8).transpose(0, 2, 3, 1)


def grid_image(x: np.ndarray, levels: int, nrow: int | None = None, pad: int = 1, min_cell: int = 48) -> Image.Image:
    """Tile images (N, C, H, W) into one picture, upscaled (nearest) so small images stay visible."""
    imgs = to_uint8(x, levels)  # (N, H, W, C)
    n, h, w, c = imgs.shape
    nrow = nrow or math.ceil(math.sqrt(n))
    ncol = math.ceil(n / nrow)
    canvas = np.full((ncol * (h + pad) + pad, nrow * (w + pad) + pad, c), 128, np.uint8)
    for i, img in enumerate(imgs):
        r, q = divmod(i, nrow)
        canvas[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + q * (w + pad) : pad + q * (w + pad) + w] = img
    picture = Image.fromarray(canvas[..., 0] if c == 1 else canvas)
    scale = max(1, math.ceil(min_cell / max(h, w)))
    return picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)


def save_png(image: Image.Image, path: Path) -> None:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    atomic_write(Path(path), buf.getvalue())


def save_grid(x: np.ndarray, levels: int, path: Path, nrow: int | None = None) -> None:
    save_png(grid_image(x, levels, nrow), path)
