"""How well a split of images into segments matches their true objects: FG-ARI, ARI and mean best overlap.

Segmentations are integer label maps (N, H, W): the true ones say which object each pixel shows (0 is the
background, as in genlab's scene datasets), the predicted ones which slot or cluster won the pixel. The
labels' values mean nothing, so every score here is the same under any relabelling of either map.

- **ARI** (Hubert & Arabie 1985): the adjusted Rand index of two partitions of an image's pixels, 1 for
  the same partition, about 0 for a random one (scikit-learn's `adjusted_rand_score`), mean over images.
- **FG-ARI**: ARI over the foreground pixels only (true label != 0), the object-discovery score of
  IODINE (Greff et al. 2019) and Slot Attention (Locatello et al. 2020, Table 1): how the objects are
  told apart, whatever happens to the background.
  A scene with one visible object scores 1 when that object is one segment (scikit-learn's convention for
  two single-cluster partitions; DeepMind's reference implementation leaves such a scene out as NaN).
- **Mean best overlap** (mBO, Pont-Tuset et al. 2016): for each true object, the best intersection over
  union with any predicted segment, averaged over the objects of all images: whether each object has a
  segment of its own, which ARI does not see when objects are small.

`same_colour_scenes` picks the scenes where two objects share one colour, on which a split by colour alone
(k-means' floor) must fail: FG-ARI over them says whether a model tells such objects apart.
"""

from __future__ import annotations

import numpy as np


def _label_maps(true: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    true, predicted = np.asarray(true), np.asarray(predicted)
    if true.shape != predicted.shape or true.ndim != 3:
        raise ValueError(f"label maps must both be (N, H, W), not {true.shape} and {predicted.shape}")
    n = len(true)
    return true.reshape(n, -1), predicted.reshape(n, -1)  # (N, H * W) each


def ari_per_image(true: np.ndarray, predicted: np.ndarray, *, foreground_only: bool) -> np.ndarray:
    """ARI (N,) of each image's predicted label map against its true one, both (N, H, W); over the
    foreground pixels (true != 0) when `foreground_only`. An image without foreground pixels scores NaN
    there (nothing to split)."""
    from sklearn.metrics import adjusted_rand_score

    true, predicted = _label_maps(true, predicted)
    scores = np.full(len(true), np.nan)
    for i, (t, p) in enumerate(zip(true, predicted)):
        keep = t != 0 if foreground_only else slice(None)
        if t[keep].size:
            scores[i] = adjusted_rand_score(t[keep], p[keep])
    return scores


def mean_best_overlap(true: np.ndarray, predicted: np.ndarray) -> float:
    """Mean over the true objects (labels != 0) of all images of the best IoU with any predicted segment."""
    true, predicted = _label_maps(true, predicted)
    best = []
    for t, p in zip(true, predicted):
        segments = np.unique(p)
        in_segment = p[None, :] == segments[:, None]  # (S, P)
        for label in np.unique(t[t != 0]):
            obj = t == label  # (P,)
            inter = (in_segment & obj).sum(1)  # (S,)
            union = (in_segment | obj).sum(1)
            best.append((inter / union).max())
    return float(np.mean(best)) if best else float("nan")


def segmentation_scores(true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """{"fg_ari", "ari", "mbo"}: the means over images (NaN images, without foreground, left out of FG-ARI)."""
    return {"fg_ari": float(np.nanmean(ari_per_image(true, predicted, foreground_only=True))),
            "ari": float(np.mean(ari_per_image(true, predicted, foreground_only=False))),
            "mbo": mean_best_overlap(true, predicted)}


def same_colour_scenes(images: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Whether each scene (N,) holds two objects of one colour: images (N, C, H, W) of integer levels and their
    true label maps (N, H, W); an object's colour is the median of its visible pixels, per channel."""
    images, true = np.asarray(images), np.asarray(true)
    found = np.zeros(len(true), bool)
    for i, (image, labels) in enumerate(zip(images, true)):
        pixels = image.reshape(image.shape[0], -1)  # (C, H * W)
        flat = labels.reshape(-1)
        colours = [tuple(np.median(pixels[:, flat == label], axis=1)) for label in np.unique(flat[flat != 0])]
        found[i] = len(set(colours)) < len(colours)
    return found
