"""A scene split into slots as pictures: each slot alone, its mask, and one overview row per image
(image | reconstruction | [true objects] | masks coloured | slot 1 | slot 2 | ...). numpy and Pillow only."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

MIN_CELL = 64  # small images are enlarged (nearest) to at least this many pixels
HEADER = 18  # pixels for the column titles


def palette(k: int) -> np.ndarray:
    """k distinct, bright RGB colours (k, 3) uint8, the same for every picture (hues spread evenly)."""
    from colorsys import hsv_to_rgb

    hues = (np.arange(k) * 0.618034) % 1.0  # golden-ratio steps keep neighbours apart for any k
    return np.array([[round(255 * v) for v in hsv_to_rgb(h, 0.75, 0.95)] for h in hues], np.uint8)


def to_rgb8(x: np.ndarray, levels: int) -> np.ndarray:
    """Images (..., C, H, W) of levels, C 1 or 3 -> (..., 3, H, W) uint8 on 0..255."""
    scaled = np.round(np.asarray(x, np.float64) * (255.0 / (levels - 1))).clip(0, 255).astype(np.uint8)
    return np.repeat(scaled, 3, axis=-3) if scaled.shape[-3] == 1 else scaled


def coloured_masks(masks: np.ndarray) -> np.ndarray:
    """Soft masks (N, K, H, W) -> (N, 3, H, W) uint8: each pixel the mix of its slots' palette colours."""
    colours = palette(masks.shape[1]).astype(np.float64)  # (K, 3)
    return np.round(np.einsum("nkhw,kc->nchw", masks, colours)).clip(0, 255).astype(np.uint8)


def coloured_labels(labels: np.ndarray, k: int) -> np.ndarray:
    """Label maps (N, H, W) in 0..k-1 -> (N, 3, H, W) uint8 in the palette of k (label 0 black: background)."""
    colours = np.concatenate([np.zeros((1, 3), np.uint8), palette(k)[1:]])  # (k, 3)
    return colours[labels].transpose(0, 3, 1, 2)


def slots_alone(images: np.ndarray, masks: np.ndarray, levels: int) -> np.ndarray:
    """Each slot's image where its mask holds, white elsewhere: (N, K, 3, H, W) uint8 from slot images
    (N, K, C, H, W) of levels and masks (N, K, H, W)."""
    rgb = to_rgb8(images, levels).astype(np.float64)
    alpha = masks[:, :, None]  # (N, K, 1, H, W)
    return np.round(alpha * rgb + (1 - alpha) * 255).clip(0, 255).astype(np.uint8)


def overview_picture(x: np.ndarray, reconstruction: np.ndarray, images: np.ndarray, masks: np.ndarray,
                     levels: int, true_labels: np.ndarray | None = None) -> Image.Image:
    """One row per image: the image, its reconstruction, the true objects (when label maps (N, H, W) are
    given), the masks coloured and each slot alone, under a row of titles. x and reconstruction (N, C, H, W)
    and images (N, K, C, H, W) of levels; masks (N, K, H, W)."""
    n, k, _, h, w = images.shape
    columns = [to_rgb8(x, levels), to_rgb8(reconstruction, levels)]  # each (N, 3, H, W)
    titles = ["image", "recon"]
    if true_labels is not None:
        columns.append(coloured_labels(true_labels, int(true_labels.max()) + 1))
        titles.append("true objects")
    columns.append(coloured_masks(masks))
    titles.append("slots")
    alone = slots_alone(images, masks, levels)
    columns += [alone[:, j] for j in range(k)]
    titles += [f"slot {j + 1}" for j in range(k)]
    scale = max(1, math.ceil(MIN_CELL / max(h, w)))
    cell_h, cell_w = h * scale, w * scale
    canvas = Image.new("RGB", (len(columns) * (cell_w + 2) + 2, HEADER + n * (cell_h + 2) + 2), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=12)
    palette_k = palette(k)
    for col, (column, title) in enumerate(zip(columns, titles)):
        left = 2 + col * (cell_w + 2)
        slot = col - (len(columns) - k)
        colour = tuple(int(v) for v in palette_k[slot]) if slot >= 0 else (0, 0, 0)  # slot titles in their colour
        draw.text((left + cell_w // 2, HEADER // 2), title, fill=colour, font=font, anchor="mm")
        for row in range(n):
            tile = Image.fromarray(column[row].transpose(1, 2, 0)).resize((cell_w, cell_h), Image.NEAREST)
            canvas.paste(tile, (left, HEADER + 2 + row * (cell_h + 2)))
    return canvas
