"""Photographs bundled with scikit-image, scikit-learn and matplotlib: training crops for learned image
codecs, and the six held-out photos every codec is evaluated on.

The six evaluation photos (astronaut, coffee, chelsea, rocket, immunohistochemistry, hubble_deep_field) never
enter training; scikit-image's `cat` is the same photo as `chelsea`, so it is out too. Everything else that
ships as a photograph (colour or grey; grey is repeated into three channels) is cut into 128x128 RGB crops.
Large photos are first shrunk to at most 768 pixels a side (the scale of the evaluation photos), and each
photo is also cut at half that size, so the codec sees both fine texture and whole objects per crop.
Crops overlap by half; validation and test crops therefore share content with training crops, so the honest
codec figures are those on the six evaluation photos (`genlab bench compression`). The list below fixes the
dataset: adding a photo changes every split, so runs trained before are not comparable on val/test crops.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

CROP = 128
STRIDE = 64
LONGEST_SIDE = 768

# scikit-image data files used for training: photographs and scanned pages, no synthetic pictures.
SKIMAGE_TRAINING = ("motorcycle_left.png", "motorcycle_right.png", "retina.jpg", "camera.png", "brick.png",
                    "grass.png", "gravel.png", "coins.png", "moon.png", "page.png", "text.png",
                    "clock_motion.png", "cell.png")
SKLEARN_TRAINING = ("china.jpg", "flower.jpg")
MATPLOTLIB_TRAINING = ("grace_hopper.jpg",)

# The evaluation photos, by scikit-image loader name (scikit-image's `cat` is `chelsea`).
EVALUATION_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry", "hubble_deep_field")


def _training_files() -> list[Path]:
    import matplotlib
    import skimage.data
    import sklearn.datasets

    skimage_root = Path(skimage.data.__file__).parent
    sklearn_root = Path(sklearn.datasets.__file__).parent / "images"
    matplotlib_root = Path(matplotlib.get_data_path()) / "sample_data"
    return ([skimage_root / name for name in SKIMAGE_TRAINING] + [sklearn_root / name for name in SKLEARN_TRAINING]
            + [matplotlib_root / name for name in MATPLOTLIB_TRAINING])


def _crops(image: Image.Image) -> list[np.ndarray]:
    """Every CROP x CROP window at STRIDE, as (3, CROP, CROP) uint8."""
    pixels = np.asarray(image)  # (H, W, 3)
    h, w, _ = pixels.shape
    return [pixels[i : i + CROP, j : j + CROP].transpose(2, 0, 1)
            for i in range(0, h - CROP + 1, STRIDE) for j in range(0, w - CROP + 1, STRIDE)]


def _scaled(image: Image.Image, factor: float) -> Image.Image:
    w, h = image.size
    return image.resize((max(1, round(w * factor)), max(1, round(h * factor))), Image.Resampling.LANCZOS)


@lru_cache(maxsize=1)
def training_crops() -> np.ndarray:
    """All training crops (N, 3, 128, 128) uint8, in a fixed order; read-only."""
    crops: list[np.ndarray] = []
    for path in _training_files():
        with Image.open(path) as opened:
            image = opened.convert("RGB")
        image = _scaled(image, min(1.0, LONGEST_SIDE / max(image.size)))
        crops += _crops(image)
        crops += _crops(_scaled(image, 0.5))
    x = np.stack(crops)
    x.flags.writeable = False
    return x


def load_photos() -> tuple[np.ndarray, None]:
    return training_crops(), None


def evaluation_photo(name: str) -> np.ndarray:
    """One of the six evaluation photos as (3, H, W) uint8 RGB."""
    import skimage.data

    pixels = getattr(skimage.data, name)()
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    return np.ascontiguousarray(pixels[..., :3].transpose(2, 0, 1)).astype(np.uint8)


# More lossless photographs, from the `sporco` wheel (install it with `pip install --no-deps sporco`; it is
# read by path, never imported). monarch is Set14's monarch. Held out of every training set, as the six above.
SPORCO_PHOTOS = ("monarch", "barbara", "kodim23", "sail", "tulips")
SUPERRES_PHOTOS = SPORCO_PHOTOS + EVALUATION_PHOTOS  # the eleven `genlab bench superres` measures on


def sporco_photo(name: str) -> np.ndarray:
    """One of sporco's photos as (3, H, W) uint8 RGB; a UserError naming the install command if it is absent."""
    import importlib.util

    from genlab.errors import UserError

    spec = importlib.util.find_spec("sporco")
    path = Path(spec.origin).parent / "data" / f"{name}.png" if spec and spec.origin else None
    if path is None or not path.is_file():
        raise UserError(f"Photo {name} comes with the sporco wheel, which is not installed: run "
                        "`pip install --no-deps sporco` (or `make install`).")
    with Image.open(path) as opened:
        return np.ascontiguousarray(np.asarray(opened.convert("RGB")).transpose(2, 0, 1))


def held_out_photo(name: str) -> np.ndarray:
    """Any held-out photo by name (the six of scikit-image or the five of sporco) as (3, H, W) uint8 RGB."""
    return sporco_photo(name) if name in SPORCO_PHOTOS else evaluation_photo(name)
