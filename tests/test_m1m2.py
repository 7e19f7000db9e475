"""M1+M2: a VAE trained first, then M2 on its latents, both through `genlab train`; M1 stays frozen, the stack
classifies from few labels, samples and is evaluated like any run; a missing or unfit M1 is a one-line error."""

from __future__ import annotations

import json

import pytest

M1_FLAGS = ["--set", "model.channels=16", "--set", "model.latent_dim=8", "--quiet"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, genlab_at):
    """(folder, M1 run, M1+M2 run): a VAE on every digit, then M2 on its latents with 5 labels per class."""
    root = tmp_path_factory.mktemp("m1m2")
    m1 = genlab_at(["train", "--data", "digits", "--model", "vae", "--out", "m1", "--steps", 300, *M1_FLAGS], root)
    assert m1.returncode == 0, str(m1)
    m2 = genlab_at(["train", "--data", "digits", "--model", "m1m2", "--out", "m1m2", "--steps", 300,
                    "--labels-per-class", 5, "--set", "model.features=m1", "--set", "model.hidden=64", "--quiet"], root)
    assert m2.returncode == 0, str(m2)
    return root, root / "m1", root / "m1m2"


def test_the_stack_keeps_m1_frozen_and_records_it_absolute(stack, weights):
    root, m1, m1m2 = stack
    config = json.loads((m1m2 / "config.json").read_text())
    assert config["config"]["model"]["features"] == str(m1.resolve())
    m1_weights, stacked = weights(m1), weights(m1m2)
    assert {f"m1.{name}" for name in m1_weights} <= set(stacked)
    for name, value in m1_weights.items():
        assert (stacked[f"m1.{name}"] == value).all(), name


def test_the_stack_classifies_samples_and_is_evaluated(stack, genlab_at):
    root, _, m1m2 = stack
    evaluated = genlab_at(["evaluate", "m1m2", "--samples", 0], root)
    assert evaluated.returncode == 0, str(evaluated)
    results = json.loads((m1m2 / "evaluation.json").read_text())["results"]
    assert results["classification"]["accuracy"] > 0.6  # 50 labels of 10 classes; chance is 0.1
    assert results["likelihood"]["bound"] == "elbo" and 0 < results["likelihood"]["bits_per_dim"] < 8
    sampled = genlab_at(["sample", "m1m2", "-n", 8, "-o", "samples.png"], root)
    assert sampled.returncode == 0, str(sampled)
    assert (root / "samples.png").stat().st_size > 0


def test_a_missing_or_unfit_m1_is_a_user_error(stack, genlab, user_error, tmp_path):
    from genlab.data import load_dataset
    from genlab.errors import UserError
    from genlab.models.registry import build_model

    root, m1, _ = stack
    missing = genlab("train", "--model", "m1m2", "--steps", 2, "--labels-per-class", 5, "--data", "digits",
                     "--out", "a", "--quiet")
    user_error(missing, "model.features=RUN")  # the CLI: one line, exit 2
    assert not (tmp_path / "a").exists()
    (tmp_path / "empty").mkdir()
    mnist = load_dataset("mnist").spec
    for spec, features, message in [(mnist, tmp_path / "empty", "holds no run"), (mnist, m1, "same data")]:
        with pytest.raises(UserError, match=message):
            build_model("m1m2", spec, {"features": str(features)})
