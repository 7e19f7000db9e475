"""Visual concept learning: genlab's dSprites, the total-correlation estimators, the five disentanglement
metrics on representations with known answers, and traverse/evaluate end to end through the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from genlab.data import load_dataset
from genlab.data.dsprites import FACTOR_SIZES, grid_factors, render, render_coloured, sample_factors
from genlab.errors import UserError
from genlab.metrics import disentanglement as metrics
from genlab.models.bounds import total_correlation
from genlab.models.factorvae import permute_dims

# --- dSprites ---------------------------------------------------------------------------------


def test_grid_is_dsprites_and_any_combination_is_drawn_the_same_way_twice():
    assert int(np.prod(FACTOR_SIZES)) == 737_280
    some = sample_factors(300, seed=4)
    assert len({tuple(f) for f in some}) == 300 and (some < FACTOR_SIZES).all()
    assert np.array_equal(render(some, 32), render(some, 32))  # deterministic
    assert np.array_equal(grid_factors((2, 3))[4], np.unravel_index(4, (2, 3)))
    images = render(some, 64)
    assert images.shape == (300, 1, 64, 64) and set(np.unique(images)) <= {0, 1}
    assert images.reshape(300, -1).sum(1).min() > 0  # every sprite visible


def test_each_factor_moves_the_picture_the_way_it_says():
    base = np.array([[0, 0, 0, 0, 16]] * 32)
    base[:, 3] = np.arange(32)  # position x from left to right
    images = render(base, 64)[:, 0].astype(float)  # (32, 64, 64)
    cols = (images.sum(1) * np.arange(64)).sum(1) / images.sum((1, 2))  # horizontal centroid
    assert np.all(np.diff(cols) > 0)
    scales = np.array([[1, s, 0, 16, 16] for s in range(6)])
    assert np.all(np.diff(render(scales, 64).sum((1, 2, 3))) > 0)  # area grows with scale
    shapes = render(np.array([[s, 5, 0, 16, 16] for s in range(3)]), 64)
    assert not np.array_equal(shapes[0], shapes[1]) and not np.array_equal(shapes[1], shapes[2])
    coloured = render_coloured(np.array([[0, 5, 0, 16, 16, 0], [0, 5, 0, 16, 16, 6]]), 32)
    assert coloured[0, 1:].sum() == 0 and coloured[1, 0].sum() == coloured[1, 1].sum() == coloured[1, 2].sum() > 0


def test_builtin_carries_named_factors_and_refuses_other_sizes():
    data = load_dataset("dsprites", size=(32, 32))
    spec = data.spec.extra("factors")
    assert data.spec.shape == (1, 32, 32) and data.spec.levels == 2
    assert spec.names == ("shape", "scale", "orientation", "position_x", "position_y") and spec.sizes == FACTOR_SIZES
    assert np.array_equal(render(data.test.extras["factors"][:20], 32), data.test.x[:20])
    with pytest.raises(UserError, match="--size 32"):
        load_dataset("dsprites", size=(28, 28))


# --- estimators of total correlation ------------------------------------------------------------


def test_minibatch_tc_estimate_matches_brute_force_on_a_small_mixture():
    """The estimator with the batch standing for the data set is unbiased for the TC of the batch's mixture
    of posteriors; brute force: Monte Carlo over the mixture with its exact joint and marginal densities."""
    gen = torch.Generator().manual_seed(0)
    mu = torch.tensor([[-2.0, -2.0], [0.0, 0.0], [2.0, 2.0], [2.0, -1.0]], dtype=torch.float64)  # correlated means
    log_var = torch.log(torch.tensor([[0.5, 0.3], [0.4, 0.4], [0.3, 0.6], [0.2, 0.2]], dtype=torch.float64))
    std = torch.exp(0.5 * log_var)
    draws = 20_000
    z = mu + std * torch.randn(draws, *mu.shape, generator=gen, dtype=torch.float64)  # (draws, 4, 2)
    estimate = torch.stack([total_correlation(z[i], mu, log_var) for i in range(0, draws, 4)]).mean()

    flat = z.reshape(-1, 2)  # draws from the uniform mixture of the four Gaussians
    pairwise = torch.distributions.Normal(mu[None], std[None]).log_prob(flat[:, None])  # (n, 4, 2)
    log_mix = torch.logsumexp(pairwise.sum(2), 1) - np.log(4)
    log_marginals = (torch.logsumexp(pairwise, 1) - np.log(4)).sum(1)
    exact = (log_mix - log_marginals).mean()
    assert exact > 0.3  # the case has real total correlation
    assert abs(float(estimate) - float(exact)) < 0.03


def test_factorvae_permutation_keeps_each_latent_and_breaks_their_dependence():
    torch.manual_seed(0)
    a = torch.randn(4000, 1)
    z = torch.cat([a, a, torch.randn(4000, 1)], 1)  # latents 0 and 1 identical
    shuffled = permute_dims(z)
    assert torch.equal(shuffled.sort(0).values, z.sort(0).values)  # every column's values kept
    correlation = torch.corrcoef(shuffled.T)[0, 1]
    assert abs(float(correlation)) < 0.1


# --- metrics on representations with known answers ----------------------------------------------

SIZES = (3, 4, 6, 5)


@pytest.fixture(scope="module")
def pools():
    rng = np.random.default_rng(1)
    factors = np.stack([rng.integers(size, size=3000) for size in SIZES], 1)
    return factors[:2000], factors[2000:]


def _scores(fit_codes, score_codes, pools, names=("beta_vae", "factor_vae", "mig", "dci")):
    fit, score = metrics.Pool(fit_codes, pools[0]), metrics.Pool(score_codes, pools[1])
    out = {}
    if "beta_vae" in names:
        out["beta_vae"] = metrics.beta_vae_score(fit, score, num_train=400, num_eval=200)
    if "factor_vae" in names:
        out["factor_vae"] = metrics.factor_vae_score(fit, score, num_train=400, num_eval=200, num_variance_estimate=2000)
    if "mig" in names:
        out["mig"] = metrics.mig(fit)
    if "dci" in names:
        out.update(metrics.dci(fit.first(300), score.first(150)))
    if "sap" in names:
        out["sap"] = metrics.sap(fit.first(300), score.first(150))
    return out


def _permuted_rescaled(factors, extra_noise_dims=2, seed=0):
    """The factors in shuffled order, each rescaled and shifted, plus pure-noise latents."""
    rng = np.random.default_rng(seed)
    codes = factors[:, [2, 0, 3, 1]] * np.array([0.3, -2.0, 1.5, 0.7]) + np.array([1.0, 0.0, -3.0, 5.0])
    return np.concatenate([codes, rng.normal(size=(len(factors), extra_noise_dims)) * 1e-3], 1)


def test_a_permuted_rescaled_copy_of_the_factors_scores_near_one(pools):
    """Order and scale of latents do not matter; extra near-constant latents do not either."""
    s = _scores(_permuted_rescaled(pools[0]), _permuted_rescaled(pools[1], seed=1), pools, names=(
        "beta_vae", "factor_vae", "mig", "dci", "sap"))
    assert s["beta_vae"] > 0.95 and s["factor_vae"] > 0.95
    assert s["disentanglement"] > 0.95 and s["completeness"] > 0.9 and s["informativeness"] > 0.95
    assert s["mig"] > 0.9  # at most 6 values in 20 bins: no cap on this grid
    assert s["sap"] > 0.1


def test_noise_scores_near_zero(pools):
    rng = np.random.default_rng(3)
    s = _scores(rng.normal(size=(2000, 6)), rng.normal(size=(1000, 6)), pools)
    assert s["mig"] < 0.05 and s["disentanglement"] < 0.1
    assert s["beta_vae"] < 0.4 and s["factor_vae"] < 0.45  # chance is 1/4 for four factors


def test_one_latent_encoding_two_factors_lowers_mig_and_dci_disentanglement(pools):
    clean_fit, clean_score = pools[0].astype(float), pools[1].astype(float)
    def mixed(f):  # latent 0 carries factors 0 and 2 together (their sum), latent 2 is noise
        codes = f.astype(float).copy()
        codes[:, 0] = f[:, 0] / 2 + f[:, 2] / 5
        codes[:, 2] = np.random.default_rng(0).normal(size=len(f))
        return codes
    clean = _scores(clean_fit, clean_score, pools, names=("mig", "dci"))
    entangled = _scores(mixed(pools[0]), mixed(pools[1]), pools, names=("mig", "dci"))
    assert entangled["mig"] < clean["mig"] - 0.1
    assert entangled["disentanglement"] < clean["disentanglement"] - 0.15


def test_a_rotation_of_the_factors_scores_a_lower_mig_and_the_factor_map_says_which_latent_is_which(pools):
    """MIG as disentanglement_lib warns it is read: the factors themselves near their ceiling, the same factors
    rotated pairwise by 45 degrees (each latent now half of two factors) far lower; the factor map names each
    clean latent's factor and spreads a rotated one over two."""
    fit = pools[0].astype(float) / (np.array(SIZES) - 1)  # (N, 4) on [0, 1]
    half = np.sqrt(0.5)
    rotation = np.array([[half, half, 0, 0], [-half, half, 0, 0], [0, 0, half, half], [0, 0, -half, half]])
    clean = metrics.mig(metrics.Pool(fit, pools[0]))
    rotated = metrics.mig(metrics.Pool(fit @ rotation.T, pools[0]))
    assert clean > 0.9 and rotated < clean - 0.3
    shares = metrics.factor_information(fit[:, [2, 0, 3, 1]], pools[0])  # (D, K)
    assert shares.argmax(1).tolist() == [2, 0, 3, 1] and np.all(shares.max(1) > 0.95)
    spread = metrics.factor_information(fit @ rotation.T, pools[0])
    assert np.all(np.sort(spread, 1)[:, -2] > 0.1)  # each rotated latent carries a share of two factors


# --- through the CLI ---------------------------------------------------------------------------


def test_train_evaluate_and_traverse_on_dsprites(genlab, user_error, tmp_path, metrics):
    trained = genlab("train", "--data", "dsprites", "--size", "32", "--model", "tcvae", "--steps", "4",
                     "--batch-size", "16", "--set", "model.latent_dim=3", "--quiet", "--out", "run")
    assert trained.returncode == 0, str(trained)
    run = tmp_path / "run"
    saved = json.loads((run / "config.json").read_text())["config"]  # the probe's recipe under the flags given
    assert (saved["model"]["network"], saved["model"]["latent_dim"]) == ("broadcast", 3)
    assert (saved["training"]["lr"], saved["training"]["precision"]) == (1e-3, "bf16")
    last = [r for r in metrics(run) if r.get("split") == "val"][-1]  # the curves' points
    assert 0 <= last["val_mig"] <= 1 and 0 <= last["val_factor_vae"] <= 1
    # DCI's trees cost seconds per representation even on few points (113 factor values): the metric tests
    # above cover it
    evaluated = genlab("evaluate", "run", "--iwae", "1", "--samples", "0", "--factor-points", "400",
                       "--factor-metrics", "beta_vae,factor_vae,mig,sap")
    assert evaluated.returncode == 0 and "Disentanglement" in evaluated.stdout, str(evaluated)
    result = json.loads((run / "evaluation.json").read_text())["results"]["disentanglement"]
    assert result["fit_points"] == 400 and result["score_points"] == 200
    assert result["ground_truth"]["beta_vae"] > 0.95 and result["ground_truth"]["factor_vae"] > 0.9
    assert result["untrained"]["mig"] < 0.2 < result["ground_truth"]["mig"]
    assert set(result["model"]) == {"beta_vae", "factor_vae", "mig", "sap"}
    assert "Latent traversals" in (run / "report.md").read_text()
    walked = genlab("traverse", "run", "-o", "walk.png", "--images", "2", "--steps", "5")
    assert walked.returncode == 0, str(walked)
    picture = Image.open(tmp_path / "walk.png")
    assert picture.height == 18 + 3 * (64 + 1) + 1  # the factor names, three latents (32-pixel images at 64)
    user_error(genlab("traverse", "run", "-o", "walk.jpg"), "PNG")
    assert not (tmp_path / "walk.jpg").exists()
    user_error(genlab("evaluate", "run", "--factor-metrics", "mig,bogus"), "bogus")


def test_traversal_rows_follow_each_latents_kl(tmp_path):
    from genlab.models.registry import build_model
    from genlab.sampling import traversals

    data = load_dataset("dsprites", size=(32, 32))
    torch.manual_seed(0)
    model = build_model("vae", data.spec, {"channels": 4, "latent_dim": 3, "blocks": 0})

    class Opened:  # the part of a Run that traversals reads
        pass
    run = Opened()
    run.model = model
    x = data.test.x[:4]
    images, kl, latents = traversals(run, x, steps=3, span=2.0)
    assert images.shape == (3, 4, 3, 1, 32, 32)
    assert np.all(np.diff(kl) <= 0) and sorted(latents) == [0, 1, 2]
    per_latent = model.latent_kl(torch.from_numpy(x).long()).mean(0).numpy()
    assert np.allclose(kl, per_latent[latents], rtol=1e-4)


def test_the_evaluators_factor_metrics_are_the_metrics_groups():
    """evaluation/registry.py names the metric groups without importing numpy (genlab evaluate --help stays light);
    they must be the ones metrics/disentanglement.py computes."""
    from genlab.evaluation.registry import FACTOR_METRICS
    from genlab.metrics.disentanglement import GROUPS

    assert FACTOR_METRICS == GROUPS


def test_the_benchmark_writes_its_table_as_json_and_names_the_factor_each_latent_carries(tmp_path, monkeypatch):
    from genlab.benchmarks import disentanglement as bench
    from genlab.benchmarks import disentanglement_probe as probe

    monkeypatch.setattr(bench, "MODELS", {"tcvae": probe.Recipe("beta-TCVAE, beta = 6", "tcvae",
                                                                probe.STRIDED | {"latent_dim": 3, "tc_weight": 6.0}, 16)})
    monkeypatch.setattr(probe, "EVAL_EVERY", 1)
    page = bench.disentanglement(tmp_path, seeds=1, steps=2, size=32, points=40)
    text = page.read_text()
    assert page.name == "disentanglement-dsprites-32.md" and "**beta-TCVAE, beta = 6**: latents carrying a factor:" in text
    summary = json.loads((tmp_path / "disentanglement-dsprites-32.json").read_text())
    model, ceiling = summary["rows"][0], summary["rows"][1]
    assert model["model"] == "beta-TCVAE, beta = 6" and model["seeds"] == 1 and model["mig"]["std"] == 0.0
    assert ceiling["model"] == "ground-truth factors (ceiling)" and ceiling["mig"]["mean"] > model["mig"]["mean"]
    assert (tmp_path / "disentanglement" / "dsprites-32-tcvae-0.png").exists()
    assert (tmp_path / "disentanglement" / "curves-dsprites-32-2.png").exists() and model["minutes"]["mean"] > 0
    assert "(disentanglement/curves-dsprites-32-2-factorvae.png)" in text
    trained = json.loads((tmp_path / "runs" / "dsprites-32-tcvae-0" / "config.json").read_text())["config"]
    assert trained["model"]["network"] == "strided" and (trained["training"]["steps"], trained["training"]["eval_every"]) == (8, 4)
    for item in (tmp_path / "runs" / "dsprites-32-tcvae-0").iterdir():  # the page is remade from the records
        item.unlink() if item.is_file() else None
    assert bench.disentanglement(tmp_path, seeds=1, steps=2, size=32, points=40).read_text() == text


def test_chen_et_als_fully_connected_network_encodes_decodes_and_trains():
    from genlab.models.registry import build_model

    data = load_dataset("dsprites", size=(32, 32))
    torch.manual_seed(0)
    model = build_model("tcvae", data.spec, {"network": "mlp", "hidden": 16, "latent_dim": 3})
    x = torch.from_numpy(np.asarray(data.train.x[:8])).long()
    losses = model.loss({"x": x})
    losses["loss"].backward()
    assert torch.isfinite(losses["loss"]) and model.encoder[1].weight.grad is not None
    assert model.encode(x).shape == (8, 3) and model.decode(torch.zeros(2, 3)).shape == (2, 1, 32, 32)
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.in_features for m in linear] == [32 * 32, 16, 16, 3, 16, 16, 16]  # encoder, posterior, decoder


def test_disentanglement_libs_strided_network_halves_to_four_by_four_and_refuses_other_sizes():
    """The strided network: one ReLU-activated 4x4 stride-2 convolution per halving down to 4x4 (three at
    32x32, four at 64x64), images back at full size; a size that does not halve to 4x4 gets one clear line."""
    from genlab.models.registry import build_model

    for size, halvings in ((32, 3), (64, 4)):
        data = load_dataset("dsprites", size=(size, size))
        model = build_model("tcvae", data.spec, {"network": "strided", "latent_dim": 3})
        strided = [m for m in model.encoder if isinstance(m, torch.nn.Conv2d)]
        assert len(strided) == halvings and all(m.stride == (2, 2) for m in strided)
        x = torch.from_numpy(np.asarray(data.train.x[:4])).long()
        assert model.encode(x).shape == (4, 3) and model.decode(torch.zeros(2, 3)).shape == (2, 1, size, size)
        losses = model.loss({"x": x})
        losses["loss"].backward()
        assert torch.isfinite(losses["loss"]) and strided[0].weight.grad is not None
    from genlab.models.vae import CHUNK, in_chunks

    h = torch.randn(2 * CHUNK + 3, 1, 64, 64)  # three passes of the 64x64 encoder, the last of 3 rows
    torch.testing.assert_close(in_chunks(model.encoder, h), model.encoder(h), atol=1e-5, rtol=1e-5)
    with pytest.raises(UserError, match="network=strided, broadcast, steered and broadcast-mlp need square images"):
        build_model("tcvae", load_dataset("mnist").spec, {"network": "strided"})


def test_the_broadcast_decoder_draws_each_cell_from_the_code_and_its_coordinates():
    """Watters et al.'s decoder: the first layer, split into the code's part and the coordinates' part, equals
    one 1x1 convolution over (code tiled, x, y); x runs along the width and y down the height; images come
    back at full size and the loss trains both parts."""
    from genlab.models.broadcast_parts import WIDTH
    from genlab.models.registry import build_model

    data = load_dataset("dsprites", size=(32, 32))
    model = build_model("tcvae", data.spec, {"network": "broadcast", "latent_dim": 3})
    decoder = model.decoder
    place = decoder.coordinates  # (1, 2, 16, 16)
    assert place.shape == (1, 2, 16, 16) and (place[0, 0, :, 0] == -1).all() and (place[0, 1, 0, :] == -1).all()
    z = torch.randn(2, 3)
    whole = torch.nn.Conv2d(3 + 2, WIDTH, 1)  # the same layer on the concatenated input
    with torch.no_grad():
        whole.weight.copy_(torch.cat([decoder.from_code.weight, decoder.from_place.weight[:, :, 0, 0]], 1)[:, :, None, None])
        whole.bias.copy_(decoder.from_code.bias)
        tiled = torch.cat([z[:, :, None, None].expand(-1, -1, 16, 16), place.expand(2, -1, -1, -1)], 1)  # (2, 5, 16, 16)
        split = decoder.from_code(z)[:, :, None, None] + decoder.from_place(place)
    torch.testing.assert_close(split, whole(tiled), atol=1e-5, rtol=1e-5)
    assert model.decode(z).shape == (2, 1, 32, 32)
    losses = model.loss({"x": torch.from_numpy(np.asarray(data.train.x[:4])).long()})
    losses["loss"].backward()
    assert decoder.from_place.weight.grad.abs().sum() > 0 and decoder.from_code.weight.grad.abs().sum() > 0
    # steered: at the start (no turn) the same drawing; a turn the same for every code (the steering layer's
    # bias) is the plain decoder with those coordinate weights added
    torch.manual_seed(0)
    steered = build_model("tcvae", data.spec, {"network": "steered", "latent_dim": 3}).decoder
    steered.load_state_dict(decoder.state_dict(), strict=False)
    torch.testing.assert_close(steered(z), decoder(z))
    with torch.no_grad():
        steered.steer.bias.copy_(torch.randn(steered.steer.bias.shape))
        decoder.from_place.weight += steered.steer.bias.view(-1, 2, 1, 1)
    torch.testing.assert_close(steered(z), decoder(z), atol=1e-5, rtol=1e-5)
    shaped = build_model("tcvae", data.spec, {"network": "broadcast-mlp", "latent_dim": 3}).decoder
    assert isinstance(shaped.from_code, torch.nn.Sequential) and shaped(z).shape == (2, 2, 32, 32)


def test_a_tiny_probe_keeps_each_recipes_mig_curve_and_remakes_its_page_from_the_records(tmp_path, monkeypatch):
    from genlab.benchmarks import disentanglement_probe as probe
    from genlab.benchmarks.disentanglement import disentanglement

    from genlab.benchmarks.registry import BENCHMARKS

    listed = next(option.help for option in BENCHMARKS["disentanglement"].options if option.keyword == "recipes")
    assert all(name in listed.split("(")[1].split(";")[0].split(", ") for name in probe.RECIPES)  # --help names them
    tiny = {"latent_dim": 3, "tc_weight": 6.0}
    monkeypatch.setattr(probe, "RECIPES", {"conv": probe.Recipe("conv", "tcvae", tiny | {"channels": 4, "blocks": 0}, 16),
                                           "mlp": probe.Recipe("mlp", "tcvae", tiny | {"network": "mlp", "hidden": 8}, 8)})
    monkeypatch.setattr(probe, "BATCH", 16)  # --steps counts steps at batch 16: the mlp at batch 8 trains twice as many
    monkeypatch.setattr(probe, "EVAL_EVERY", 1)
    monkeypatch.setattr(probe, "POINTS", 40)
    page = disentanglement(tmp_path, size=32, steps=2, probe=True, recipes="conv,mlp")
    text = page.read_text()
    assert page.name == "disentanglement-probe-32-2.md" and "| mlp |" in text and "untrained encoder (floor)" in text
    record = json.loads((tmp_path / "disentanglement" / "probe-dsprites-32-mlp-2-0.json").read_text())["result"]
    assert [point[0] for point in record["curve"]] == [2, 4] and set(record["model"]) == {"mig", "factor_vae"}
    assert [point[0] for point in record["factor_vae_curve"]] == [2, 4]
    assert all((tmp_path / "disentanglement" / f"probe-dsprites-32-2{suffix}.png").exists() for suffix in ("", "-factorvae"))
    assert "probe-dsprites-32-2-factorvae.png" in text
    for run in (tmp_path / "runs").iterdir():  # the page is remade from the records alone
        for item in run.iterdir():
            item.unlink() if item.is_file() else None
    assert disentanglement(tmp_path, size=32, steps=2, probe=True, recipes="conv,mlp").read_text() == text
