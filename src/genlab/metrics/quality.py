"""Sample quality from feature arrays: Fréchet distance, KID, and the k-NN manifold metrics (PRDC).

Pure functions of two (N, D) feature sets, real and generated, in float64 and without torch, so any
feature extractor (a trained classifier's penultimate layer, raw pixels, molecule descriptors) is scored
the same way. The numbers are comparable only between runs that used the same features.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

_BLOCK_ELEMENTS = 1 << 22  # distances held at once: 4M float64 = 32 MB, whatever the set sizes


def _features(real, fake, min_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Both sets as float64 (N, D) arrays, or a ValueError that says what is wrong with them."""
    real, fake = np.asarray(real, dtype=np.float64), np.asarray(fake, dtype=np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake features must be (N, D) arrays with the same D; got {real.shape} and {fake.shape}.")
    if min(len(real), len(fake)) < min_points:
        raise ValueError(f"need at least {min_points} real and {min_points} fake points; got {len(real)} and {len(fake)}.")
    if not (np.isfinite(real).all() and np.isfinite(fake).all()):
        raise ValueError("features contain NaN or infinity; check the feature extractor.")
    return real, fake


def _distance_blocks(a: np.ndarray, b: np.ndarray):
    """Yield (row slice, exact Euclidean distances (B, len(b))) over row blocks of `a`, bounded in memory.

    cdist computes each pair's distance the same way in every block, so a pair that appears in two passes
    (a set against itself, then against an identical set) compares equal: ties at a k-NN radius stay ties.
    """
    step = max(1, _BLOCK_ELEMENTS // len(b))
    for start in range(0, len(a), step):
        rows = slice(start, start + step)
        yield rows, cdist(a[rows], b)


def _kth_neighbour_distances(x: np.ndarray, ks: list[int]) -> np.ndarray:
    """(K, N): each row's distance to its k-th nearest *other* row, for each k (the point itself is excluded)."""
    out = np.empty((len(ks), len(x)))
    for rows, d in _distance_blocks(x, x):  # d: (B, N); each row's own zero sits at sorted position 0
        out[:, rows] = np.partition(d, ks, axis=1)[:, ks].T
    return out


def _psd_sqrt(s: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix (D, D), negative rounding noise clipped."""
    values, vectors = np.linalg.eigh(s)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two (N, D) feature sets.

    |mu_r - mu_f|^2 + tr(S_r + S_f - 2 (S_r S_f)^(1/2)). This is FD in whatever features are passed in
    (genlab's own, not Inception-v3's), so never report it as FID. The trace of the root is taken from the
    eigenvalues of the symmetric S_r^(1/2) S_f S_r^(1/2) (same spectrum as S_r S_f), which stays stable when
    the covariances are singular or badly conditioned, where a general matrix square root can blow up.
    """
    real, fake = _features(real, fake, min_points=2)
    mu_r, mu_f = real.mean(axis=0), fake.mean(axis=0)  # (D,)
    s_r, s_f = np.atleast_2d(np.cov(real, rowvar=False)), np.atleast_2d(np.cov(fake, rowvar=False))  # (D, D)
    root_r = _psd_sqrt(s_r)
    middle = root_r @ s_f @ root_r
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)).sum()
    diff = mu_r - mu_f
    fd = diff @ diff + np.trace(s_r) + np.trace(s_f) - 2.0 * trace_root
    return max(float(fd), 0.0)  # rounding can leave -1e-12 for identical sets


def kid(real: np.ndarray, fake: np.ndarray, *, subsets: int = 10, subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Kernel distance (mean, std over random subsets): unbiased MMD^2 with k(x, y) = (x.y / D + 1)^3.

    The name comes from Bińkowski et al. 2018 ("KID"); the features are ours, not Inception's. Unlike FD it
    is unbiased, so it is comparable across sample sizes and hovers around 0 for the same distribution.
    """
    real, fake = _features(real, fake, min_points=2)
    if subsets < 1 or subset_size < 2:
        raise ValueError(f"kid needs subsets >= 1 and subset_size >= 2; got {subsets} and {subset_size}.")
    m, dim = min(subset_size, len(real), len(fake)), real.shape[1]
    rng = np.random.default_rng(seed)
    values = np.empty(subsets)
    for s in range(subsets):
        x = real[rng.choice(len(real), m, replace=False)]  # (m, D)
        y = fake[rng.choice(len(fake), m, replace=False)]  # (m, D)
        k_xx, k_yy, k_xy = ((a @ b.T / dim + 1.0) ** 3 for a, b in ((x, x), (y, y), (x, y)))  # (m, m) each
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))  # diagonals left out
        values[s] = within - 2.0 * k_xy.mean()
    return float(values.mean()), float(values.std())


def _manifold_metrics(real: np.ndarray, fake: np.ndarray, ks: list[int]) -> dict[int, dict[str, float]]:
    """Precision, recall, density and coverage for each k, from one pass over the real-fake distances.

    Precision/recall (Kynkäänniemi et al. 2019) count a point inside a ball when its distance is <= the
    radius; density/coverage (Naeem et al. 2020) use <, as both papers' reference code does.
    """
    real_r = _kth_neighbour_distances(real, ks)[:, None, :]  # (K, 1, N)
    fake_r = _kth_neighbour_distances(fake, ks)  # (K, M)
    inside, counted = np.zeros(len(ks)), np.zeros(len(ks))  # (K,)
    recalled = np.zeros((len(ks), len(real)), dtype=bool)  # (K, N)
    nearest_fake = np.full(len(real), np.inf)  # (N,)
    for rows, d in _distance_blocks(fake, real):  # d: (B, N)
        inside += (d <= real_r).any(axis=2).sum(axis=1)
        counted += (d < real_r).sum(axis=(1, 2))
        recalled |= (d <= fake_r[:, rows, None]).any(axis=1)
        nearest_fake = np.minimum(nearest_fake, d.min(axis=0))
    covered = (nearest_fake < real_r[:, 0]).mean(axis=1)  # (K,)
    return {
        k: {"precision": inside[i] / len(fake), "recall": recalled[i].mean(),
            "density": counted[i] / (k * len(fake)), "coverage": covered[i]}
        for i, k in enumerate(ks)
    }


def _checked_manifold_metrics(real, fake, ks: list[int]) -> dict[int, dict[str, float]]:
    if min(ks) < 1:
        raise ValueError(f"k must be at least 1; got {min(ks)}.")
    real, fake = _features(real, fake, min_points=max(ks) + 1)
    return _manifold_metrics(real, fake, ks)


def precision_recall(real: np.ndarray, fake: np.ndarray, *, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) from k-NN balls around each point.

    Precision: share of fake points inside some real point's ball (radius = distance to its k-th nearest
    other real point) — are samples realistic? Recall: the same with the roles swapped — is the real
    variety reproduced?
    """
    m = _checked_manifold_metrics(real, fake, [k])[k]
    return float(m["precision"]), float(m["recall"])


def density_coverage(real: np.ndarray, fake: np.ndarray, *, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020): outlier-robust replacements for precision and recall.

    Density: how many real balls contain each fake point on average, divided by k (about 1 when the
    distributions match, above 1 when samples crowd dense regions). Coverage: share of real points whose
    ball contains at least one fake point; two independent samples of one distribution give 1 - 1/2^k.
    """
    m = _checked_manifold_metrics(real, fake, [k])[k]
    return float(m["density"]), float(m["coverage"])


def sample_quality(real: np.ndarray, fake: np.ndarray, *, seed: int = 0) -> dict[str, float]:
    """All of the above with default settings, as plain floats for evaluation.json."""
    pr_k, dc_k = 3, 5  # the defaults of precision_recall and density_coverage
    manifold = _checked_manifold_metrics(real, fake, [pr_k, dc_k])
    kid_mean, kid_std = kid(real, fake, seed=seed)
    return {
        "fd": frechet_distance(real, fake), "kid": kid_mean, "kid_std": kid_std,
        "precision": float(manifold[pr_k]["precision"]), "recall": float(manifold[pr_k]["recall"]),
        "density": float(manifold[dc_k]["density"]), "coverage": float(manifold[dc_k]["coverage"]),
    }
