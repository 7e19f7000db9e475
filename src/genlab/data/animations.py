"""Animated GIF and WebP files read frame by frame: a user's clips (a folder of them is a video dataset, one
file a clip to continue). Pillow and numpy only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence

from genlab.errors import UserError

from .image_io import opened

ANIMATION_SUFFIXES = (".gif", ".webp")
ANIMATION_FORMATS = ("GIF", "WEBP")


def is_animated(path: Path) -> bool:
    """Whether an image file holds more than one frame."""
    with opened(path, str(path), None, None) as image:  # unreadable or too large: one UserError
        return getattr(image, "n_frames", 1) > 1


def are_clips(files: Sequence[Path]) -> bool:
    """Whether `files` (a folder's) are clips, every one an animated GIF or WebP, rather than images. When most
    are animated and some are not, the folder was meant as clips: a UserError names a still one (read as images,
    a video family would only be told that the folder holds images). Reads headers only, and stops once most
    files are found still."""
    stills, animated = [], 0
    for path in files:
        if path.suffix.lower() in ANIMATION_SUFFIXES and is_animated(path):
            animated += 1
        else:
            stills.append(path)
            if len(stills) > len(files) // 2:  # mostly images: a folder of images
                return False
    if stills and animated:
        odd = stills[0]
        what = "has a single frame" if odd.suffix.lower() in ANIMATION_SUFFIXES else "is not an animated GIF or WebP"
        more = f" (and {len(stills) - 1} more)" if len(stills) > 1 else ""
        raise UserError(f"{odd} {what}{more}, among {animated} animated clips in {odd.parent}: a folder of clips "
                        "needs every file animated; remove it or save it with all its frames.")
    return animated > 0


def read_animation(path: Path) -> np.ndarray:
    """Every frame of an animated GIF or WebP at the rate of its shortest frame: (T, H, W) uint8 when every frame
    is grey, else (T, H, W, 3) RGB (transparent pixels take their stored colour). A frame shown k times as long counts k times, since GIF writers (Pillow's
    among them) store a run of identical frames as one longer frame."""
    with opened(path, str(path), None, ANIMATION_FORMATS) as image:  # unreadable or too large: one UserError
        frames, durations = [], []
        for frame in ImageSequence.Iterator(image):
            frames.append(np.asarray(frame.convert("RGB")))
            durations.append(int(frame.info.get("duration") or 0))
    unit = min((d for d in durations if d > 0), default=0)
    repeats = [max(1, round(d / unit)) if unit else 1 for d in durations]
    frames = np.repeat(np.stack(frames), repeats, axis=0)  # (T, H, W, 3)
    grey = (frames[..., 0] == frames[..., 1]).all() and (frames[..., 1] == frames[..., 2]).all()
    return frames[..., 0] if grey else frames


def frames_as_channels(frames: np.ndarray, channels: int) -> np.ndarray:
    """Frames (T, H, W) or (T, H, W, 3) uint8 as (T, channels, H, W): grey repeated, or colour made grey by
    Pillow's luma (ITU-R 601-2), as image folders convert."""
    if frames.ndim == 3:
        return np.repeat(frames[:, None], channels, axis=1)
    if channels == 3:
        return frames.transpose(0, 3, 1, 2)
    return np.stack([np.asarray(Image.fromarray(f).convert("L")) for f in frames])[:, None]
