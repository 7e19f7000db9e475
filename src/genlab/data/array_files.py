"""A user's single .npy / .npz file of images or clips (with optional labels and object masks) as a split
`Dataset` of uint8 levels.

The file is read once with `allow_pickle=False` (a dataset from a stranger can never run code), then every
array is checked before use: the images' shape ((N, H, W), (N, C, H, W) or (N, H, W, C); clips (N, T, H, W)
or (N, T, C, H, W)), their dtype and range (integers 0..255, booleans, or floats in [0, 1], quantised to
256 levels), one non-negative integer label per image, and one label map per image for the masks. Each
problem becomes a one-line `UserError` that names the array, the file and the fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.errors import UserError
from genlab.files import read_numpy

from .spec import Dataset
from .user_datasets import finish_dataset, require_examples

ARRAY_SUFFIXES = frozenset({".npy", ".npz"})
IMAGE_KEYS = ("x", "images")
LABEL_KEYS = ("y", "labels")


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
    require_examples(path, len(x))
    masks = None if video else _checked_masks(masks, path, x)
    x, levels, notes = _to_levels(x, path, where)
    class_names = None
    if y is not None:
        y, class_names = _check_labels(y, len(x), path, y_key or "labels")
    return finish_dataset(path, np.ascontiguousarray(x), y, levels, class_names, notes, split_seed, masks)
