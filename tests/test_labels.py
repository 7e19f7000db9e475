"""Semi-supervised label handling: exactly k labels per class survive, deterministically, and rebalancing
makes labelled examples about half of what batches draw from."""

from __future__ import annotations

import numpy as np
import pytest

from genlab.data import load_dataset
from genlab.data.labels import HIDDEN, balance_labelled, hide_labels, labelled_only
from genlab.data.spec import Split
from genlab.errors import UserError


def toy_split(n: int = 60, classes: int = 3) -> Split:
    """n 1x2x2 images whose first pixel is the example's index, labels cycling 0..classes-1."""
    x = np.zeros((n, 1, 2, 2), dtype=np.uint8)
    x[:, 0, 0, 0] = np.arange(n)
    return Split(x, np.arange(n, dtype=np.int64) % classes)


def test_hide_labels_keeps_exactly_k_per_class():
    split = toy_split()
    hidden = hide_labels(split, per_class=4, seed=0)
    assert hidden.y.dtype == np.int64 and hidden.x is split.x
    known = hidden.y != HIDDEN
    assert known.sum() == 12
    assert np.array_equal(np.bincount(hidden.y[known]), [4, 4, 4])
    assert np.array_equal(hidden.y[known], split.y[known]), "kept labels must be the true ones"
    assert np.array_equal(split.y, np.arange(60) % 3), "the input split must not change"


def test_hide_labels_is_deterministic_in_the_seed():
    split = toy_split()
    a, b = hide_labels(split, 2, seed=7), hide_labels(split, 2, seed=7)
    assert np.array_equal(a.y, b.y)
    assert not np.array_equal(a.y, hide_labels(split, 2, seed=8).y)


def test_hide_labels_on_digits():
    train = load_dataset("digits").train
    hidden = hide_labels(train, per_class=5, seed=0)
    assert np.array_equal(np.bincount(hidden.y[hidden.y != HIDDEN], minlength=10), [5] * 10)
    assert (hidden.y == HIDDEN).sum() == len(train) - 50


def test_hide_labels_user_errors():
    with pytest.raises(UserError, match="no labels"):
        hide_labels(Split(np.zeros((4, 1, 2, 2), np.uint8)), 1, seed=0)
    with pytest.raises(UserError, match="Class 0 has only 20"):
        hide_labels(toy_split(), 21, seed=0)
    with pytest.raises(UserError, match="Labels per class 0"):
        hide_labels(toy_split(), 0, seed=0)


def test_labelled_only():
    hidden = hide_labels(toy_split(), 3, seed=0)
    only = labelled_only(hidden)
    assert len(only) == 9 and (only.y != HIDDEN).all()
    # Each kept image is the one its label came with (pixel 0 holds the original index).
    assert np.array_equal(only.y, only.x[:, 0, 0, 0] % 3)


def test_balance_makes_labelled_about_half():
    split = hide_labels(toy_split(n=300), per_class=1, seed=0)  # 3 labelled, 297 hidden
    balanced = balance_labelled(split)
    known = balanced.y != HIDDEN
    assert (balanced.y == HIDDEN).sum() == 297, "every hidden example stays, once"
    assert known.sum() == 3 * 99
    assert abs(known.mean() - 0.5) < 0.01
    assert np.array_equal(balanced.x[:300], split.x), "the original examples come first, unchanged"
    assert np.array_equal(balanced.y[known], balanced.x[known, 0, 0, 0] % 3), "copies keep their own labels"


def test_balance_without_hidden_labels_is_unchanged():
    split = toy_split()
    assert balance_labelled(split) is split
    many = hide_labels(toy_split(), per_class=15, seed=0)  # 45 labelled, 15 hidden: already over half
    assert len(balance_labelled(many)) == 60
