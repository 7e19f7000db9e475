"""The diffusion family: schedule, forward process, decoder, bound, DDIM/DDPM sampling, latents, guidance."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from genlab.data import load_dataset
from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.diffusion import (
    MAX_BETA,
    Diffusion,
    cosine_alpha_bar,
    diffuse,
    discretised_gaussian_log_prob,
    strata,
)
from genlab.models.interpolation import slerp
from genlab.models.registry import build_model

GREY = DatasetSpec("grey17", (1, 8, 8), 17)
LABELLED = DatasetSpec("rgb256", (3, 12, 10), 256, num_classes=3, class_names=("a", "b", "c"))


def make(spec: DatasetSpec = GREY, **options) -> Diffusion:
    torch.manual_seed(0)
    return build_model("diffusion", spec, {"channels": 8, "timesteps": 20} | options).eval()


def scrambled(model: Diffusion) -> Diffusion:
    """Give the zero-initialised layers random weights, so the untrained network's prediction depends on
    its input (at initialisation it is 0 everywhere, which makes many checks vacuous)."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            if not p.any():
                p.copy_(0.3 * torch.randn(p.shape, generator=gen) / math.sqrt(max(p[0].numel(), 1)))
    return model


def images(spec: DatasetSpec, n: int = 4, seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, spec.levels, (n, *spec.shape), generator=gen)


# --- schedule and forward process ------------------------------------------------------------------


@pytest.mark.parametrize("timesteps", [20, 1000])
def test_cosine_schedule_falls_from_one_to_zero(timesteps):
    ab = cosine_alpha_bar(timesteps)
    assert ab.shape == (timesteps + 1,) and ab[0] == 1
    assert (ab[1:] < ab[:-1]).all(), "ᾱ_t must strictly decrease"
    assert ab[1] > (0.99 if timesteps == 20 else 0.9999)
    assert ab[-1] < 1e-4
    betas = 1 - ab[1:] / ab[:-1]
    assert betas.max() <= MAX_BETA + 1e-12 and betas.min() > 0
    # Nichol & Dhariwal's offset: at T=1000 sqrt(β_1) is just below one 8-bit bin (2/255).
    if timesteps == 1000:
        assert math.sqrt(betas[0]) < 2 / 255


def test_forward_process_has_the_right_noise_level():
    ab = cosine_alpha_bar(1000)
    torch.manual_seed(0)
    x0 = torch.full((20000, 1, 1, 1), 0.6)
    for t in (1, 300, 700, 1000):
        xt = diffuse(x0, ab[t].expand(len(x0)), torch.randn_like(x0))
        assert xt.mean().item() == pytest.approx(math.sqrt(ab[t]) * 0.6, abs=0.03)
        assert xt.var().item() == pytest.approx(1 - ab[t].item(), rel=0.05, abs=1e-6)


def test_strata_partition_the_steps():
    for steps, k in [(1000, 20), (20, 19), (20, 5), (3, 2), (1000, 999)]:
        edges = strata(steps, k)
        assert len(edges) == k + 1 and edges[0] == 1 and edges[-1] == steps + 1
        assert all(b > a for a, b in zip(edges, edges[1:]))


# --- the discretised Gaussian decoder ------------------------------------------------------------------


@pytest.mark.parametrize("levels", [2, 17, 256])
@pytest.mark.parametrize("mean, std", [(0.0, 0.5), (-1.0, 0.004), (0.37, 1e-3), (1.0, 0.1), (-0.9, 3.0)])
def test_decoder_is_a_distribution_over_the_levels(levels, mean, std):
    x = torch.arange(levels).view(levels, 1, 1, 1)  # every level once
    logp = discretised_gaussian_log_prob(x, torch.full(x.shape, mean), std, levels)
    assert torch.isfinite(logp).all() and (logp <= 0).all()
    assert torch.logsumexp(logp, 0).item() == pytest.approx(0.0, abs=1e-9)


def test_decoder_is_stable_far_in_the_tails():
    x = torch.tensor([0, 128, 255]).view(3, 1, 1, 1)
    logp = discretised_gaussian_log_prob(x, torch.full(x.shape, 0.9), 1e-3, 256)
    assert torch.isfinite(logp).all()
    assert logp[0] < -1e5  # level 0 is 1.9 / 1e-3 standard deviations away


# --- the bound ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [GREY, DatasetSpec("binary", (1, 7, 9), 2), LABELLED], ids=lambda s: s.name)
def test_full_bound_of_an_untrained_model_is_finite_and_not_positive(spec):
    model = scrambled(make(spec))
    x = images(spec)
    result = model.log_prob(x, timesteps=None)
    assert result.bound == "vlb"
    assert result.nats.shape == (4,) and torch.isfinite(result.nats).all() and (result.nats <= 0).all()


def test_kl_weights_are_those_of_the_ddpm_posterior():
    """KL(q(x_{t-1}|x_t,x_0) || p) = c_t² ||x_0 - x̂_0||² / (2 β̃_t), with c_t the weight of x_0 in the
    posterior mean (Ho et al. eq. 7), for every t >= 2."""
    model = make(timesteps=50)
    ab = model.alpha_bar
    beta = 1 - ab[1:] / ab[:-1]  # beta[t - 1] = β_t
    for t in range(2, 51):
        posterior_var = beta[t - 1] * (1 - ab[t - 1]) / (1 - ab[t])
        coef = ab[t - 1].sqrt() * beta[t - 1] / (1 - ab[t])
        assert model.kl_weight[t].item() == pytest.approx((coef**2 / (2 * posterior_var)).item(), rel=1e-9)


def test_monte_carlo_bound_is_unbiased():
    model = scrambled(make())
    x = images(GREY, n=2)
    torch.manual_seed(0)
    # Each row of a batch draws its own noise and steps: repeats of two images are independent estimates.
    full = model.log_prob(x.repeat(100, 1, 1, 1), timesteps=None).nats.view(100, 2)
    mc = model.log_prob(x.repeat(1000, 1, 1, 1), timesteps=4)
    assert mc.bound == "vlb-mc4"
    estimates = mc.nats.view(1000, 2)
    error = (full.var(0) / 100 + estimates.var(0) / 1000).sqrt()
    assert ((estimates.mean(0) - full.mean(0)).abs() < 4 * error).all(), (estimates.mean(0), full.mean(0), error)
    assert model.log_prob(x, timesteps=20).bound == "vlb"  # K >= T is the full sum


def test_the_training_bpd_estimates_the_bound():
    """loss()["bpd"] is T times one random term plus the prior: on average the full bound."""
    model = scrambled(make())
    x = images(GREY, n=2)
    torch.manual_seed(0)
    full = -model.log_prob(x.repeat(100, 1, 1, 1), timesteps=None).nats.mean().item() / (GREY.dims * math.log(2))
    with torch.no_grad():  # rows draw their own steps and noise; one row's estimate has sd ~9 bits/dim here
        logged = np.mean([model.loss({"x": x.repeat(1000, 1, 1, 1)})["bpd"].item() for _ in range(4)])
    assert logged == pytest.approx(full, abs=0.75)  # 5 standard errors


# --- sampling and latents --------------------------------------------------------------------------------


def test_ddim_is_deterministic_given_its_starting_noise():
    model = scrambled(make())
    torch.manual_seed(3)
    z = torch.randn(5, GREY.dims)
    torch.manual_seed(3)
    x = model.sample(5)
    assert torch.equal(model.decode(z), x), "DDIM sampling must only use the noise of x_T"
    torch.manual_seed(99)
    assert torch.equal(model.decode(z), x)
    assert x.min() >= 0 and x.max() <= GREY.levels - 1


def test_ddpm_sampling_is_stochastic_and_reproducible():
    model = scrambled(make())
    torch.manual_seed(0)
    a = model.sample(4, method="ddpm")
    torch.manual_seed(0)
    assert torch.equal(model.sample(4, method="ddpm"), a)
    torch.manual_seed(0)
    few = model.sample(4, method="ddpm", steps=5)
    assert few.shape == a.shape and not torch.equal(few, a)
    with pytest.raises(UserError, match="--method 'euler' is not a diffusion sampler: use ddim or ddpm"):
        model.sample(2, method="euler")


def test_encode_decode_round_trip():
    """With v-prediction every DDIM step is well conditioned (x_s = A x_t + B v̂ with |A|, |B| <= 1), so even
    a random network inverts almost exactly. With ε-prediction the top steps multiply any change of ε̂
    over a step by up to sqrt(ᾱ_s / ᾱ_t) ~ 30, so for an untrained ε network only determinism holds."""
    x = images(GREY)
    model = scrambled(make(timesteps=100))
    z = model.encode(x, steps=20)
    assert z.shape == (4, GREY.dims) and torch.isfinite(z).all()
    assert (model.decode(z, steps=20) - x).abs().float().mean() < 0.1  # levels out of 0..16

    eps = scrambled(make(timesteps=100, prediction="eps"))
    z = eps.encode(x)
    assert torch.equal(eps.encode(x), z)
    assert torch.equal(eps.decode(z), eps.decode(z))


def test_slerp_interpolates_on_the_sphere():
    """The one slerp (models/interpolation.py): rows of a and b (B, D) at fractions t (T,) -> (B, T, D)."""
    a, b = torch.tensor([[3.0, 0.0]]), torch.tensor([[0.0, 3.0]])
    path = slerp(a, b, torch.tensor([0.0, 0.5, 1.0]))
    assert path.shape == (1, 3, 2)
    assert torch.allclose(path[:, 0], a, atol=1e-6) and torch.allclose(path[:, 2], b, atol=1e-6)
    mid = path[:, 1]
    assert torch.allclose(mid.norm(dim=-1), torch.tensor([3.0]))
    assert torch.allclose(mid, torch.tensor([[3 / math.sqrt(2), 3 / math.sqrt(2)]]))
    parallel = slerp(a, a, torch.tensor([0.3]))  # parallel latents: no division by zero
    assert torch.isfinite(parallel).all() and torch.allclose(parallel[:, 0], a, atol=1e-4)


def test_slerp_walks_between_ddim_latents():
    """Images (B, C, H, W) flatten to latent rows; each path starts and ends at its pair's latents."""
    model = scrambled(make())
    z = model.encode(images(GREY))  # (4, D)
    path = slerp(z[0::2], z[1::2], torch.linspace(0, 1, 5))  # (2, 5, D)
    assert path.shape == (2, 5, z.shape[1])
    assert torch.allclose(path[:, 0], z[0::2], atol=1e-4) and torch.allclose(path[:, -1], z[1::2], atol=1e-4)
    norms = path.norm(dim=-1)  # (2, 5): between the ends' norms, not dipping towards 0 as a straight line does
    assert (norms >= norms[:, [0, -1]].min(1, keepdim=True).values * 0.99).all()
    assert model.decode(path.reshape(-1, z.shape[1])).shape == (10, *GREY.shape)


# --- conditioning and guidance -------------------------------------------------------------------------------


def test_guidance_zero_is_the_plain_conditional_sample():
    model = scrambled(make(LABELLED, conditional=True))
    seen = []
    model.net.label_emb.register_forward_hook(lambda _m, args, _out: seen.append(args[0].clone()))
    labels = torch.tensor([0, 1, 2])
    torch.manual_seed(0)
    plain = model.sample(3, labels)
    assert all(torch.equal(y, labels) for y in seen), "guidance 0 must never ask the unconditional model"
    torch.manual_seed(0)
    assert torch.equal(model.sample(3, labels, guidance=0.0), plain)
    torch.manual_seed(0)
    seen.clear()
    assert not torch.equal(model.sample(3, labels, guidance=3.0), plain)
    assert all(torch.equal(y, torch.tensor([0, 1, 2, 3, 3, 3])) for y in seen)  # with the null class 3
    torch.manual_seed(0)
    assert torch.equal(model.sample(3), plain), "without labels a conditional model samples the classes in turn"


def test_guided_noise_mixes_conditional_and_unconditional():
    model = scrambled(make(LABELLED, conditional=True))
    x, labels = torch.randn(2, *LABELLED.shape), torch.tensor([1, 2])
    t = torch.full((2,), 7)
    cond, uncond = model._output(x, t, labels), model._output(x, t, torch.full((2,), 3))
    assert torch.allclose(model._guided_output(x, 7, labels, 2.0), 3 * cond - 2 * uncond, atol=1e-5)


def test_labels_drop_to_the_null_class_in_training():
    model = make(LABELLED, conditional=True, p_uncond=0.5)
    seen = []
    model.net.label_emb.register_forward_hook(lambda _m, args, _out: seen.append(args[0].clone()))
    model.train()({"x": images(LABELLED, n=64), "y": torch.zeros(64, dtype=torch.long)})
    dropped = (seen[0] == 3).float().mean().item()
    assert 0.3 < dropped < 0.7 and set(seen[0].tolist()) <= {0, 3}


def test_guidance_needs_a_conditional_model_and_labels_need_p_uncond():
    with pytest.raises(UserError, match=r"^--guidance applies only to conditional diffusion runs \(train with "
                       r"--conditional\): drop it\.$"):
        make().sample(2, guidance=1.0)
    strict = make(LABELLED, conditional=True, p_uncond=0.0)
    with pytest.raises(ValueError, match="p_uncond"):
        strict.log_prob(images(LABELLED))
    assert strict.log_prob(images(LABELLED), torch.tensor([0, 1, 2, 0])).nats.shape == (4,)


# --- shapes, options and checkpoints ------------------------------------------------------------


@pytest.mark.parametrize("spec", [DatasetSpec("odd", (1, 7, 9), 2), DatasetSpec("rgb", (3, 5, 13), 256),
                                  DatasetSpec("wide", (1, 9, 30), 17)], ids=lambda s: s.name)
def test_any_size_trains_samples_and_inverts(spec):
    model = make(spec).train()
    model({"x": images(spec)})["loss"].backward()
    assert all(p.grad is not None for p in model.parameters())
    model.eval()
    x = images(spec)
    assert model.sample(2, steps=3).shape == (2, *spec.shape)
    assert model.decode(model.encode(x, steps=3), steps=3).shape == x.shape


@pytest.mark.parametrize("options", [{"timesteps": 1}, {"p_uncond": 1.0}, {"channels": 0}, {"blocks": 0},
                                     {"sample_steps": 0}, {"dropout": 1.0}])
def test_out_of_range_options_are_user_errors(options):
    with pytest.raises(UserError):
        build_model("diffusion", GREY, options)


def test_schedule_is_not_saved_with_the_weights():
    assert not any("alpha_bar" in k or "kl_weight" in k for k in make().state_dict())


# --- it learns -------------------------------------------------------------------------------------------------


def test_a_short_training_run_on_digits_learns():
    """40 steps on 8x8 digits: the prediction error falls, the bound improves on the untrained one, and
    DDIM inversion of validation images decodes back to them."""
    data = load_dataset("digits")
    torch.manual_seed(0)
    model = build_model("diffusion", data.spec, {"channels": 8, "timesteps": 30})
    x_val = torch.from_numpy(data.val.x[:16]).long()
    torch.manual_seed(0)
    before = -model.eval().log_prob(x_val, timesteps=None).nats.mean().item()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(0)
    mse = []
    for _ in range(40):
        idx = torch.randint(0, len(data.train), (64,), generator=gen)
        out = model.train()({"x": torch.from_numpy(data.train.x[idx.numpy()]).long()})
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
        mse.append(out["mse"].item())
    model.eval()
    torch.manual_seed(0)
    after = -model.log_prob(x_val, timesteps=None).nats.mean().item()
    assert np.mean(mse[-10:]) < 0.8 * np.mean(mse[:10])
    assert after < 0.85 * before, (before, after)
    z = model.encode(x_val[:8])
    assert (model.decode(z) - x_val[:8]).abs().float().mean() < 0.5  # levels out of 0..16
