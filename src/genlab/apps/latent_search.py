"""Bayesian optimisation in a latent space: where to look next for a higher score, given the codes scored so
far (Gomez-Bombarelli et al. 2018 searched a molecule VAE's latent space this way).

A Gaussian process (scikit-learn; Matern 5/2 kernel on the codes, a noise term, the scores standardised)
is fitted to every (code, score) seen; candidates are drawn around the best codes found and from the
prior N(0, I), and the `n` with the highest expected improvement over the best score are proposed. Codes
whose decoding failed a constraint are given the lowest score seen, so the process learns to avoid them.
Pure numpy and scikit-learn: the model that decodes and the objective that scores live with the caller.
"""

from __future__ import annotations

import warnings

import numpy as np

POOL = 4000  # candidate codes scored by the process per proposal
ELITE = 16  # the best codes seen, around which most candidates are drawn
SPREAD = 0.3  # the candidates' standard deviation around an elite code (the prior's is 1)


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: float, margin: float = 0.01) -> np.ndarray:
    """E[max(0, f - best - margin)] for f ~ N(mean, std^2), per candidate (N,)."""
    from scipy.stats import norm

    std = np.maximum(std, 1e-9)
    gain = mean - best - margin
    u = gain / std
    return gain * norm.cdf(u) + std * norm.pdf(u)


def propose(codes: np.ndarray, scores: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n new codes (n, D) to score next, given the codes seen (N, D) and their scores (N,) (NaN: failed)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    ok = np.isfinite(scores)
    if not ok.any():  # nothing scored yet: explore the prior
        return rng.standard_normal((n, codes.shape[1]))
    y = np.where(ok, scores, scores[ok].min())  # (N,) failures as the worst seen
    dim = codes.shape[1]
    kernel = ConstantKernel(1.0) * Matern(length_scale=np.sqrt(dim), nu=2.5) + WhiteKernel(0.1)
    process = GaussianProcessRegressor(kernel, normalize_y=True, random_state=int(rng.integers(2**31)))
    with warnings.catch_warnings():  # a noise level at its bound is a fine fit for exact scores
        warnings.simplefilter("ignore", ConvergenceWarning)
        process.fit(codes, y)
    elite = codes[ok][np.argsort(-scores[ok])[:ELITE]]  # (E, D)
    near = elite[rng.integers(len(elite), size=3 * POOL // 4)] + SPREAD * rng.standard_normal((3 * POOL // 4, dim))
    pool = np.concatenate([near, rng.standard_normal((POOL - len(near), dim))])  # (POOL, D)
    mean, std = process.predict(pool, return_std=True)
    return pool[np.argsort(-expected_improvement(mean, std, float(y.max())))[:n]]
