"""Glyphs of moving-digit clips found, cut out and followed (data/tracks.py), and the clip evaluator reading
generated clips glyph by glyph on moving-glyph data."""

from __future__ import annotations

import numpy as np
import pytest

from genlab.data.moving_digits import DIGIT, moving_digits, pair_labels
from genlab.data.tracks import GLYPH, cut, find_glyphs, follow, glyph_crops, tracked


def _pool(n: int = 4, seed: int = 0) -> np.ndarray:
    """Glyphs with every pixel lit: the brightest 28x28 window of a lone glyph is exactly its own."""
    return np.random.default_rng(seed).integers(1, 256, (n, DIGIT, DIGIT)).astype(np.uint8)


def _apart(corners: np.ndarray) -> np.ndarray:
    """(N, T) whether a frame's two glyphs do not overlap."""
    return (np.abs(corners[:, :, 0] - corners[:, :, 1]) >= DIGIT).any(-1)


def test_lone_glyphs_are_found_at_their_corners_and_cut_out_whole():
    pool = _pool()
    clips, chosen, corners = moving_digits(pool, 8, seed=1, frames=6, size=96)  # roomy: glyphs often apart
    frames = clips.reshape(-1, *clips.shape[2:])  # (N * T, 1, 96, 96)
    found = find_glyphs(frames).reshape(8, 6, 2, 2)
    apart = _apart(corners)
    assert apart.sum() > 10  # enough frames to judge by
    for i, t in zip(*np.nonzero(apart)):
        assert {tuple(c) for c in found[i, t]} == {tuple(c) for c in corners[i, t]}
        windows = cut(frames[i * 6 + t][None], found[i, t][None])[0, :, 0]  # (2, 28, 28)
        true = sorted(pool[chosen[i]].tolist())
        assert sorted(w.tolist() for w in windows) == true  # each window is one whole glyph
    assert glyph_crops(frames).shape == (8 * 6 * 2, 1, GLYPH, GLYPH)


def test_following_keeps_each_glyph_in_its_own_channel():
    corners = np.array([[[[0, 0], [30, 30]], [[33, 33], [3, 3]], [[36, 36], [6, 6]]]])  # (1, T=3, 2, 2)
    followed = follow(corners)
    np.testing.assert_array_equal(followed[0, :, 0], [[0, 0], [3, 3], [6, 6]])  # swapped back where found swapped
    np.testing.assert_array_equal(followed[0, :, 1], [[30, 30], [33, 33], [36, 36]])
    pool = _pool()
    clips, chosen, truth = moving_digits(pool, 30, seed=2, frames=8, size=160)
    tracks = tracked(clips)  # (N, T, 2, 28, 28)
    assert tracks.shape == (30, 8, 2, GLYPH, GLYPH) and tracks.dtype == np.uint8
    never_meet = np.nonzero(_apart(truth).all(1))[0]
    assert len(never_meet) >= 2
    for i in never_meet:  # clips whose glyphs never meet: each channel one glyph
        first = [tracks[i, 0, k].tolist() for k in range(2)]
        assert sorted(first) == sorted(pool[chosen[i]].tolist())
        assert all(tracks[i, t, k].tolist() == first[k] for t in range(8) for k in range(2))


def test_tracks_is_a_dataset_of_followed_clips(tmp_path):
    from genlab.data import load_dataset
    from genlab.errors import UserError

    clips, chosen, _ = moving_digits(_pool(), 30, seed=3, frames=5)
    np.savez(tmp_path / "moving.npz", x=clips, y=pair_labels(chosen % 2))
    data = load_dataset("tracks:" + str(tmp_path / "moving.npz"))
    assert data.spec.shape == (5, 2, GLYPH, GLYPH) and data.spec.modality == "video"
    whole = load_dataset(str(tmp_path / "moving.npz"))
    np.testing.assert_array_equal(data.test.x, tracked(whole.test.x))
    np.testing.assert_array_equal(data.test.y, whole.test.y)
    with pytest.raises(UserError, match="not clips"):
        load_dataset("tracks:digits")


def test_generated_clips_of_moving_glyphs_are_read_glyph_by_glyph(tmp_path, monkeypatch):
    from genlab import api
    from genlab.evaluation import clips as evaluator
    from genlab.evaluation import features

    monkeypatch.setattr(features, "MIN_STEPS", 10)
    monkeypatch.setattr(features, "MAX_STEPS", 10)
    pool = _pool(4)
    clips, chosen, _ = moving_digits(pool, 60, seed=4, frames=4)
    np.savez(tmp_path / "moving.npz", x=clips, y=pair_labels(chosen % 2))  # glyph classes 0 and 1
    np.savez(tmp_path / "glyphs.npz", x=np.tile(pool, (10, 1, 1))[:, None], y=np.tile(np.arange(4) % 2, 10))
    monkeypatch.setitem(evaluator.MOVING_GLYPHS, str(tmp_path / "moving.npz"), str(tmp_path / "glyphs.npz"))
    config = api.load_config(None, {"data": {"source": str(tmp_path / "moving.npz")},
                                    "model": {"name": "video", "context": 2, "channels": 4, "hidden": 8},
                                    "training": {"steps": 2, "batch_size": 4}})
    api.train(config, tmp_path / "run", quiet=True)
    run = api.load_run(tmp_path / "run")
    result = api.evaluate(run, samples=6, clips=2)["clips"]
    assert result.glyphs == str(tmp_path / "glyphs.npz") and set(result.quality) == {"frames", "clips"}
    assert all(result.quality[space]["model"].fd > 0 for space in result.quality)
    assert 0 <= result.accuracy["frames"] <= 1 and 0 <= result.accuracy["clips"] <= 1
    text = "\n".join(result.section(api.read_evaluation(run).header).text)
    assert "brightest 28x28 windows" in text and "FVD-like" in text


@pytest.mark.parametrize("shape", [(2, 1, 20, 20)])
def test_frames_smaller_than_a_glyph_are_refused(shape):
    from genlab.errors import UserError

    with pytest.raises(UserError, match="smaller than the 28x28"):
        find_glyphs(np.zeros(shape, np.uint8))
