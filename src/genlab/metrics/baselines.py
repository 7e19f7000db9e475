"""What the same images cost as ordinary lossless files: the anchors every bits/dim is read against."""

from __future__ import annotations

import io
import lzma

import numpy as np
from PIL import Image

FORMATS = {"png": {"format": "PNG", "optimize": True},
           "webp_lossless": {"format": "WEBP", "lossless": True, "quality": 100, "method": 6},
           "jpeg2000_lossless": {"format": "JPEG2000", "irreversible": False}}


def _pil_image(img: np.ndarray, levels: int) -> Image.Image:
    """One (C, H, W) image of levels as the smallest faithful Pillow image: 1-bit, 8-bit grey or RGB."""
    c = img.shape[0]
    if c == 3:
        return Image.fromarray(img.transpose(1, 2, 0).astype(np.uint8), "RGB")
    if levels == 2:
        return Image.fromarray(img[0].astype(bool))
    return Image.fromarray(img[0].astype(np.uint8), "L")


def file_bits_per_dim(x: np.ndarray, levels: int, fmt: str) -> float:
    """Mean bits/dim of images x (N, C, H, W), each stored as its own file in `fmt` (a FORMATS key)."""
    total_bytes = 0
    for img in x:
        buf = io.BytesIO()
        pic = _pil_image(img, levels)
        options = dict(FORMATS[fmt])
        if fmt != "png" and pic.mode == "1":  # only PNG stores 1-bit images
            pic = pic.convert("L")
        pic.save(buf, **options)
        total_bytes += buf.tell()
    return 8.0 * total_bytes / x[0].size / len(x)


def lzma_blob_bits_per_dim(x: np.ndarray) -> float:
    """All images' levels as one xz blob: no per-file headers, so a fairer floor for tiny images."""
    raw = np.ascontiguousarray(x, dtype=np.uint8).tobytes()
    return 8.0 * len(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME)) / x.size


def lossless_baselines(x: np.ndarray, levels: int) -> dict[str, float]:
    """bits/dim of the same images as PNG, WebP-lossless and JPEG 2000-lossless files (one per image) and as one
    xz blob."""
    return {fmt: file_bits_per_dim(x, levels, fmt) for fmt in FORMATS} | {"xz_blob": lzma_blob_bits_per_dim(x)}
