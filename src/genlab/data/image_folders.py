"""A user's image folder as a split `Dataset` of uint8 levels: still images, or clips when every file is an
animated GIF / WebP.

The folder's files and labels come from image_files.py (loose images unlabelled, one subfolder per class
labelled). Stills are held in memory, decoded one at a time into one array, unless the folder is too large
for memory: then they are read through the disk cache (cached_folders.py; cache.py says when, where, and
the GENLAB_FORCE_CACHE / GENLAB_MEMORY_BUDGET variables). Clips are always held in memory. Every problem
with the user's files is a one-line `UserError` that names the file and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from genlab.errors import UserError

from .animations import are_clips, frames_as_channels, read_animation
from .cached_folders import load_cached, use_cache
from .image_files import decode_image, find_images, prepare_images, unreadable
from .image_io import UnreadableImage, file_notes
from .spec import Dataset
from .user_datasets import finish_dataset, one_line, require_examples


def load_image_folder(
    folder: Path, *, split_seed: int = 0, channels: int | None = None, size: tuple[int, int] | None = None
) -> Dataset:
    """Images directly in `folder` (unlabelled) or in one subfolder per class (labels by sorted name); a folder
    of animated GIFs / WebPs only is clips (video).

    Held in memory, or read from a memory-mapped disk cache when the folder is too large (see cache.py)."""
    try:
        files, labels, class_names = find_images(folder)
    except OSError as err:  # unreadable folder (permissions, vanished while listing)
        raise UserError(f"Cannot list folder {folder} ({one_line(err)}): check its permissions.") from err
    require_examples(folder, len(files))
    y = None if labels is None else np.asarray(labels, dtype=np.int64)
    if _all_animated(files):
        return _load_clip_folder(folder, files, y, class_names, split_seed, channels, size)
    if use_cache(files, channels, size):
        return load_cached(folder, files, y, class_names, split_seed, channels, size)
    channels, shape, notes = prepare_images(folder, files, channels, size)
    x = np.empty((len(files), *shape), dtype=np.uint8)  # filled one image at a time: no list of N arrays
    lost: list[tuple[str, Sequence[str]]] = []
    for i, f in enumerate(files):
        x[i] = decode_image(f, channels, size, lost)
    return finish_dataset(folder, x, y, 256, class_names, notes + file_notes(lost), split_seed)


def _all_animated(files: list[Path]) -> bool:
    """Whether every file is an animated GIF or WebP: then the folder holds clips, not images (are_clips names
    a still file among mostly animated ones)."""
    try:
        return are_clips(files)
    except UnreadableImage:
        return False  # the image loader names the unreadable file


def _load_clip_folder(folder: Path, files: list[Path], y: np.ndarray | None, class_names: list[str] | None,
                      split_seed: int, channels: int | None, size: tuple[int, int] | None) -> Dataset:
    """Animated GIFs / WebPs, one clip a file, as clips (N, T, C, H, W): all of one length and frame size, grey
    when every frame of every file is grey (or as --channels says), held in memory."""
    if size is not None:
        raise UserError(f"{folder} holds clips: --size resizes images only; save the clips at one size.")
    clips = []
    for f in files:
        try:
            frames = read_animation(f)  # (T, H, W) grey or (T, H, W, 3)
        except UnreadableImage as err:
            raise unreadable(f, err.reason) from None
        if clips and frames.shape[:3] != clips[0].shape[:3]:
            raise UserError(f"Clips differ: {files[0]} has {clips[0].shape[0]} frames of {clips[0].shape[1]}x"
                            f"{clips[0].shape[2]} and {f} {frames.shape[0]} of {frames.shape[1]}x{frames.shape[2]}: "
                            "give every clip the same length and frame size.")
        clips.append(frames)
    colour = any(c.ndim == 4 for c in clips)
    channels = channels or (3 if colour else 1)
    x = np.stack([frames_as_channels(c, channels) for c in clips])  # (N, T, C, H, W)
    return finish_dataset(folder, x, y, 256, class_names, [], split_seed)
