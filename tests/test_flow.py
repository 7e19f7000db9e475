"""The flow family: exact invertibility, log-determinants against brute-force Jacobians, an honest
discrete bound, data-dependent actnorm, and a short training that learns."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch.autograd.functional import jacobian

from genlab import api
from genlab.config import load_config
from genlab.data import load_dataset
from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.flow import (
    MAX_LOG_SHRINK,
    MAX_LOG_STD,
    ActNorm,
    AffineCoupling,
    Flow,
    InvConv1x1,
    SplitPrior,
    TopPrior,
    VariationalDequantizer,
    logit,
    squeeze,
    unsqueeze,
)
from genlab.models.registry import build_model

TINY = {"channels": 8, "scales": 2, "steps_per_scale": 2}


def perturbed(module: torch.nn.Module, std: float = 0.2) -> torch.nn.Module:
    """Move every parameter off its (often zero) initial value, so no layer is the identity."""
    torch.manual_seed(1)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(std * torch.randn_like(p))
    return module


def flow(shape: tuple[int, int, int], levels: int = 17, classes: int | None = None, **options) -> Flow:
    torch.manual_seed(0)
    spec = DatasetSpec("t", shape, levels, classes, tuple("abc"[:classes]) if classes else None)
    return build_model("flow", spec, TINY | options)


def brute_force_logdet(f, x: torch.Tensor) -> torch.Tensor:
    """log|det J| of f at one example x (1, ...), from the full Jacobian of the flattened map."""
    flat = lambda v: f(v.view_as(x)).flatten()  # noqa: E731
    jac = jacobian(flat, x.flatten())  # (D, D)
    return torch.linalg.slogdet(jac)[1]


# --- layers ---------------------------------------------------------------------------------------
LAYERS = {
    "actnorm": lambda c: ActNorm(c),
    "invconv": lambda c: InvConv1x1(c),
    "channel-coupling": lambda c: AffineCoupling(c, 6, "channel"),
    "checkerboard-coupling": lambda c: AffineCoupling(c, 6, "checkerboard", parity=1),
    "coupling-with-context": lambda c: AffineCoupling(c, 6, "checkerboard", context=2),
}


@pytest.mark.parametrize(
    "name, shape",
    [(name, shape) for name in LAYERS for shape in [(4, 3, 3), (1, 3, 5)]
     if not (name == "channel-coupling" and shape[0] == 1)],  # a channel coupling needs two channels
)
def test_layer_log_determinant_and_inverse(name, shape):
    layer = perturbed(LAYERS[name](shape[0]).double()).eval()
    x = torch.randn(1, *shape, dtype=torch.float64)
    context = torch.randn(1, 2, *shape[1:], dtype=torch.float64) if name == "coupling-with-context" else None
    y, logdet = layer(x, context)
    assert torch.allclose(logdet, brute_force_logdet(lambda v: layer(v, context)[0], x), atol=1e-8)
    assert torch.allclose(layer.inverse(y, context), x, atol=1e-10)


def test_split_and_top_priors_whiten_with_the_right_log_determinant():
    split = perturbed(SplitPrior(5, context=0).double())
    h = torch.randn(1, 5, 3, 2, dtype=torch.float64)

    def whiten(v):
        kept, eps, _ = split(v)
        return torch.cat([kept, eps], dim=1)

    kept, eps, logdet = split(h)
    assert kept.shape == (1, 3, 3, 2) and eps.shape == (1, 2, 3, 2)
    assert torch.allclose(logdet, brute_force_logdet(whiten, h), atol=1e-8)
    assert torch.allclose(split.inverse(kept, eps), h, atol=1e-10)

    top = perturbed(TopPrior((2, 3, 2), context=0).double())
    z = torch.randn(1, 2, 3, 2, dtype=torch.float64)
    eps, logdet = top(z)
    assert torch.allclose(logdet, brute_force_logdet(lambda v: top(v)[0], z), atol=1e-8)
    assert torch.allclose(top.inverse(eps), z, atol=1e-10)


def test_squeeze_is_a_volume_preserving_permutation_and_logit_has_its_log_determinant():
    x = torch.randn(2, 3, 4, 6, dtype=torch.float64)
    assert squeeze(x).shape == (2, 12, 2, 3)
    assert torch.equal(unsqueeze(squeeze(x)), x)
    assert torch.allclose(brute_force_logdet(squeeze, x[:1]), torch.zeros((), dtype=torch.float64))
    v = torch.rand(1, 1, 3, 3, dtype=torch.float64)
    assert torch.allclose(logit(v)[1], brute_force_logdet(lambda t: logit(t)[0], v), atol=1e-8)


def test_variational_dequantizer_log_density_matches_brute_force():
    dequantizer = perturbed(VariationalDequantizer(2, 6).double())
    eps = torch.randn(1, 2, 3, 3, dtype=torch.float64)
    context = dequantizer.features(torch.rand(1, 2, 3, 3, dtype=torch.float64) * 2 - 1)
    u, logdet = dequantizer.transform(eps, context)
    assert ((u > 0) & (u < 1)).all()
    assert torch.allclose(logdet, brute_force_logdet(lambda t: dequantizer.transform(t, context)[0], eps), atol=1e-8)


# --- the whole flow -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "shape, classes",
    [((1, 4, 4), None), ((1, 3, 3), None), ((2, 4, 2), 3)],
    ids=["squeeze-split-squeeze", "odd-checkerboard", "conditional"],
)
def test_whole_flow_log_determinant_matches_brute_force(shape, classes):
    model = perturbed(flow(shape, classes=classes, conditional=bool(classes)).double()).eval()
    y = torch.tensor([2]) if classes else None
    v = torch.rand(1, *shape, dtype=torch.float64)
    eps, logdet = model.to_latent(v, y)
    assert eps.shape == (1, math.prod(shape))
    assert torch.allclose(logdet, brute_force_logdet(lambda t: model.to_latent(t, y)[0], v), atol=1e-6)


@pytest.mark.parametrize(
    "shape, classes, options",
    [((1, 8, 8), None, {}), ((1, 7, 9), None, {}), ((3, 7, 9), None, {}), ((3, 12, 10), 3, {"conditional": True}),
     ((1, 28, 28), None, {"scales": 3, "dequantization": "variational"})],
    ids=["grey8x8", "grey7x9", "rgb7x9", "rgb12x10-conditional", "grey28-variational"],
)
def test_decode_inverts_encode(shape, classes, options):
    model = perturbed(flow(shape, classes=classes, **options), std=0.05).eval()
    x = torch.randint(0, 17, (3, *shape))
    y = torch.tensor([0, 1, 2]) if classes else None
    v = (x.float() + torch.rand(x.shape)) / 17
    assert torch.allclose(model.from_latent(model.to_latent(v, y)[0], y), v, atol=1e-4)
    z = model.encode(x, y)
    assert z.shape == (3, math.prod(shape))
    assert torch.equal(model.decode(z, y), x)


def test_scales_squeeze_only_while_height_and_width_are_even():
    assert flow((1, 28, 28), scales=3).latent_shapes == [(2, 14, 14), (4, 7, 7), (4, 7, 7)]
    assert flow((3, 12, 10), scales=3).latent_shapes == [(6, 6, 5), (3, 6, 5), (3, 6, 5)]
    assert flow((1, 7, 9), scales=2).latent_shapes == [(1, 7, 9)]  # one channel: nothing to split off


# --- the discrete likelihood bound ----------------------------------------------------------------
@pytest.mark.parametrize("dequantization", ["uniform", "variational"])
def test_bound_is_finite_and_at_most_zero_nats(dequantization):
    data = load_dataset("digits")
    model = perturbed(flow(data.spec.shape, dequantization=dequantization), std=0.05).eval()
    torch.manual_seed(0)
    result = model.log_prob(torch.from_numpy(data.test.x[:50]).long())
    assert result.bound == ("dequantized" if dequantization == "uniform" else "variational-dequantized")
    assert torch.isfinite(result.nats).all() and (result.nats <= 0).all()


def test_bound_is_a_normalised_discrete_likelihood():
    """Over all 16 binary 2x2 images, exp(importance-weighted bound) sums to 1: it estimates P(x), and
    does so without bias only if the -D log L and logit terms are right."""
    model = perturbed(flow((1, 2, 2), levels=2, scales=1), std=0.1).eval()
    images = torch.tensor(list(itertools.product([0, 1], repeat=4))).view(16, 1, 2, 2)
    torch.manual_seed(0)
    many = model.log_prob(images, k=4000, chunk=2000)
    assert many.bound == "iwae-4000"
    assert torch.logsumexp(many.nats, 0).exp().item() == pytest.approx(1.0, abs=0.02)


def test_conditional_likelihood_depends_on_the_label():
    model = perturbed(flow((3, 4, 4), levels=256, classes=3, conditional=True)).eval()
    x = torch.randint(0, 256, (2, 3, 4, 4))
    torch.manual_seed(0)
    a = model.log_prob(x, torch.tensor([0, 0])).nats
    torch.manual_seed(0)
    b = model.log_prob(x, torch.tensor([1, 1])).nats
    assert not torch.allclose(a, b)
    with pytest.raises(ValueError, match="needs labels"):
        model.log_prob(x)


# --- training behaviour ---------------------------------------------------------------------------
def test_actnorm_initialises_from_the_first_training_batch_only():
    norm = ActNorm(3)
    x = 5 + 3 * torch.randn(16, 3, 4, 4)
    norm.eval()
    assert torch.equal(norm(x)[0], x), "evaluation must not initialise"
    norm.train()
    y, _ = norm(x)
    assert torch.allclose(y.mean((0, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(y.std((0, 2, 3), correction=0), torch.ones(3), atol=1e-4)
    assert bool(norm.state_dict()["initialised"])  # saved with the weights, so resume does not redo it
    before = norm.bias.detach().clone()
    norm(torch.randn(16, 3, 4, 4))
    assert torch.equal(norm.bias, before)


def test_temperature_zero_sampling_ignores_the_noise():
    model = flow((1, 8, 8)).eval()
    torch.manual_seed(0)
    a = model.sample(2, temperature=0.0)
    torch.manual_seed(1)
    assert torch.equal(model.sample(2, temperature=0.0), a)
    assert torch.equal(a[0], a[1])


def test_bad_options_are_user_errors():
    spec = DatasetSpec("t", (1, 8, 8), 17)
    for options in ({"channels": 0}, {"scales": 0}, {"steps_per_scale": -1}, {"dequantization": "gaussian"}):
        with pytest.raises(UserError):
            build_model("flow", spec, options)


@pytest.mark.parametrize("dequantization", ["uniform", "variational"])
def test_short_training_on_digits_lowers_bits_per_dim(dequantization):
    data = load_dataset("digits")
    model = flow(data.spec.shape, levels=data.spec.levels, dequantization=dequantization)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    x = torch.from_numpy(data.train.x).long()
    test = torch.from_numpy(data.test.x[:200]).long()

    def test_bpd() -> float:
        model.eval()
        torch.manual_seed(0)
        nats = model.log_prob(test).nats.mean()
        return -nats.item() / (data.spec.dims * math.log(2))

    model.train()
    model({"x": x[:64]})  # actnorm's data-dependent initialisation
    before = test_bpd()
    gen = torch.Generator().manual_seed(0)
    for step in range(60):
        model.train()
        torch.manual_seed(step)
        out = model({"x": x[torch.randint(0, len(x), (64,), generator=gen)]})
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
    after = test_bpd()
    assert after < before - 0.3, (before, after)


def test_resume_is_exact_and_does_not_initialise_actnorm_again(tmp_path, weights, same_tensors):
    def config():
        return load_config(None, {"data": {"source": "digits"}, "model": {"name": "flow"} | TINY,
                                  "training": {"steps": 6, "batch_size": 32, "eval_every": 3, "warmup_steps": 2}})

    api.train(config(), tmp_path / "straight", quiet=True)
    api.train(config(), tmp_path / "resumed", quiet=True, stop_at_step=3)
    api.train(None, tmp_path / "resumed", resume=True, quiet=True)
    final = weights(tmp_path / "resumed")
    same_tensors(weights(tmp_path / "straight"), final)
    flags = [k for k in final if k.endswith("initialised")]
    assert flags and all(bool(final[k]) for k in flags)


def test_a_coupling_inverse_stretches_at_most_its_bound():
    """Whatever its network says, a coupling's log-scale stays in (-MAX_LOG_SHRINK, 0]: the inverse of a
    latent far in the prior's tail cannot overflow (Glow's unbounded shrink once gave inf/NaN samples)."""
    coupling = AffineCoupling(2, 8, "channel")
    with torch.no_grad():
        coupling.net[-1].bias[2:] = -1e4  # the scale half: sigmoid(-1e4 + 2) = 0 without the bound
    y = torch.full((1, 2, 3, 3), 1e30)
    x = coupling.inverse(y)
    assert torch.isfinite(x).all()
    _, log_scale = coupling._shift_and_log_scale(y, coupling._mask(y), None)
    assert log_scale.min() >= -MAX_LOG_SHRINK and log_scale.max() <= 0


def test_a_split_prior_keeps_its_std_bounded_for_a_huge_kept_half():
    """The traced overflow: a split prior's log-std is a convolution of the kept half, which a tail latent can
    have grown to hundreds; its std stays within e^MAX_LOG_STD and the inverse stays finite."""
    prior = perturbed(SplitPrior(4, 0))
    kept = torch.full((1, 2, 3, 3), 1e4)
    _, log_std = prior._gaussian(kept, None)
    assert log_std.abs().max() <= MAX_LOG_STD
    assert torch.isfinite(prior.inverse(kept, torch.full((1, 2, 3, 3), 5.0))).all()


def test_ten_thousand_samples_of_a_trained_flow_are_finite_before_quantisation(tmp_path):
    config = load_config(None, {"data": {"source": "digits"},
                                "model": {"name": "flow", "channels": 16, "scales": 2, "steps_per_scale": 2},
                                "training": {"steps": 60, "batch_size": 32, "lr": 5e-3, "eval_every": 60}})
    api.train(config, tmp_path / "flow", quiet=True)
    model = api.load_run(tmp_path / "flow").model
    torch.manual_seed(0)
    with torch.no_grad():
        v = model.from_latent(torch.randn(10_000, model.spec.dims))  # temperature 1, before quantisation
    assert torch.isfinite(v).all()
