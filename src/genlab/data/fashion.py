"""Fashion-MNIST (Xiao et al. 2017) from Debian's `dataset-fashion-mnist` package: 60,000 training and 10,000
test 28x28 grey pictures of clothes in 10 classes, as IDX files (the MNIST format) under FOLDER. genlab reads
them where the package puts them; nothing is downloaded. `make fashion-data` installs the package."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from genlab.errors import UserError

FOLDER = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
IDX_TYPES = {0x08: np.uint8}  # the IDX element types genlab reads (unsigned bytes: pixels and labels)


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzipped or not): magic 0, 0, type, dimensions; big-endian sizes; then the elements."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise UserError(f"{path} is not an IDX file of bytes: reinstall dataset-fashion-mnist.")
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    data = np.frombuffer(raw, IDX_TYPES[raw[2]], offset=4 + 4 * dims)
    if data.size != int(np.prod(shape)):
        raise UserError(f"{path} holds {data.size} values for shape {shape}: reinstall dataset-fashion-mnist.")
    return data.reshape(shape)


def load_fashion(folder: Path = FOLDER) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"train": (x (60000, 1, 28, 28) uint8, y (60000,) int64), "test": (x, y)}, or a UserError saying how to
    install the package."""
    if not (folder / "train-images-idx3-ubyte.gz").is_file():
        raise UserError(f"Fashion-MNIST is not at {folder}: run make fashion-data (it installs Debian's "
                        "dataset-fashion-mnist).")
    out = {}
    for split, stem in (("train", "train"), ("test", "t10k")):
        x = read_idx(folder / f"{stem}-images-idx3-ubyte.gz")
        y = read_idx(folder / f"{stem}-labels-idx1-ubyte.gz")
        out[split] = (x[:, None].copy(), y.astype(np.int64))
    return out
