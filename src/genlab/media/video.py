"""Clips turned into files people watch: a grid of clips as one animated GIF or WebP, every clip in its cell
playing at once (data/animations.py reads such files back frame by frame). Pillow and numpy only.

GIF stores grey clips exactly (a 256-grey palette); colour clips are quantised to its 256 colours, so an
exact copy of colour clips is a `.webp` (written lossless) or the `.npy` of their levels.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from genlab.data.spec import DatasetSpec
from genlab.files import atomic_write, output_path
from genlab.media.grids import grid_image

FRAME_MS = 100  # each frame shown a tenth of a second, so a 20-frame clip plays in two
FORMATS = {".gif": "GIF", ".webp": "WEBP"}
CLIP_SUFFIXES = tuple(FORMATS)


def clip_grid_frames(x: np.ndarray, levels: int, nrow: int | None = None) -> list[Image.Image]:
    """Clips (N, T, C, H, W) of levels -> T pictures, frame t of every clip tiled as `grid_image` tiles images."""
    x = np.asarray(x)
    return [grid_image(x[:, t], levels, nrow) for t in range(x.shape[1])]


def animation_bytes(frames: list[Image.Image], suffix: str, frame_ms: int = FRAME_MS) -> bytes:
    """Pictures as one looping animation in the format of `suffix` (.gif or .webp, lossless)."""
    buf = io.BytesIO()
    options = {"lossless": True} if suffix == ".webp" else {"optimize": False}
    frames[0].save(buf, format=FORMATS[suffix], save_all=True, append_images=frames[1:], duration=frame_ms,
                   loop=0, **options)
    return buf.getvalue()


def save_clips(x: np.ndarray, levels: int, path: Path, nrow: int | None = None) -> Path:
    """Clips (N, T, C, H, W) of levels as one animated grid at `path` (.gif, the default, or .webp)."""
    out = output_path(path, CLIP_SUFFIXES, "clips")
    atomic_write(out, animation_bytes(clip_grid_frames(x, levels, nrow), out.suffix.lower()))
    return out


def truth_above_forecast(clips: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Clips (N, T, C, H, W) and a forecast of their last frames (N, F, C, H, W) as 2N whole clips for one
    grid of N to a row: the true clips, then each clip's seen frames followed by the forecast."""
    seen = clips.shape[1] - predicted.shape[1]
    return np.concatenate([clips, np.concatenate([clips[:, :seen], predicted], axis=1)])


def write_clips(spec: DatasetSpec, x: np.ndarray, path: Path, nrow: int | None) -> Path:
    """The video modality's writer (media.MEDIA)."""
    return save_clips(x, spec.levels, path, nrow)
