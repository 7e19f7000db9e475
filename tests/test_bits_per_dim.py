"""Bits/dim in one place, and the discrete output heads are true probability distributions."""

from __future__ import annotations

import math

import pytest
import torch

from genlab.data.spec import DatasetSpec
from genlab.models.batched import log_likelihood
from genlab.models.likelihoods import CategoricalHead, LogisticMixtureHead, make_head
from genlab.models.registry import build_model
from genlab.units import bits_per_dim

# ---------------------------------------------------------------- the conversion


def test_uniform_categorical_over_17_levels_is_log2_17_bits_per_dim():
    dims, levels = 64, 17
    nats = dims * math.log(levels)
    assert bits_per_dim(nats, dims) == pytest.approx(math.log2(levels), rel=1e-12)


@pytest.mark.parametrize("dims", [1, 64, 784, 3 * 12 * 10])
def test_one_bit_per_dim(dims):
    assert bits_per_dim(dims * math.log(2), dims) == pytest.approx(1.0, rel=1e-12)


def test_bits_per_dim_accepts_numpy_and_tensor_scalars():
    """The one conversion keeps its input's kind: a float or numpy scalar gives a number, a tensor a tensor
    (so a training loss stays differentiable); JSON and metrics wrap it in float()."""
    import numpy as np

    nats = 64 * math.log(256)
    for value in (nats, np.float64(nats), np.float32(nats)):
        result = bits_per_dim(value, 64)
        assert not torch.is_tensor(result)
        assert float(result) == pytest.approx(8.0, rel=1e-6)
    tensor = torch.tensor(nats, dtype=torch.float64, requires_grad=True)
    result = bits_per_dim(tensor, 64)
    assert torch.is_tensor(result) and result.requires_grad
    assert result.item() == pytest.approx(8.0, rel=1e-6)


def _uniform_vae(levels: int) -> torch.nn.Module:
    """A tiny VAE whose decoder outputs all-zero logits (a uniform categorical) and whose posterior is the
    prior (mu = 0, log_var = 0): its ELBO and IWAE bound are exactly -dims * ln(levels)."""
    spec = DatasetSpec("uniform", (1, 8, 8), levels)
    model = build_model("vae", spec, {"channels": 8, "latent_dim": 4, "likelihood": "categorical"})
    with torch.no_grad():
        last_dec = model.decoder.to_params[-1]
        last_dec.weight.zero_()
        last_dec.bias.zero_()
        last_enc = model.to_posterior
        last_enc.weight.zero_()
        last_enc.bias.zero_()
    return model.eval()


@pytest.mark.parametrize("k", [1, 5])
def test_untrained_vae_with_uniform_logits_scores_log2_levels_bits_per_dim(k):
    levels, dims = 17, 64
    model = _uniform_vae(levels)
    x = torch.randint(0, levels, (6, 1, 8, 8), generator=torch.Generator().manual_seed(0))
    nats, bound = log_likelihood(model, x.numpy().astype("uint8"), seed=0, k=k)
    assert bound == ("elbo" if k == 1 else f"iwae-{k}")
    assert nats.shape == (6,)
    assert nats == pytest.approx(-dims * math.log(levels), rel=1e-5)
    assert bits_per_dim(-nats.mean(), dims) == pytest.approx(math.log2(levels), rel=1e-5)


# ---------------------------------------------------------------- the heads sum to one


def _all_levels_log_prob(head, params: torch.Tensor, levels: int) -> torch.Tensor:
    """log p(level) for every level and every pixel: params (P, K, 1, 1) -> (L, P)."""
    p = params.shape[0]
    rows = [head.log_prob(params, torch.full((p, 1, 1, 1), level, dtype=torch.long)) for level in range(levels)]
    return torch.stack(rows)


def _random_params(pixels: int, per_channel: int, scale: float, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return scale * torch.randn(pixels, per_channel, 1, 1, generator=gen)


@pytest.mark.parametrize("levels", [2, 17, 256])
@pytest.mark.parametrize("scale", [0.3, 1.0, 3.0])
def test_logistic_mixture_probabilities_sum_to_one(levels, scale):
    head = LogisticMixtureHead(channels=1, levels=levels, mixtures=5)
    params = _random_params(64, head.params_per_channel, scale, seed=levels)
    logp = _all_levels_log_prob(head, params, levels)
    assert torch.isfinite(logp).all()
    assert (logp <= 1e-5).all()
    total = torch.logsumexp(logp.double(), dim=0)
    assert torch.allclose(total, torch.zeros_like(total), atol=1e-4), total.abs().max()


@pytest.mark.parametrize("levels", [2, 17, 256])
def test_logistic_mixture_sums_to_one_for_extreme_params(levels):
    """Means far outside [-1, 1] and the sharpest allowed scale put the mass on an end level."""
    head = LogisticMixtureHead(channels=1, levels=levels, mixtures=2)
    # (P, 3 * M): mixture logits, means, log-scales for M = 2 components.
    params = torch.tensor(
        [
            [0.0, 0.0, 5.0, -5.0, -20.0, -20.0],  # one component far above, one far below, very sharp
            [3.0, -3.0, 0.0, 0.0, -7.0, -7.0],  # sharp, centred
            [0.0, 0.0, 0.3, -0.7, 4.0, 4.0],  # very wide
            [10.0, -10.0, 1.0, -1.0, -9.0, -9.0],  # on the top level exactly, below the clamp
        ]
    ).view(4, 6, 1, 1)
    logp = _all_levels_log_prob(head, params, levels)
    assert torch.isfinite(logp).all()
    total = torch.logsumexp(logp.double(), dim=0)
    assert torch.allclose(total, torch.zeros_like(total), atol=1e-4), total


@pytest.mark.parametrize("levels", [2, 17, 256])
@pytest.mark.parametrize("scale", [1.0, 10.0])
def test_categorical_probabilities_sum_to_one(levels, scale):
    head = CategoricalHead(channels=1, levels=levels)
    params = _random_params(64, head.params_per_channel, scale, seed=levels)
    logp = _all_levels_log_prob(head, params, levels)
    total = torch.logsumexp(logp.double(), dim=0)
    assert torch.allclose(total, torch.zeros_like(total), atol=1e-5), total.abs().max()


@pytest.mark.parametrize("kind", ["categorical", "logistic_mixture"])
@pytest.mark.parametrize("levels", [2, 17, 256])
def test_multichannel_log_prob_is_sum_over_sub_pixels(kind, levels):
    """log p of a (C, H, W) image is the sum of its sub-pixels' log p (the heads factorise per sub-pixel)."""
    head = make_head(kind, channels=3, levels=levels, mixtures=3)
    gen = torch.Generator().manual_seed(1)
    params = torch.randn(2, 3 * head.params_per_channel, 2, 3, generator=gen)
    x = torch.randint(0, levels, (2, 3, 2, 3), generator=gen)
    whole = head.log_prob(params, x)
    assert whole.shape == (2,)
    per = head.params_per_channel
    parts = torch.zeros(2)
    for c in range(3):
        single = make_head(kind, channels=1, levels=levels, mixtures=3)
        for i in range(2):
            for j in range(3):
                parts += single.log_prob(params[:, c * per : (c + 1) * per, i : i + 1, j : j + 1],
                                         x[:, c : c + 1, i : i + 1, j : j + 1])
    assert torch.allclose(whole, parts, atol=1e-4)


@pytest.mark.parametrize("kind", ["categorical", "logistic_mixture"])
@pytest.mark.parametrize("levels", [2, 17, 256])
def test_head_samples_and_means_are_levels(kind, levels):
    head = make_head(kind, channels=2, levels=levels, mixtures=3)
    torch.manual_seed(0)
    params = 3 * torch.randn(5, 2 * head.params_per_channel, 4, 3)
    for out in (head.sample(params), head.sample(params, temperature=0.5), head.mean(params)):
        assert out.shape == (5, 2, 4, 3)
        assert out.dtype == torch.long
        assert out.min() >= 0 and out.max() <= levels - 1
