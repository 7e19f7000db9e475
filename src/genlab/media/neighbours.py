"""The most copy-like samples beside their nearest training images, so memorisation can be seen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import ImageDraw

from genlab.media.grids import grid_image, save_png


def save_nearest_pairs(
    samples: np.ndarray, train: np.ndarray, nearest_index: np.ndarray, distances: np.ndarray, levels: int, path: Path,
    *, count: int = 16, pairs_per_row: int = 4,
) -> None:
    """One PNG of pairs, sample then its nearest training image, `pairs_per_row` pairs to a row, closest pairs
    first (the worst case). Inputs are integer-level images (N, C, H, W) and the nearest_index / distances (N,)
    from genlab.metrics.novelty. Pairs that are exact copies (distance 0) get a red frame.
    """
    if not len(samples) == len(nearest_index) == len(distances) or len(samples) == 0:
        raise ValueError(f"need one nearest_index and one distance per sample; got {len(samples)}, {len(nearest_index)}, {len(distances)}.")
    order = np.argsort(distances, kind="stable")[:count]  # (P,) most copy-like first
    pairs = np.stack([samples[order], train[nearest_index[order]]], axis=1)  # (P, 2, C, H, W)
    per_row = min(pairs_per_row, len(order))
    picture = grid_image(pairs.reshape(-1, *pairs.shape[2:]), levels, nrow=2 * per_row).convert("RGB")
    h, w = samples.shape[2:]
    scale = picture.width // (2 * per_row * (w + 1) + 1)  # grid_image: 1-pixel padding, then upscaled
    draw = ImageDraw.Draw(picture)
    for p in np.flatnonzero(np.asarray(distances)[order] == 0):
        top, left = (p // per_row) * (h + 1) * scale, (p % per_row) * 2 * (w + 1) * scale
        draw.rectangle([left, top, left + (2 * w + 3) * scale - 1, top + (h + 2) * scale - 1], outline=(255, 0, 0),
                       width=scale)
    save_png(picture, Path(path))
