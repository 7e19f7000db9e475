"""User data: an image folder, or a single .npy / .npz file, turned into a split `Dataset` of uint8 levels.

An image folder too large for memory is decoded once into a memory-mapped disk cache and read from there
(cache.py says when, where, and the GENLAB_FORCE_CACHE / GENLAB_MEMORY_BUDGET variables).

Every problem with the user's files (no images, corrupt file, mixed sizes, wrong shape or dtype, bad
labels) becomes a one-line `UserError` that names the file and the fix. Arrays are read with
`allow_pickle=False`: a dataset from a stranger can never run code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

from genlab.errors import UserError
from genlab.files import read_numpy

from . import cache
from .image_io import UnreadableImage, decode, file_notes, grey_or_rgb_8_bits, probe
from .animations import are_clips, frames_as_channels, read_animation
from .spec import Dataset, DatasetSpec, ExtraSpec
from .splits import slice_splits, split_arrays, split_order, user_split_sizes

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
ARRAY_SUFFIXES = frozenset({".npy", ".npz"})
MIN_EXAMPLES = 10
DECODER_VERSION = 2  # bump when decode_image's pixels change (conversion, resampling): cached folders re-decode
IMAGE_KEYS = ("x", "images")
LABEL_KEYS = ("y", "labels")


def _one_line(text: object) -> str:
    """Collapse whitespace so a third-party error message cannot break the one-line rule."""
    return " ".join(str(text).split())


def _display_name(path: Path) -> str:
    """The folder or file name a dataset is called by (works for '.' and trailing slashes too)."""
    return os.path.basename(os.path.abspath(path))


def _require_examples(path: Path, n: int) -> None:
    """Checked before decoding or scanning values: 10 examples is the least that splits three ways."""
    if n < MIN_EXAMPLES:
        raise UserError(f"{path} has only {n} examples: at least {MIN_EXAMPLES} are needed for train/val/test splits.")


def _spec(
    path: Path, shape: tuple[int, ...], levels: int, class_names: Sequence[str] | None, notes: Sequence[str],
    extras: Sequence[ExtraSpec] = (), modality: str = "image",
) -> DatasetSpec:
    return DatasetSpec(
        name=_display_name(path),
        shape=tuple(int(d) for d in shape),
        levels=levels,
        num_classes=None if class_names is None else len(class_names),
        class_names=None if class_names is None else tuple(class_names),
        notes=tuple(notes),
        modality=modality,
        extras=tuple(extras),
    )


def _finish(
    path: Path,
    x: np.ndarray,
    y: np.ndarray | None,
    levels: int,
    class_names: Sequence[str] | None,
    notes: Sequence[str],
    split_seed: int,
    masks: np.ndarray | None = None,
) -> Dataset:
    """Split checked uint8 images (N, C, H, W) or clips (N, T, C, H, W) (and object masks (N, H, W)) with the
    shared user fractions and wrap them in a Dataset."""
    n_test, n_val = user_split_sizes(len(x))
    extras = None if masks is None else {"masks": masks}
    train, val, test = split_arrays(x, y, n_test=n_test, n_val=n_val, seed=split_seed, extras=extras)
    specs = () if masks is None else (ExtraSpec("masks", masks.shape[1:], "uint8", levels=int(masks.max()) + 1),)
    modality = "video" if x.ndim == 5 else "image"
    return Dataset(_spec(path, x.shape[1:], levels, class_names, notes, specs, modality), train, val, test)


# ---------------------------------------------------------------- image folders


def _is_image(path: Path) -> bool:
    return not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()


def image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if _is_image(p))


def _find_images(folder: Path) -> tuple[list[Path], list[int] | None, list[str] | None]:
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


def _unreadable(path: Path, reason: str) -> UserError:
    return UserError(f"Cannot read image {path} ({reason}): fix or remove the file.")


def _probe(path: Path) -> tuple[int, tuple[int, int]]:
    """An image's channels as the shared reader decodes it (1 grey, 3 colour) and (H, W), from its header."""
    try:
        return probe(path)
    except UnreadableImage as err:
        raise _unreadable(path, err.reason) from None


def decode_image(path: Path, channels: int, size: tuple[int, int] | None,
                 notes: list[tuple[str, Sequence[str]]] | None = None) -> np.ndarray:
    """One image as uint8 (C, H, W), decoded by the shared reader (image_io.decode: every Pillow mode converted
    deliberately), converted to `channels` (Pillow's L or RGB) and resized to `size` (H, W) if given; what was
    lost on the way (alpha, 16 bits, a CMYK profile, ...) is appended to `notes` as (file name, phrases)."""
    try:
        decoded = decode(path)
    except UnreadableImage as err:
        raise _unreadable(path, err.reason) from None
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


def _prepare(
    folder: Path, files: list[Path], channels: int | None, size: tuple[int, int] | None
) -> tuple[int, tuple[int, int, int], list[str]]:
    """(channels, decoded shape (C, H, W), notes) from every image's header, checked before any decoding."""
    counts, sizes = zip(*(_probe(f) for f in files))
    channels, notes = _choose_channels(folder, list(counts), channels)
    if size is None:
        _check_same_size(files, list(sizes))
    h, w = size if size is not None else sizes[0]
    return channels, (channels, h, w), notes


def _decoded_bytes_at_most(files: list[Path], channels: int | None, size: tuple[int, int] | None) -> int:
    """An upper bound on the decoded folder's bytes from the first image alone (colour unless told)."""
    h, w = size if size is not None else _probe(files[0])[1]
    return len(files) * (channels or 3) * h * w


def load_image_folder(
    folder: Path, *, split_seed: int = 0, channels: int | None = None, size: tuple[int, int] | None = None
) -> Dataset:
    """Images directly in `folder` (unlabelled) or in one subfolder per class (labels by sorted name); a folder
    of animated GIFs / WebPs only is clips (video).

    Held in memory, or read from a memory-mapped disk cache when the folder is too large (see cache.py)."""
    try:
        files, labels, class_names = _find_images(folder)
    except OSError as err:  # unreadable folder (permissions, vanished while listing)
        raise UserError(f"Cannot list folder {folder} ({_one_line(err)}): check its permissions.") from err
    _require_examples(folder, len(files))
    y = None if labels is None else np.asarray(labels, dtype=np.int64)
    if _all_animated(files):
        return _load_clip_folder(folder, files, y, class_names, split_seed, channels, size)
    if cache.wanted(lambda: _decoded_bytes_at_most(files, channels, size)):
        return _load_cached(folder, files, y, class_names, split_seed, channels, size)
    channels, shape, notes = _prepare(folder, files, channels, size)
    x = np.empty((len(files), *shape), dtype=np.uint8)  # filled one image at a time: no list of N arrays
    lost: list[tuple[str, Sequence[str]]] = []
    for i, f in enumerate(files):
        x[i] = decode_image(f, channels, size, lost)
    return _finish(folder, x, y, 256, class_names, notes + file_notes(lost), split_seed)


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
            raise _unreadable(f, err.reason) from None
        if clips and frames.shape[:3] != clips[0].shape[:3]:
            raise UserError(f"Clips differ: {files[0]} has {clips[0].shape[0]} frames of {clips[0].shape[1]}x"
                            f"{clips[0].shape[2]} and {f} {frames.shape[0]} of {frames.shape[1]}x{frames.shape[2]}: "
                            "give every clip the same length and frame size.")
        clips.append(frames)
    colour = any(c.ndim == 4 for c in clips)
    channels = channels or (3 if colour else 1)
    x = np.stack([frames_as_channels(c, channels) for c in clips])  # (N, T, C, H, W)
    return _finish(folder, x, y, 256, class_names, [], split_seed)


def _load_cached(
    folder: Path,
    files: list[Path],
    y: np.ndarray | None,
    class_names: list[str] | None,
    split_seed: int,
    channels: int | None,
    size: tuple[int, int] | None,
) -> Dataset:
    """The folder through the disk cache: decoded once in split order, then every split a read-only memmap
    slice. Same examples, labels and splits as the in-memory load."""
    n = len(files)
    n_test, n_val = user_split_sizes(n)
    options = {"channels": channels, "size": None if size is None else list(size), "split_seed": split_seed,
               "decoder": DECODER_VERSION, "pillow": PIL.__version__}
    entry = cache.entry_for(folder, options)
    try:
        key = cache.fingerprint(folder, files, options)
    except OSError as err:  # a file vanished or became unreadable since the listing
        raise UserError(f"Cannot read image {err.filename} ({_one_line(err.strerror)}): fix or remove the file.") from err
    found = cache.read(entry, key)
    how = "read from"
    if found is None:
        chosen, shape, notes = _prepare(folder, files, channels, size)
        order = split_order(n, n_test=n_test, n_val=n_val, seed=split_seed)
        lost: list[tuple[str, Sequence[str]]] = []

        def rows():  # decoded one at a time; what was lost joins the notes after the last (cache.write reads
            # `info` only then: the manifest is written last)
            yield from (decode_image(files[i], chosen, size, lost) for i in order)
            notes.extend(file_notes(lost))

        cache.write(entry, key, (n, *shape), rows(), None if y is None else y[order], {"notes": notes})
        found = cache.read(entry, key)
        if found is None:
            raise RuntimeError(f"the image cache {entry} just written does not read back")
        how = "decoded once into"
    x, y_cached, info = found
    train, val, test = slice_splits(x, y_cached, n_test=n_test, n_val=n_val)
    notes = [*info.get("notes", []), f"{folder} is {how} a memory-mapped cache ({entry}), not held in memory."]
    return Dataset(_spec(folder, x.shape[1:], 256, class_names, notes), train, val, test)


# ---------------------------------------------------------------- .npy / .npz arrays


def _pick(keys: list[str], wanted: tuple[str, ...]) -> str | None:
    return next((k for k in wanted if k in keys), None)


def _read_arrays(path: Path) -> tuple[np.ndarray, np.ndarray | None, str, str | None, np.ndarray | None]:
    """(images, labels or None, where the images are, labels' key, object masks or None) from a .npy / .npz file,
    read once, never unpickling.

    "Where" ("The array in f.npy", "Array 'x' in f.npz") starts the error messages about the images.
    """
    loaded = read_numpy(path)
    if isinstance(loaded, np.ndarray):
        return loaded, None, f"The array in {path}", None, None
    keys = list(loaded)
    if not keys:
        raise UserError(f"{path} holds no arrays: save the images in it as 'x' (labels as 'y').")
    x_key = _pick(keys, IMAGE_KEYS) or (keys[0] if len(keys) == 1 else None)
    if x_key is None:
        raise UserError(f"{path} holds arrays {', '.join(keys)} but none named 'x' or 'images': save the images as 'x'.")
    y_key = _pick([k for k in keys if k != x_key], LABEL_KEYS)
    y = None if y_key is None else loaded[y_key]
    return loaded[x_key], y, f"Array '{x_key}' in {path}", y_key, loaded.get("masks")


def _to_nchw(x: np.ndarray, where: str) -> np.ndarray:
    """(N, H, W), (N, C, H, W) or (N, H, W, C) with C in {1, 3} -> (N, C, H, W)."""
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
        x = np.moveaxis(x, -1, 1)
    elif x.ndim != 4 or x.shape[1] not in (1, 3):
        raise UserError(
            f"{where} has shape {x.shape}: save images as (N, H, W), (N, C, H, W) or (N, H, W, C) "
            "with C = 1 or 3."
        )
    if 0 in x.shape[2:]:
        raise UserError(f"{where} has shape {x.shape}, which holds empty images: save non-empty images.")
    return x


def is_video(x: np.ndarray) -> bool:
    """Whether an array holds clips: five axes (N, T, C, H, W), or four whose second and last are not a
    channel count (N, T, H, W). A (N, 3, H, W) array is three-channel images, never 3-frame clips."""
    return x.ndim == 5 or (x.ndim == 4 and x.shape[1] not in (1, 3) and x.shape[-1] not in (1, 3))


def _to_ntchw(x: np.ndarray, where: str) -> np.ndarray:
    """Clips (N, T, H, W) or (N, T, C, H, W) with C = 1 or 3 -> (N, T, C, H, W)."""
    if x.ndim == 4:
        x = x[:, :, None]
    if x.shape[2] not in (1, 3) or x.shape[1] < 2 or 0 in x.shape[3:]:
        raise UserError(f"{where} has shape {x.shape}: save clips as (N, T, H, W) or (N, T, C, H, W) with C = 1 or "
                        "3, at least 2 frames each.")
    return x


def _to_levels(x: np.ndarray, path: Path, where: str) -> tuple[np.ndarray, int, list[str]]:
    """(uint8 levels, number of levels, notes) from bool, integer, or float-in-[0, 1] images."""
    kind = x.dtype.kind
    if kind == "b":
        return x.astype(np.uint8), 2, []
    if kind in "iu":
        lo, hi = int(x.min()), int(x.max())
        if lo < 0 or hi > 255:
            raise UserError(
                f"{where} ranges over {lo}..{hi}: integer images must be levels in 0..255."
            )
        return x.astype(np.uint8), max(hi + 1, 2), []
    if kind == "f":
        if not np.isfinite(x).all():
            raise UserError(f"{where} contains NaN or infinite values: remove or fix them.")
        if x.min() < 0 or x.max() > 1:
            raise UserError(
                f"{where} holds floats in {float(x.min()):g}..{float(x.max()):g}: "
                "floats must be in [0, 1], or save integer levels 0..255."
            )
        levels = np.rint(x.astype(np.float64) * 255).astype(np.uint8)
        return levels, 256, [f"Float values in {path} quantised to 256 levels."]
    raise UserError(
        f"{where} has dtype {x.dtype}: save images as integers 0..255, booleans, or floats in [0, 1]."
    )


def _check_labels(y: np.ndarray, n: int, path: Path, name: str) -> tuple[np.ndarray, list[str]]:
    """Labels as int64 (N,) and their class names '0'..'K-1'."""
    if y.ndim != 1 or len(y) != n:
        raise UserError(f"Labels '{name}' in {path} have shape {y.shape}: save one label per image, shape ({n},).")
    if y.dtype.kind not in "iu" or (n and y.min() < 0):
        raise UserError(f"Labels '{name}' in {path} must be non-negative integers: save them with .astype(int).")
    y = y.astype(np.int64)
    return y, [str(i) for i in range(int(y.max()) + 1)]


def _checked_masks(masks: np.ndarray | None, path: Path, x: np.ndarray) -> np.ndarray | None:
    """The .npz file's object masks (N, H, W) uint8 for images x (N, C, H, W), or None: per pixel the object it
    shows, 0 the background (what genlab evaluate scores a slots run against)."""
    if masks is None:
        return None
    n, _, h, w = x.shape
    if masks.shape != (n, h, w) or masks.dtype.kind not in "iu" or (masks.size and (masks.min() < 0 or masks.max() > 255)):
        raise UserError(f"Array 'masks' in {path} is {masks.dtype} of shape {masks.shape}: save one label map per "
                        f"image, integers 0 (background) to 255 of shape ({n}, {h}, {w}).")
    if not masks.any():
        raise UserError(f"Array 'masks' in {path} marks no object (every pixel is 0, the background): label each "
                        "object's pixels 1, 2, ...")
    return _contiguous_labels(masks)


def _contiguous_labels(masks: np.ndarray) -> np.ndarray:
    """Each image's object labels renumbered 1..k in their order (0, the background, kept), as uint8: what a
    label means is only which pixels share it, and the largest label then counts the objects of a scene."""
    out = np.zeros(masks.shape, np.uint8)
    for i, mask in enumerate(masks):
        labels = np.unique(mask[mask != 0])
        out[i] = np.searchsorted(np.concatenate([[0], labels]), mask)
    return out


def load_array_file(path: Path, *, split_seed: int = 0) -> Dataset:
    """Images (and optional labels and object masks) from a .npy file or a .npz file with keys x / images,
    y / labels and masks; or clips (N, T, H, W) or (N, T, C, H, W) (`is_video`), with optional labels."""
    x, y, where, y_key, masks = _read_arrays(path)
    video = is_video(x)
    x = _to_ntchw(x, where) if video else _to_nchw(x, where)
    _require_examples(path, len(x))
    masks = None if video else _checked_masks(masks, path, x)
    x, levels, notes = _to_levels(x, path, where)
    class_names = None
    if y is not None:
        y, class_names = _check_labels(y, len(x), path, y_key or "labels")
    return _finish(path, np.ascontiguousarray(x), y, levels, class_names, notes, split_seed, masks)
