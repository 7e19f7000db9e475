"""The image files of a user's folder, and each one decoded to training pixels.

Which files count as images (by suffix), how a folder's layout labels them (loose images are unlabelled,
one subfolder per class is labelled by sorted name), what their headers say (channels, size: checked for
the whole folder before any decoding, so a mixed folder fails fast), and one image decoded by the shared
reader (image_io.py) and converted to the chosen channels and size. The loaders (image_folders.py in
memory, cached_folders.py through the disk cache) and the apps that take image files share these, so an
image reads the same wherever it comes in. A problem with a file is a one-line `UserError` naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from genlab.errors import UserError

from .image_io import UnreadableImage, decode, grey_or_rgb_8_bits, probe

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})


def _is_image(path: Path) -> bool:
    return not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if _is_image(p))


def find_images(folder: Path) -> tuple[list[Path], list[int] | None, list[str] | None]:
    """(files, labels, class names): loose images are unlabelled; one subfolder per class is labelled."""
    loose = image_files(folder)
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    classes = [(d.name, files) for d in subfolders if (files := image_files(d))]
    if loose and classes:
        raise UserError(
            f"{folder} mixes loose images (e.g. {loose[0].name}) with class subfolders (e.g. {classes[0][0]}): "
            "put every image in a class subfolder, or none."
        )
    if loose:
        return loose, None, None
    if not classes:
        raise UserError(
            f"No images found in {folder}: put .png/.jpg/.bmp/.gif/.webp/.tif images in it, "
            "or in one subfolder per class (recordings for speech go in an LJSpeech folder: metadata.csv with "
            "id|text lines and wavs/ID.wav)."
        )
    files = [f for _, class_files in classes for f in class_files]
    labels = [i for i, (_, class_files) in enumerate(classes) for _ in class_files]
    return files, labels, [name for name, _ in classes]


def unreadable(path: Path, reason: str) -> UserError:
    return UserError(f"Cannot read image {path} ({reason}): fix or remove the file.")


def probe_image(path: Path) -> tuple[int, tuple[int, int]]:
    """An image's channels as the shared reader decodes it (1 grey, 3 colour) and (H, W), from its header."""
    try:
        return probe(path)
    except UnreadableImage as err:
        raise unreadable(path, err.reason) from None


def decode_image(path: Path, channels: int, size: tuple[int, int] | None,
                 notes: list[tuple[str, Sequence[str]]] | None = None) -> np.ndarray:
    """One image as uint8 (C, H, W), decoded by the shared reader (image_io.decode: every Pillow mode converted
    deliberately), converted to `channels` (Pillow's L or RGB) and resized to `size` (H, W) if given; what was
    lost on the way (alpha, 16 bits, a CMYK profile, ...) is appended to `notes` as (file name, phrases)."""
    try:
        decoded = decode(path)
    except UnreadableImage as err:
        raise unreadable(path, err.reason) from None
    colour, lost = grey_or_rgb_8_bits(decoded, "training images are grey or RGB")
    im = Image.fromarray(colour[0] if len(colour) == 1 else colour.transpose(1, 2, 0))
    if len(colour) != channels:
        im = im.convert("L" if channels == 1 else "RGB")
    if size is not None:
        im = im.resize((size[1], size[0]), Image.Resampling.BICUBIC)
    if notes is not None:
        notes.append((path.name, lost))
    arr = np.asarray(im, dtype=np.uint8)
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


def _choose_channels(folder: Path, counts: list[int], channels: int | None) -> tuple[int, list[str]]:
    """The requested channel count, else the images' majority (ties keep colour), with a note if mixed."""
    if channels is not None:
        return channels, []
    n_gray, n_colour = counts.count(1), counts.count(3)
    chosen = 3 if n_colour >= n_gray else 1
    if n_gray and n_colour:
        return chosen, [f"Mixed channels in {folder}: using {chosen} (the majority); pass --channels 1 or 3 to choose."]
    return chosen, []


def _check_same_size(files: list[Path], sizes: list[tuple[int, int]]) -> None:
    for f, s in zip(files, sizes):
        if s != sizes[0]:
            raise UserError(
                f"Images differ in size: {files[0]} is {sizes[0][0]}x{sizes[0][1]} but {f} is {s[0]}x{s[1]} (HxW); "
                "pass --size HxW to resize them all."
            )


def prepare_images(
    folder: Path, files: list[Path], channels: int | None, size: tuple[int, int] | None
) -> tuple[int, tuple[int, int, int], list[str]]:
    """(channels, decoded shape (C, H, W), notes) from every image's header, checked before any decoding."""
    counts, sizes = zip(*(probe_image(f) for f in files))
    channels, notes = _choose_channels(folder, list(counts), channels)
    if size is None:
        _check_same_size(files, list(sizes))
    h, w = size if size is not None else sizes[0]
    return channels, (channels, h, w), notes
