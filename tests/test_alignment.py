"""Monotonic alignment search on constructed cases, and the length regulator's shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from genlab.models.alignment import expand, monotonic_alignment


def _score_for(durations: list[int], noise: float, rng: np.random.Generator) -> np.ndarray:
    """Scores (X, Y) that favour the alignment with these durations, plus noise."""
    y = sum(durations)
    owner = np.repeat(np.arange(len(durations)), durations)  # (Y,)
    score = np.where(np.arange(len(durations))[:, None] == owner[None], 0.0, -3.0)
    return score + noise * rng.standard_normal((len(durations), y))


def test_alignment_search_recovers_the_durations_behind_the_scores():
    rng = np.random.default_rng(0)
    durations = [[2, 3, 1, 4], [1, 1, 5, 2]]
    score = np.full((2, 4, 10), 7.0)  # padding beyond each example's frames must not matter
    for b, d in enumerate(durations):
        score[b, :, : sum(d)] = _score_for(d, 0.5, rng)
    path = monotonic_alignment(score, np.array([4, 4]), np.array([10, 9]))
    assert path[0].sum(1).tolist() == durations[0] and path[1].sum(1).tolist() == durations[1]
    assert path[1, :, 9].sum() == 0  # the padded frame belongs to nobody


@pytest.mark.parametrize("seed", range(5))
def test_any_scores_give_a_monotonic_path_through_every_symbol(seed):
    rng = np.random.default_rng(seed)
    x, y = int(rng.integers(1, 8)), int(rng.integers(8, 20))
    path = monotonic_alignment(rng.standard_normal((1, x, y)) * 5, np.array([x]), np.array([y]))[0]
    assert (path.sum(0) == 1).all() and (path.sum(1) >= 1).all()  # each frame one symbol, each symbol a frame
    owner = path.argmax(0)
    assert owner[0] == 0 and owner[-1] == x - 1 and set(np.diff(owner)) <= {0, 1}
    # it is the best such path: no single move of a boundary scores higher (checked against brute force)
    score = rng.standard_normal((1, 3, 6))
    best = monotonic_alignment(score, np.array([3]), np.array([6]))[0]
    totals = {}
    for a in range(1, 5):
        for b in range(a + 1, 6):
            owner = np.array([0] * a + [1] * (b - a) + [2] * (6 - b))
            totals[(a, b)] = score[0][owner, np.arange(6)].sum()
    assert (score[0] * best).sum() == pytest.approx(max(totals.values()))


def _one_at_a_time(score: np.ndarray, x: int, y: int) -> np.ndarray:
    """The search for one example, written plainly: what the batched search must give for each."""
    value, best = score[:x, :y].astype(np.float64), np.full((x, y), -1e9)
    best[0, 0] = value[0, 0]
    for j in range(1, y):
        for i in range(min(x, j + 1)):
            best[i, j] = value[i, j] + max(best[i, j - 1], best[i - 1, j - 1] if i else -1e9)
    path, i = np.zeros((x, y), np.int64), x - 1
    for j in range(y - 1, -1, -1):
        path[i, j] = 1
        if i > 0 and (i == j or best[i - 1, j - 1] > best[i, j - 1]):
            i -= 1
    return path


def test_the_batched_search_gives_each_example_its_own_path_whatever_the_padding():
    rng = np.random.default_rng(0)
    symbols, frames = np.array([1, 5, 3, 7, 7]), np.array([9, 5, 12, 7, 15])
    score = rng.standard_normal((5, 7, 15)) * 3
    score[2, 3:] = 50.0  # padding rows and frames score high: they must not pull any path
    score[1, :, 5:] = np.nan
    path = monotonic_alignment(score, symbols, frames)
    for b, (x, y) in enumerate(zip(symbols, frames)):
        assert (path[b, :x, :y] == _one_at_a_time(score[b], x, y)).all(), b
        assert path[b].sum() == y  # nothing in the padding


def test_alignment_refuses_fewer_frames_than_symbols():
    with pytest.raises(ValueError, match="2 frames cannot align to 3 symbols"):
        monotonic_alignment(np.zeros((1, 3, 2)), np.array([3]), np.array([2]))


def test_expand_repeats_each_symbol_for_its_duration():
    hidden = torch.arange(2 * 3 * 2, dtype=torch.float32).view(2, 3, 2)  # (B, X, D)
    durations = torch.tensor([[1, 0, 2], [2, 2, 1]])
    out = expand(hidden, durations)
    assert out.shape == (2, 5, 2)
    assert out[0, :, 0].tolist() == [0.0, 4.0, 4.0, 0.0, 0.0]  # symbol 1 skipped, zeros after 3 frames
    assert out[1, :, 0].tolist() == [6.0, 6.0, 8.0, 8.0, 10.0]
    assert expand(hidden, durations, frames=7).shape == (2, 7, 2)


def test_the_alignment_prior_leans_each_frame_towards_its_share_of_the_symbols():
    from genlab.models.tts import alignment_prior

    prior = alignment_prior(torch.tensor([4, 3]), torch.tensor([8, 5]), 4, 8, 1.0)  # (B, Y, X) log-probabilities
    assert prior.shape == (2, 8, 4)
    assert torch.allclose(prior[0].exp().sum(1), torch.ones(8))  # a distribution over the symbols per frame
    assert prior[0].argmax(1).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]  # the diagonal
    assert (prior[1, 5:] == 0).all() and (prior[1, :, 3:] == 0).all()  # padding left alone
