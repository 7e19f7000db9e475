"""A latent traversal as one picture: one row per latent (its KL written at the left), each row a sweep of
that latent for several examples side by side. numpy and Pillow only."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from genlab.media.grids import to_uint8

LABEL_WIDTH = 120  # pixels for "z3  KL 1.23" at the left of each row
GAP = 8  # pixels between one example's sweep and the next
MIN_CELL = 48  # small images are enlarged (nearest) to at least this many pixels


def traversal_picture(images: np.ndarray, levels: int, kl: np.ndarray, latents: np.ndarray) -> Image.Image:
    """images (D, n, steps, C, H, W) of levels, kl (D,) nats (NaN: unknown) and the latent index of each row
    (D,) -> the picture: rows top to bottom, each example's sweep from -span at the left to +span."""
    d, n, steps, _, h, w = images.shape
    scale = max(1, math.ceil(MIN_CELL / max(h, w)))
    cell_h, cell_w = h * scale, w * scale
    width = LABEL_WIDTH + n * steps * (cell_w + 1) + (n - 1) * GAP
    canvas = Image.new("RGB", (width, d * (cell_h + 1) + 1), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=max(11, min(16, cell_h // 3)))
    for row in range(d):
        top = row * (cell_h + 1) + 1
        label = f"z{latents[row]}" + ("" if np.isnan(kl[row]) else f"  KL {kl[row]:.2f}")
        draw.text((6, top + cell_h // 2), label, fill="black", font=font, anchor="lm")
        for example in range(n):
            tiles = to_uint8(images[row, example], levels)  # (steps, H, W, C)
            for step, tile in enumerate(tiles):
                picture = Image.fromarray(tile[..., 0] if tile.shape[2] == 1 else tile).convert("RGB")
                left = LABEL_WIDTH + example * (steps * (cell_w + 1) + GAP) + step * (cell_w + 1)
                canvas.paste(picture.resize((cell_w, cell_h), Image.NEAREST), (left, top))
    return canvas
