"""The classical floor for object discovery: k-means on each image's pixels, by colour and position.

Nothing is learnt from a dataset: every image is clustered on its own into k segments, each pixel a point
(r, g, b, w * y, w * x) with colours and coordinates on [0, 1]. Objects of one flat colour on a flat
background are what this finds well; occlusion, shading, two objects of one colour, or an object split by
another are where it fails. What a learnt decomposition scores above it is what learning adds.
"""

from __future__ import annotations

import numpy as np


def kmeans_segments(images: np.ndarray, levels: int, k: int, *, position_weight: float = 0.5,
                    seed: int = 0) -> np.ndarray:
    """Label maps (N, H, W) int64 in 0..k-1 for images (N, C, H, W) of integer levels, each clustered on
    its own (scikit-learn's KMeans, 3 restarts, `seed`)."""
    from sklearn.cluster import KMeans

    images = np.asarray(images)
    n, c, h, w = images.shape
    ys, xs = np.meshgrid(np.linspace(0, 1, h), np.linspace(0, 1, w), indexing="ij")  # (H, W) each
    position = position_weight * np.stack([ys.ravel(), xs.ravel()], axis=1)  # (H * W, 2)
    labels = np.zeros((n, h * w), np.int64)
    for i, image in enumerate(images):
        colour = image.reshape(c, -1).T / (levels - 1)  # (H * W, C) on [0, 1]
        points = np.concatenate([colour, position], axis=1)  # (H * W, C + 2)
        labels[i] = KMeans(k, n_init=3, random_state=seed).fit_predict(points)
    return labels.reshape(n, h, w)
