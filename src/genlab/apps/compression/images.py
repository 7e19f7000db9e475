"""What `genlab compress` reads and `genlab decompress` writes: an image file, a folder of images, or .npy.

Inputs are checked against the model before any coding: shape, channel count and levels must be the ones it
was trained on (lossless), or any RGB size (lossy). Outputs appear whole or not at all.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from genlab.data.image_files import IMAGE_SUFFIXES, decode_image, image_files
from genlab.errors import UserError
from genlab.files import atomic_write, read_numpy, write_npy


def _read_array(path: Path) -> np.ndarray:
    x = read_numpy(path)
    if not isinstance(x, np.ndarray):
        raise UserError(f"{path} is a .npz archive: save the images as one array with numpy.save.")
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or not np.issubdtype(x.dtype, np.integer):
        raise UserError(f"{path} holds a {x.dtype} array of shape {x.shape}: pass integer images (N, H, W) or "
                        "(N, C, H, W).")
    if not len(x):
        raise UserError(f"{path} holds no images: nothing to compress.")
    return x


def read_inputs(path: Path, channels: int, notes: list | None = None
                ) -> tuple[np.ndarray | list[np.ndarray], tuple[str, ...]]:
    """Images from an image file, a folder of images (sorted by name) or a .npy file, and their file names; what
    reading an image lost (alpha, 16 bits, ...) is appended to `notes` as (file name, phrases)."""
    path = Path(path)
    if path.is_dir():
        files = image_files(path)
        if not files:
            raise UserError(f"{path} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}): pass a folder of images.")
        stems = [p.stem for p in files]
        clash = next((p.name for p in files if stems.count(p.stem) > 1), None)
        if clash:  # they would decode to the same NAME.png
            raise UserError(f"{path} holds several images named {Path(clash).stem}.* : rename them apart first.")
        return [decode_image(p, channels, None, notes) for p in files], tuple(p.name for p in files)
    if not path.is_file():
        raise UserError(f"No file or folder at {path}: check the path.")
    if path.suffix.lower() == ".npy":
        return _read_array(path), ()
    return [decode_image(path, channels, None, notes)], (path.name,)


def check_levels(x: np.ndarray, levels: int, where: Path) -> np.ndarray:
    """x as uint8 if every value is a level 0..levels-1 of the model, else a UserError naming the file."""
    if x.size and (x.min() < 0 or x.max() >= levels):
        raise UserError(f"{where} has values {int(x.min())}..{int(x.max())}, but the model codes levels 0..{levels - 1}:"
                        " pass data on the scale the model was trained on.")
    return x.astype(np.uint8)


def write_outputs(images: np.ndarray, names: tuple[str, ...], out: Path) -> None:
    """Images (N, C, H, W) uint8: an .npy path gets the array; a .png path, a single image; any other path
    becomes a new folder of PNGs (the stored names with .png, or 000000.png, ...)."""
    out = Path(out)
    if out.suffix.lower() == ".npy":
        write_npy(out, images)
        return
    if out.suffix.lower() == ".png" and len(images) == 1:
        atomic_write(out, _png_bytes(images[0]))
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"{out} already exists and is not an empty folder: choose a new output folder.")
    names = names or tuple(f"{i:06d}.png" for i in range(len(images)))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        for image, name in zip(images, names):
            (staging / Path(name).with_suffix(".png").name).write_bytes(_png_bytes(image))
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _png_bytes(image: np.ndarray) -> bytes:
    """(C, H, W) levels as PNG bytes: the values themselves (not rescaled), so decoding is exact."""
    pixels = image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="PNG")
    return buffer.getvalue()
