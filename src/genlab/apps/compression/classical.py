"""The classical lossy codecs every learned codec is read against, through Pillow: JPEG, JPEG 2000
(`quality_mode="rates"`), WebP and AVIF, each swept over its quality setting."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

# Settings swept per codec: wide enough to bracket 0.05-1 bits/dim on photographs.
SWEEPS: dict[str, list] = {
    "JPEG": [2, 4, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 90],
    "JPEG 2000": [8 / bpd for bpd in (0.05, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0)],
    "WebP": [0, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90],
    "AVIF": [5, 10, 20, 30, 40, 50, 60, 70, 80, 90],
}


def _options(codec: str, setting) -> dict:
    if codec == "JPEG":
        return {"format": "JPEG", "quality": setting, "optimize": True}
    if codec == "JPEG 2000":
        return {"format": "JPEG2000", "quality_mode": "rates", "quality_layers": [setting], "irreversible": True}
    if codec == "WebP":
        return {"format": "WEBP", "quality": setting, "method": 6}
    return {"format": "AVIF", "quality": setting, "speed": 4}


def encode(image: np.ndarray, codec: str, setting) -> tuple[bytes, np.ndarray]:
    """An RGB image (3, H, W) uint8 coded by `codec` at `setting`: (the file's bytes, the decoded image)."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image.transpose(1, 2, 0))).save(buffer, **_options(codec, setting))
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as decoded:
        return data, np.asarray(decoded.convert("RGB")).transpose(2, 0, 1)
