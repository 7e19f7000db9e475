"""A latent traversal as one picture: one row per latent (its KL written at the left), each row a sweep of
that latent for several examples side by side; on data with ground-truth factors, a factor map at the right:
each latent's share of each factor's entropy as a shaded cell, and the factor it carries most named beside
its KL. numpy and Pillow only."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from genlab.media.grids import to_uint8

LABEL_WIDTH = 120  # pixels for "z3  KL 1.23" at the left of each row
GAP = 8  # pixels between one example's sweep and the next
MIN_CELL = 48  # small images are enlarged (nearest) to at least this many pixels
HEADER = 18  # pixels above the rows for the factor map's column names
NAMED = 0.1  # a latent is named after a factor when it carries at least this share of the factor's entropy


def carried(names: list[str], shares: np.ndarray) -> str | None:
    """The factor a latent carries most, by its shares of the factors' entropies (K,), or None below NAMED."""
    return names[int(shares.argmax())] if len(names) and shares.max() >= NAMED else None


def _short(name: str) -> str:
    """A factor's name in at most 10 characters, for the map's header and the row labels."""
    name = name.replace("_", " ")
    return name if len(name) <= 10 else name[:9] + "."


def traversal_picture(images: np.ndarray, levels: int, kl: np.ndarray, latents: np.ndarray,
                      factors: tuple[list[str], np.ndarray] | None = None) -> Image.Image:
    """images (D, n, steps, C, H, W) of levels, kl (D,) nats (NaN: unknown) and the latent index of each row
    (D,) -> the picture: rows top to bottom, each example's sweep from -span at the left to +span. factors:
    (the K factors' names, each row's share of each factor's entropy (D, K) on [0, 1]) for the map."""
    d, n, steps, _, h, w = images.shape
    scale = max(1, math.ceil(MIN_CELL / max(h, w)))
    cell_h, cell_w = h * scale, w * scale
    sweeps_width = LABEL_WIDTH + n * steps * (cell_w + 1) + (n - 1) * GAP
    names, shares = factors if factors is not None else ([], np.zeros((d, 0)))
    label_width = LABEL_WIDTH + (90 if factors is not None else 0)  # room for the factor's name
    header = HEADER if factors is not None else 0
    width = sweeps_width + (label_width - LABEL_WIDTH) + (GAP + len(names) * (cell_h + 1) if factors else 0)
    canvas = Image.new("RGB", (width, header + d * (cell_h + 1) + 1), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=max(11, min(16, cell_h // 3)))
    small = ImageFont.load_default(size=10)
    map_left = width - len(names) * (cell_h + 1)
    for k, name in enumerate(names):
        draw.text((map_left + k * (cell_h + 1) + cell_h // 2, HEADER // 2), _short(name), fill="black", font=small,
                  anchor="mm")
    for row in range(d):
        top = header + row * (cell_h + 1) + 1
        label = f"z{latents[row]}" + ("" if np.isnan(kl[row]) else f"  KL {kl[row]:.2f}")
        factor = carried(names, shares[row])
        label += f"  {_short(factor)}" if factor else ""
        draw.text((6, top + cell_h // 2), label, fill="black", font=font, anchor="lm")
        for example in range(n):
            tiles = to_uint8(images[row, example], levels)  # (steps, H, W, C)
            for step, tile in enumerate(tiles):
                picture = Image.fromarray(tile[..., 0] if tile.shape[2] == 1 else tile).convert("RGB")
                left = label_width + example * (steps * (cell_w + 1) + GAP) + step * (cell_w + 1)
                canvas.paste(picture.resize((cell_w, cell_h), Image.NEAREST), (left, top))
        for k, share in enumerate(shares[row]):
            shade = int(round(255 * (1 - min(max(float(share), 0.0), 1.0))))  # white 0 -> blue 1
            left = map_left + k * (cell_h + 1)
            draw.rectangle((left, top, left + cell_h - 1, top + cell_h - 1), fill=(shade, shade, 255))
            draw.text((left + cell_h // 2, top + cell_h // 2), f"{share:.2f}", font=small, anchor="mm",
                      fill="white" if share > 0.5 else "black")
    return canvas
