"""Sample-quality metrics on feature sets whose answers are known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from genlab.metrics.quality import density_coverage, frechet_distance, kid, precision_recall, sample_quality


def gaussian(n: int, d: int = 16, shift: float = 0.0, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)) + shift  # (n, d)


def test_identical_sets_are_perfect():
    # The *same* array twice: every point lies in its own ball, so precision, recall and coverage are
    # exactly 1; each ball holds itself and its k-1 strictly nearer neighbours (the k-th sits on the
    # boundary, and density counts strictly inside), so density is exactly 1 as well.
    x = gaussian(500)
    assert frechet_distance(x, x) < 1e-6
    assert precision_recall(x, x) == (1.0, 1.0)
    assert density_coverage(x, x) == (1.0, 1.0)


@pytest.mark.parametrize("k", [2, 5])
def test_same_distribution_coverage_is_one_minus_half_to_the_k(k):
    # Two *independent* samples of one distribution (the case Naeem et al. analyse; identical sets give
    # exactly 1 above). A real point is uncovered iff its k nearest among the other 2n-1 points are all
    # real: C(n-1, k) / C(2n-1, k), about 1/2^k. Density's expectation is 1.
    n = 1000
    real, fake = gaussian(n, seed=1), gaussian(n, seed=2)
    expected = 1.0 - np.prod([(n - 1 - i) / (2 * n - 1 - i) for i in range(k)])
    density, coverage = density_coverage(real, fake, k=k)
    assert abs(expected - (1 - 0.5**k)) < 0.002
    assert coverage == pytest.approx(expected, abs=0.02)
    assert density == pytest.approx(1.0, abs=0.1)
    precision, recall = precision_recall(real, fake, k=k)
    assert precision > 0.6 and recall > 0.6


def test_disjoint_sets_score_zero():
    real, fake = gaussian(300, seed=1), gaussian(300, shift=100.0, seed=2)
    assert precision_recall(real, fake) == (0.0, 0.0)
    assert density_coverage(real, fake) == (0.0, 0.0)
    assert frechet_distance(real, fake) == pytest.approx(16 * 100.0**2, rel=0.01)


def test_hand_checked_balls_exclude_the_point_itself():
    # 1-D, k=1. Real radii (nearest *other* real point): 0 -> 1, 1 -> 1, 3 -> 2; fake radii: 9.5 each.
    real, fake = np.array([[0.0], [1.0], [3.0]]), np.array([[0.5], [10.0]])
    assert precision_recall(real, fake, k=1) == (0.5, 1.0)  # 0.5 is in the balls of 0 and 1; 10 in none
    assert density_coverage(real, fake, k=1) == (1.0, pytest.approx(2 / 3))  # (2 + 0) balls / (k * 2); 3 is uncovered


def test_frechet_distance_matches_closed_form():
    # N(0, I) against N(mu, R diag(s^2) R^T): the covariances commute in the eigenbasis of the second,
    # so FD = |mu|^2 + sum (1 - s)^2 = 1 + 1 + 0 + 0.25 = 2.25.
    rng = np.random.default_rng(3)
    mu, s = np.array([1.0, 0.0, 0.0, 0.0]), np.array([2.0, 1.0, 1.0, 0.5])
    rotation, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    real = rng.normal(size=(20000, 4))
    fake = mu + (rng.normal(size=(20000, 4)) * s) @ rotation.T
    assert frechet_distance(real, fake) == pytest.approx(2.25, rel=0.03)


def test_kid_is_near_zero_for_one_distribution_and_positive_for_a_shift():
    real = gaussian(1000, seed=1)
    same_mean, same_std = kid(real, gaussian(1000, seed=2), subsets=5, subset_size=500)
    shifted_mean, shifted_std = kid(real, gaussian(1000, shift=0.5, seed=2), subsets=5, subset_size=500)
    assert abs(same_mean) < 3 * same_std + 0.01
    assert shifted_mean > 0.1 and shifted_mean > 10 * shifted_std
    assert kid(real, real[:50], subset_size=1000)[0] == kid(real, real[:50], subset_size=50)[0]  # size clipped


def test_sample_quality_is_plain_floats():
    out = sample_quality(gaussian(200, seed=1), gaussian(200, seed=2))
    assert set(out) == {"fd", "kid", "kid_std", "precision", "recall", "density", "coverage"}
    assert all(type(v) is float for v in out.values())


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="same D"):
        frechet_distance(gaussian(10, d=3), gaussian(10, d=4))
    with pytest.raises(ValueError, match="at least 4"):
        precision_recall(gaussian(10), gaussian(3), k=3)
    with pytest.raises(ValueError, match="NaN"):
        kid(np.full((5, 2), np.nan), gaussian(5, d=2))


def test_frechet_distance_is_stable_for_rank_deficient_badly_scaled_features():
    """Samples whose features span few directions, at very different scales (a model that collapsed), give a
    finite FD equal to the closed form, not the overflow a general matrix square root can produce."""
    rng = np.random.default_rng(0)
    real = rng.normal(size=(2000, 32))
    fake = np.zeros((2000, 32))
    fake[:, :2] = rng.normal(size=(2000, 2)) * [1e4, 1e-4]  # rank 2, condition number 1e8
    # Closed form: |mu_r - mu_f|^2 ~ 0 plus tr(S_r) + tr(S_f) - 2 sum sqrt(eig(S_r S_f)) with S_r ~ I.
    expected = 32 + 1e8 + 1e-8 - 2 * (1e4 + 1e-4)
    assert frechet_distance(real, fake) == pytest.approx(expected, rel=0.05)
