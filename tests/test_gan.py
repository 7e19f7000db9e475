"""The GAN family: each player gets only its own gradient from the one summed loss, level noise on what the
discriminator sees, n_critic's counter, sampling, and a short real training on digits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from genlab import api
from genlab.config import load_config
from genlab.data import load_dataset
from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.gan import GAN
from genlab.models.registry import build_model

DIGITS = DatasetSpec("digits", (1, 8, 8), 17, num_classes=10)
ODD_RGB = DatasetSpec("odd", (3, 7, 9), 256, num_classes=3)
TINY = {"channels": 8, "latent_dim": 8}


def tiny(spec: DatasetSpec = DIGITS, **options) -> GAN:
    torch.manual_seed(0)
    return build_model("gan", spec, TINY | options)


def batch_of(spec: DatasetSpec, n: int = 16) -> dict:
    gen = torch.Generator().manual_seed(1)
    return {"x": torch.randint(0, spec.levels, (n, *spec.shape), generator=gen),
            "y": torch.randint(0, spec.num_classes or 1, (n,), generator=gen)}


def grads(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.grad.clone() for p in module.parameters()]


@pytest.mark.parametrize("loss", ["wgan-gp", "non-saturating"])
@pytest.mark.parametrize("conditional", [False, True])
def test_each_player_gets_only_its_own_gradient(loss, conditional):
    """With n_critic=2 the first call is a generator turn (D loss + G loss) and the second, with the same
    noise, a critic-only turn (D loss alone): D's gradient must be the same in both (G's loss leaves D
    alone), and G's gradient must vanish on the critic turn (D's loss leaves G alone)."""
    model = tiny(ODD_RGB, loss=loss, conditional=conditional, n_critic=2).train()
    batch = batch_of(ODD_RGB)
    turns = []
    for _ in range(2):
        model.zero_grad(set_to_none=False)
        torch.manual_seed(3)
        model(batch)["loss"].backward()
        turns.append((grads(model.generator), grads(model.discriminator)))
    (g_both, d_both), (g_critic, d_critic) = turns
    assert all(torch.count_nonzero(g) == 0 for g in g_critic), "the discriminator's loss reached the generator"
    assert sum(float(g.abs().sum()) for g in g_both) > 0, "the generator got no gradient on its turn"
    for a, b in zip(d_both, d_critic):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7, msg="the generator's loss reached the discriminator")
    assert any(float(d.abs().sum()) > 0 for d in d_critic)


@pytest.mark.parametrize("loss", ["wgan-gp", "non-saturating"])
def test_loss_parts_are_logged_and_finite(loss):
    out = tiny(loss=loss).train()(batch_of(DIGITS))
    assert {"loss", "d_loss", "g_loss", "gp", "gap"} <= set(out)
    assert all(math.isfinite(float(v.detach())) for v in out.values())
    assert all(not v.requires_grad for k, v in out.items() if k != "loss")
    assert out["gp"] >= 0


def test_n_critic_counter_is_a_saved_buffer_counting_training_calls():
    model = tiny(n_critic=3)
    batch = batch_of(DIGITS)
    model.train()
    for _ in range(4):
        model(batch)
    model.eval()
    model(batch)  # evaluation does not advance the schedule
    assert int(model.state_dict()["calls"]) == 4
    copy = tiny(n_critic=3)
    copy.load_state_dict(model.state_dict())
    assert int(copy.calls) == 4


@pytest.mark.parametrize("levels", [2, 17, 256])
def test_level_noise_is_uniform_over_one_level(levels):
    """The noise hiding the level grid from the discriminator spans one level, centred on the input."""
    spec = DatasetSpec("levels", (1, 8, 8), levels)
    model = tiny(spec)
    x = torch.zeros(500, 1, 8, 8)
    noise = (model._level_noise(x) - x).flatten()
    cell = 2.0 / (levels - 1)
    assert noise.abs().max() <= cell / 2
    assert noise.max() - noise.min() > 0.99 * cell
    assert abs(float(noise.mean())) < 0.01 * cell
    assert abs(float(noise.std()) - cell / 12**0.5) < 0.01 * cell


def test_discriminator_sees_noisy_fakes_too(monkeypatch):
    """Same noise on both sides: even a generator that hits the levels exactly reaches the discriminator
    with level noise added, as the real images do."""
    spec = DatasetSpec("binary", (1, 8, 8), 2)
    model = tiny(spec).train()
    monkeypatch.setattr(model.generator, "forward", lambda z, y: torch.ones(len(z), *spec.shape))
    seen = []
    model.discriminator.register_forward_pre_hook(lambda _, args: seen.append(args[0].detach()))
    model(batch_of(spec))
    real, fake = seen[0][:16], seen[0][16:32]  # the first call scores real, fake and penalty probes
    for x in (real, fake):
        distance = (x.abs() - 1).abs()  # from the nearest level, -1 or 1
        assert distance.max() <= 1 and (distance > 1e-3).float().mean() > 0.99


def test_optimizer_groups_split_the_players():
    model = tiny()
    groups = model.optimizer_groups()
    ids = [{id(p) for p in g["params"]} for g in groups]
    assert ids[0] == {id(p) for p in model.generator.parameters()}
    assert ids[1] == {id(p) for p in model.discriminator.parameters()}
    assert set.union(*ids) == {id(p) for p in model.parameters()}
    assert all(g["betas"] == (0.0, 0.9) and g["lr_scale"] > 0 for g in groups)


@pytest.mark.parametrize("spec", [DIGITS, ODD_RGB, DatasetSpec("binary", (1, 28, 28), 2)], ids=lambda s: s.name)
def test_sample_and_decode(spec):
    model = tiny(spec).eval()
    torch.manual_seed(0)
    x = model.sample(5)
    assert x.shape == (5, *spec.shape) and x.dtype == torch.long
    assert x.min() >= 0 and x.max() <= spec.levels - 1
    torch.manual_seed(0)
    assert torch.equal(model.sample(5), x)
    torch.manual_seed(0)
    z = torch.randn(5, TINY["latent_dim"])
    assert torch.equal(model.decode(z), x)
    assert not model.has_latent and not model.has_likelihood  # decode only: no encoder, no likelihood


def test_a_sample_does_not_depend_on_its_batch():
    """Batch norm in eval mode uses running statistics, after training steps have moved them."""
    model = tiny().train()
    for _ in range(3):
        model(batch_of(DIGITS))
    model.eval()
    z = torch.randn(8, TINY["latent_dim"])
    with torch.no_grad():
        torch.testing.assert_close(model.generator(z, None)[:1], model.generator(z[:1], None), atol=1e-5, rtol=0)


def test_temperature_scales_the_latent():
    model = tiny().eval()
    torch.manual_seed(0)
    z = torch.randn(4, TINY["latent_dim"])
    torch.manual_seed(0)
    assert torch.equal(model.sample(4, temperature=0.5), model.decode(0.5 * z))


def test_conditional_samples_depend_on_the_label():
    model = tiny(conditional=True).eval()
    z = torch.randn(6, TINY["latent_dim"])
    a = model.decode(z, torch.zeros(6, dtype=torch.long))
    b = model.decode(z, torch.ones(6, dtype=torch.long))
    assert not torch.equal(a, b)
    with pytest.raises(ValueError, match="labels"):
        model.sample(2)


@pytest.mark.parametrize("options", [{"gp_weight": -1.0}, {"n_critic": 0}, {"g_lr_scale": 0.0}, {"loss": "hinge"},
                                     {"channels": 0}, {"latent_dim": 0}], ids=str)
def test_bad_options_are_user_errors(options):
    with pytest.raises(UserError):
        build_model("gan", DIGITS, TINY | options)


def test_short_training_on_digits_moves_samples_towards_the_data(tmp_path):
    """150 real steps through the trainer: the samples' mean image and intensity histogram must come much
    closer to the data's than the untrained generator's (a GAN whose generator does not learn stays grey)."""
    config = load_config(None, {
        "data": {"source": "digits"},
        "model": {"name": "gan", "channels": 16, "latent_dim": 16},
        "training": {"steps": 150, "batch_size": 64, "eval_every": 10_000, "warmup_steps": 20},
    })
    api.train(config, tmp_path / "run", quiet=True)
    data = load_dataset("digits").train.x.astype(np.float64)  # (N, 1, 8, 8)

    def distance(x: np.ndarray) -> tuple[float, float]:
        x = x.astype(np.float64)
        mean_image = float(np.abs(x.mean(0) - data.mean(0)).mean())
        hist = lambda v: np.bincount(v.astype(np.int64).ravel(), minlength=17) / v.size  # noqa: E731
        return mean_image, float(np.abs(hist(x) - hist(data)).sum())

    torch.manual_seed(0)
    untrained = build_model("gan", DIGITS, {"channels": 16, "latent_dim": 16}).eval()
    before = distance(untrained.sample(500).numpy())
    after = distance(api.sample(api.load_run(tmp_path / "run"), 500))
    assert after[0] < 0.4 * before[0], (before, after)
    assert after[1] < 0.5 * before[1], (before, after)
