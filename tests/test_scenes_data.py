"""Multi-object scenes (genlab.data.scenes): Tetrominoes and Multi-dSprites with instance masks.

Everything draws a few dozen scenes directly; the 60,000-scene built-ins are only looked at, never loaded.
"""

from __future__ import annotations

import numpy as np
import pytest

from genlab.data import builtin, scenes
from genlab.data.builtin import BUILTINS


def _expected_image(masks: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """What a scene must look like given its masks (n, H, W) and colours by label (n, L, 3)."""
    return palette[np.arange(len(masks))[:, None, None], masks].transpose(0, 3, 1, 2)


def _rotated(cells: frozenset) -> frozenset:
    """A tetromino turned a quarter, moved back to the top left of its box."""
    turned = [(c, -r) for r, c in cells]
    r0, c0 = min(r for r, _ in turned), min(c for _, c in turned)
    return frozenset((r - r0, c - c0) for r, c in turned)


# ---------------------------------------------------------------- tetrominoes

def test_the_19_tetromino_variants_are_distinct_four_cell_pieces_closed_under_rotation() -> None:
    variants = [frozenset(cells) for cells in scenes.TETROMINOES]
    assert len(variants) == len(set(variants)) == 19
    for cells in variants:
        assert len(cells) == 4
        linked = {next(iter(cells))}  # grow along edges: all four cells are one piece
        while grown := {(r + dr, c + dc) for r, c in linked for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0))
                        if (r + dr, c + dc) in cells} - linked:
            linked |= grown
        assert linked == cells
        assert _rotated(cells) in set(variants)
    orbits = {frozenset({v, _rotated(v), _rotated(_rotated(v)), _rotated(_rotated(_rotated(v)))}) for v in variants}
    assert sorted(len(o) for o in orbits) == [1, 2, 2, 2, 4, 4, 4]  # O; I, S, Z; T, J, L


def test_tetromino_masks_cover_exactly_the_pieces_which_never_overlap() -> None:
    x, masks = scenes.tetrominoes(50, seed=0)
    assert x.shape == (50, 3, 35, 35) and masks.shape == (50, 35, 35)
    assert x.dtype == masks.dtype == np.uint8
    np.testing.assert_array_equal(x.any(axis=1), masks > 0)
    for scene, mask in zip(x, masks):
        for label in (1, 2, 3):
            rows, cols = np.nonzero(mask == label)
            assert len(rows) == 4 * 25  # every block of every piece is visible: nothing overlaps
            assert rows.max() - rows.min() < 20 and cols.max() - cols.min() < 20
            colours = np.unique(scene[:, rows, cols].T, axis=0)
            assert len(colours) == 1 and (colours[0] == scenes.PIECE_COLOURS).all(axis=1).any()


def test_tetrominoes_are_fixed_by_the_seed() -> None:
    first, again, other = scenes.tetrominoes(8, 3), scenes.tetrominoes(8, 3), scenes.tetrominoes(8, 4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[1], other[1])


# ---------------------------------------------------------------- multi-dSprites

@pytest.mark.parametrize("coloured", [False, True])
def test_multi_dsprites_pixels_are_the_background_or_the_visible_sprite(coloured: bool) -> None:
    params = scenes.sample_sprites(40, seed=1, coloured_background=coloured)
    x, masks = scenes.multi_dsprites(40, seed=1, coloured_background=coloured)
    assert x.shape == (40, 3, 64, 64) and masks.shape == (40, 64, 64) and x.dtype == masks.dtype == np.uint8
    palette = np.concatenate([params["background"][:, None], params["colour"]], axis=1)  # (n, 6, 3)
    np.testing.assert_array_equal(x, _expected_image(masks, palette))
    assert (masks.max(axis=(1, 2)) <= params["count"]).all()
    assert (masks > 0).any(axis=(1, 2)).all()
    contrast = np.abs(params["colour"].astype(int) - params["background"][:, None].astype(int)).max(axis=2)
    assert (contrast >= scenes.MIN_CONTRAST).all()
    grey = (params["background"] == params["background"][:, :1]).all(axis=1)
    assert grey.all() if not coloured else not grey.any()


def test_later_sprites_occlude_earlier_ones_and_a_hidden_sprite_has_no_pixels() -> None:
    big, small = 1.0, 0.5

    def draw(scales: list[float]) -> np.ndarray:
        k = len(scales)
        _, masks = scenes.draw_sprites(count=[k], shape=[[0] * k], scale=[scales], orientation=[[0.3] * k],
                                       centre_x=[[0.5] * k], centre_y=[[0.45] * k],
                                       colour=[[[255, 0, 0], [0, 255, 0]][:k]], background=[[0, 0, 0]])
        return masks[0]

    big_alone, small_alone = draw([big]) > 0, draw([small]) > 0
    assert small_alone.sum() > 0 and (big_alone & small_alone).sum() == small_alone.sum()
    on_top = draw([big, small])  # the small square drawn over the big one
    np.testing.assert_array_equal(on_top == 2, small_alone)
    np.testing.assert_array_equal(on_top == 1, big_alone & ~small_alone)
    hidden = draw([small, big])  # the big square covers the small one entirely
    assert (hidden == 1).sum() == 0
    np.testing.assert_array_equal(hidden == 2, big_alone)


def test_multi_dsprites_draw_two_to_five_sprites_and_are_fixed_by_the_seed() -> None:
    counts = scenes.sample_sprites(400, seed=0)["count"]
    assert set(counts.tolist()) == {2, 3, 4, 5}
    first, again, other = scenes.multi_dsprites(8, 5), scenes.multi_dsprites(8, 5), scenes.multi_dsprites(8, 6)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_multi_dsprites_at_32_pixels_draw_the_same_scenes_smaller() -> None:
    params = scenes.sample_sprites(12, seed=2)
    x, masks = scenes.multi_dsprites(12, seed=2, size=32)
    assert x.shape == (12, 3, 32, 32) and masks.shape == (12, 32, 32)
    palette = np.concatenate([params["background"][:, None], params["colour"]], axis=1)
    np.testing.assert_array_equal(x, _expected_image(masks, palette))
    _, big = scenes.multi_dsprites(12, seed=2, size=64)
    coarse = big.reshape(12, 32, 2, 32, 2)[:, :, 0, :, 0]  # every other pixel of 64x64 (not the same centres)
    assert (coarse == masks).mean() > 0.9


# ---------------------------------------------------------------- built-ins

def test_builtin_specs_carry_instance_masks_without_loading() -> None:
    for name, size, objects in (("tetrominoes", 35, 3), ("multi-dsprites", 64, 5), ("multi-dsprites-color", 64, 5)):
        entry = BUILTINS[name]
        spec = entry.spec
        assert (spec.shape, spec.levels, spec.num_classes) == ((3, size, size), 256, None)
        masks = spec.extra("masks")
        assert (masks.shape, masks.dtype, masks.levels) == ((size, size), "uint8", objects + 1)
        assert (entry.size, entry.n_test, entry.n_val) == (60_000, 2_000, 1_000)
    assert BUILTINS["tetrominoes"].at_size is None
    for name in ("multi-dsprites", "multi-dsprites-color"):
        assert BUILTINS[name].drawn_sizes == (64, 32)
        small = BUILTINS[name].at_size(32)
        assert small.spec.shape == (3, 32, 32) and small.spec.extra("masks").shape == (32, 32)


def test_scenes_are_drawn_into_the_disk_cache_once_and_read_back(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path))
    monkeypatch.setattr(builtin, "SCENES_EXAMPLES", 20)
    builtin._scenes_cached.cache_clear()
    try:
        x, y, extras = builtin._scenes_cached("multi-dsprites", 32)
        assert y is None and x.shape == (20, 3, 32, 32) and extras["masks"].shape == (20, 32, 32)
        assert (tmp_path / "scenes" / "multi-dsprites-32-v1.masks.npy").exists()
        builtin._scenes_cached.cache_clear()
        x2, _, extras2 = builtin._scenes_cached("multi-dsprites", 32)  # from disk this time
        assert isinstance(x2, np.memmap) and not x2.flags.writeable and not extras2["masks"].flags.writeable
        np.testing.assert_array_equal(x2, x)
        np.testing.assert_array_equal(extras2["masks"], extras["masks"])
    finally:
        builtin._scenes_cached.cache_clear()
