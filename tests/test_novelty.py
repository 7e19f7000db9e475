"""Copy detection: exact training images are caught, new images are not, and the picture shows them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from genlab.metrics.novelty import nearest_neighbours, novelty
from genlab.media.neighbours import save_nearest_pairs

LEVELS = 16


def images(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, LEVELS, size=(n, 1, 8, 8))  # (n, 1, 8, 8)


def test_nearest_neighbours_finds_the_row_and_exact_zero():
    ref = np.random.default_rng(0).normal(size=(50, 5))
    dist, index = nearest_neighbours(ref[[7, 3]] + [[0.0], [1e-3]], ref)
    assert index.tolist() == [7, 3] and dist[0] == 0.0 and dist[1] == pytest.approx(1e-3 * np.sqrt(5))
    with pytest.raises(ValueError, match="same D|\\(N, D\\)"):
        nearest_neighbours(ref[:, :4], ref)


def test_copies_are_flagged_and_new_images_are_not():
    train, test = images(200, seed=1), images(100, seed=2)
    samples = np.concatenate([train[[5, 17, 42]], images(47, seed=3)])  # 3 copies, then 47 new images
    result = novelty(samples, train, test, levels=LEVELS)
    summary = result.summary()
    json.dumps(summary)
    assert summary["exact_copies"] == 3 and result.nearest_index[:3].tolist() == [5, 17, 42]
    assert result.flagged[:3].all()
    # New images are exchangeable with the test images, so about 1% may fall under their 1st percentile.
    assert result.flagged[3:].mean() <= 0.05
    assert 0 < summary["threshold"] < summary["median_test_distance"]

    fresh = novelty(images(50, seed=4), train, test, levels=LEVELS).summary()
    assert fresh["exact_copies"] == 0 and fresh["share_below_threshold"] <= 0.05


def test_exact_copies_flagged_even_when_the_threshold_is_zero():
    # Two test images duplicate training images, so the 1st percentile of 100 test distances is 0.
    train = images(200, seed=1)
    test = np.concatenate([train[:2], images(98, seed=2)])
    samples = np.concatenate([train[[9]], images(9, seed=3)])
    summary = novelty(samples, train, test, levels=LEVELS).summary()
    assert summary["threshold"] == 0.0
    assert summary["exact_copies"] == 1 and summary["share_below_threshold"] == pytest.approx(0.1)


def test_mismatched_shapes_raise():
    with pytest.raises(ValueError, match="one image shape"):
        novelty(images(5, 0), images(5, 1)[..., :7], images(5, 2), levels=LEVELS)


def test_nearest_pairs_picture(tmp_path):
    train, test = images(200, seed=1), images(100, seed=2)
    samples = np.concatenate([images(10, seed=3), train[[5, 17]]])
    result = novelty(samples, train, test, levels=LEVELS)
    path = tmp_path / "pairs.png"
    save_nearest_pairs(samples, train, result.nearest_index, result.sample_distances, LEVELS, path, count=4,
                       pairs_per_row=2)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    picture = np.asarray(Image.open(path).convert("RGB"))
    # 2 rows of 2 pairs: 4 columns of 8x8 cells with 1-pixel padding, upscaled 6x (grid_image's 48-pixel cell).
    assert picture.shape == ((2 * 9 + 1) * 6, (4 * 9 + 1) * 6, 3)
    red = (picture[..., 0] == 255) & (picture[..., 1] == 0) & (picture[..., 2] == 0)
    assert red[: 9 * 6 + 6].any() and not red[9 * 6 + 6 :].any()  # the two copies come first (row one), framed
