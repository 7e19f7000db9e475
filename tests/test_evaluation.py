"""Evaluation beyond likelihood: the discriminative classifier, the feature cache, sample quality and novelty
through `genlab evaluate`, Bayes-rule classification, and `genlab compare`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import TINY_FLAGS


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory, genlab_at) -> Path:
    root = tmp_path_factory.mktemp("classifier")
    result = genlab_at(["train", "--data", "digits", "--model", "classifier", "--out", "run", "--steps", 400,
                        "--set", "model.channels=16", "--quiet"], root)
    assert result.returncode == 0, str(result)
    assert "validation accuracy" in result.stdout
    return root / "run"


def test_classifier_learns_digits(genlab, classifier_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(classifier_run, run)
    result = genlab("evaluate", run)
    assert result.returncode == 0, str(result)
    ev = json.loads((run / "evaluation.json").read_text())["results"]
    accuracy = ev["classification"]["accuracy"]
    assert accuracy > 0.85  # chance is 0.1
    # a classifier neither scores nor draws images
    assert ev["likelihood"]["bits_per_dim"] is None and "samples" not in ev
    assert f"Test accuracy: {100 * accuracy:.2f} %" in result.stdout
    assert f"Test accuracy: {100 * accuracy:.2f} %" in (run / "report.md").read_text()


def test_classifier_does_not_sample(genlab, user_error, classifier_run):
    user_error(genlab("sample", classifier_run, "-n", 4), "does not generate")


def test_classifier_needs_labels(genlab, user_error, levels_npy):
    user_error(genlab("train", "--data", levels_npy, "--model", "classifier", "--out", "run", "--steps", 2), "no labels")


def test_labels_per_class_trains_the_classifier_on_those_labels_only(tmp_path):
    from genlab import api
    from genlab.config import load_config
    from genlab.training.run import training_split

    config = load_config(None, {"data": {"source": "digits", "labels_per_class": 3},
                                "model": {"name": "classifier", "channels": 8}, "training": {"steps": 2, "batch_size": 16}})
    api.train(config, tmp_path / "run", quiet=True)
    info = json.loads((tmp_path / "run" / "config.json").read_text())
    assert info["config"]["data"]["labels_per_class"] == 3
    train = api.load_run(tmp_path / "run").dataset().train
    assert (train.y >= 0).sum() == 30 and (train.y == -1).sum() == len(train) - 30
    split = training_split(api.load_run(tmp_path / "run").model, train)
    assert len(split) == 30 and (split.y >= 0).all()


def test_feature_classifier_is_trained_once_and_keyed_by_data(monkeypatch, tmp_path):
    from genlab.config import DataConfig
    from genlab.evaluation import features
    from genlab.models.batched import features as features_of

    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(features, "MIN_STEPS", 5)
    monkeypatch.setattr(features, "FEATURE_EPOCHS", 0)
    trained = []
    real_train = features.train
    monkeypatch.setattr(features, "train", lambda *a, **k: trained.append(1) or real_train(*a, **k))
    first = features.feature_classifier(DataConfig(source="digits"))
    again = features.feature_classifier(DataConfig(source="digits", labels_per_class=2))  # same features
    assert len(trained) == 1 and first.path == again.path
    other = features.feature_classifier(DataConfig(source="digits", split_seed=1))
    assert len(trained) == 2 and other.path != first.path
    f = features_of(first.model, first.dataset().test.x[:7])
    assert f.shape == (7, first.model.feature_dim) and np.isfinite(f).all()
    assert not list((tmp_path / "cache" / "classifiers").glob(".*"))  # no staging folder left behind


def test_the_feature_classifier_trains_on_one_thread_whatever_the_caller_uses(monkeypatch, tmp_path):
    """The same weights on a machine where two threads are free as where one is: the FD floor travels."""
    import torch

    from genlab.config import DataConfig
    from genlab.evaluation import features

    monkeypatch.setattr(features, "MIN_STEPS", 5)
    monkeypatch.setattr(features, "FEATURE_EPOCHS", 0)
    threads, real_train = [], features.train
    monkeypatch.setattr(features, "train", lambda *a, **k: threads.append(torch.get_num_threads()) or real_train(*a, **k))
    caller = torch.get_num_threads()
    weights = []
    try:
        for count in (2, 1):
            torch.set_num_threads(count)
            monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / f"cache-{count}"))
            run = features.feature_classifier(DataConfig(source="digits"))
            assert torch.get_num_threads() == count  # the caller's count given back
            weights.append({k: v.clone() for k, v in run.model.state_dict().items()})
    finally:
        torch.set_num_threads(caller)
    assert threads == [features.TRAINING_THREADS] * 2 == [1, 1]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_evaluate_measures_samples_against_the_real_floor(genlab, digits_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(digits_run, run)
    result = genlab("evaluate", run, "--iwae", 2, "--samples", 200)
    assert result.returncode == 0, str(result)
    found = json.loads((run / "evaluation.json").read_text())["results"]["samples"]
    assert found["samples"] == 200 and "classifier" in found["features"]
    real, model = found["quality"]["real"], found["quality"]["model"]
    for key in ("fd", "kid", "precision", "recall", "density", "coverage"):
        assert np.isfinite(real[key]) and np.isfinite(model[key]), key
    # 30 steps of a tiny VAE are far from the data; real held-out digits are close to the training set.
    assert model["fd"] > real["fd"] and real["precision"] > model["precision"]
    assert found["feature_classifier_accuracy"] > 0.8
    assert 0 <= found["novelty"]["share_below_threshold"] <= 1
    assert (run / "novelty.png").is_file()
    report = (run / "report.md").read_text()
    assert "real test (floor)" in report and "novelty.png" in report
    assert "FD" in result.stdout and "likely copies" in result.stdout


def test_evaluate_without_samples_skips_quality(tmp_path, digits_run):
    from genlab import api

    result = api.evaluate(api.load_run(digits_run), iwae_k=1, samples=0, write=False)
    assert "samples" not in result.results and result["likelihood"].bits_per_dim > 0


@pytest.fixture(scope="module")
def conditional_vae(tmp_path_factory, genlab_at) -> Path:
    root = tmp_path_factory.mktemp("bayes")
    result = genlab_at(["train", "--data", "digits", "--model", "vae", "--conditional", "--out", "run", "--steps", 300,
                        "--batch-size", 64, "--set", "model.channels=16", "--set", "model.latent_dim=8", "--quiet"], root)
    assert result.returncode == 0, str(result)
    return root / "run"


def test_bayes_rule_classifier_beats_chance(conditional_vae):
    from genlab import api

    run = api.load_run(conditional_vae)
    result = api.evaluate(run, iwae_k=1, samples=0, classify=True, write=False)
    assert result["bayes"].bound == "elbo"
    assert result["bayes"].accuracy > 0.5  # chance is 0.1


def test_conditional_samples_are_of_the_asked_class(conditional_vae):
    from genlab import api

    found = api.evaluate(api.load_run(conditional_vae), iwae_k=1, samples=200, write=False)["samples"]
    assert found.label_accuracy > 0.5  # a classifier trained on real digits recognises the asked class


def test_classify_needs_a_conditional_likelihood_model(genlab, user_error, digits_run):
    user_error(genlab("evaluate", digits_run, "--classify", "--samples", 0), "--conditional")


def test_compare_two_runs(genlab, digits_run, conditional_vae, tmp_path):
    shutil.copytree(digits_run, tmp_path / "vae")
    shutil.copytree(conditional_vae, tmp_path / "conditional")
    result = genlab("compare", "vae", "conditional", "-o", "cmp")
    assert result.returncode == 0, str(result)
    text = (tmp_path / "cmp" / "comparison.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[1].startswith("| real test (floor)")  # first row after the header
    assert any(r.startswith("| run |") for r in rows[:1])
    assert sum("(elbo)" in r or "(iwae-" in r for r in rows) == 2
    assert (tmp_path / "cmp" / "bits.png").is_file() and (tmp_path / "cmp" / "samples.png").is_file()


def test_compare_refuses_runs_of_different_data(genlab, user_error, digits_run, levels_npy, tmp_path):
    made = genlab("train", "--data", levels_npy, "--out", "other", "--steps", 2, "--batch-size", 16, *TINY_FLAGS)
    assert made.returncode == 0, str(made)
    user_error(genlab("compare", digits_run, "other", "-o", "cmp"), "same dataset")
    assert not (tmp_path / "cmp").exists()


def test_evaluator_options_are_declared_once_read_by_an_evaluator_and_checked_from_their_declaration():
    """Each evaluator declares its options in the registry; evaluate()'s keywords, checks and the CLI's flags
    follow from them, so a stale or duplicated declaration, or a check that lets a bad value through, fails."""
    import inspect

    from genlab.errors import UserError
    from genlab.evaluation.options import Options, make_options
    from genlab.evaluation.registry import EVALUATORS, declared_options, evaluator

    keywords = [option.keyword for option in declared_options()]
    assert len(keywords) == len(set(keywords))
    sources = "".join(inspect.getsource(inspect.getmodule(type(evaluator(name)))) for name in EVALUATORS)
    assert all(f"options.{keyword}" in sources for keyword in keywords)
    assert make_options() == Options() and make_options(factor_metrics=["mig"]).factor_metrics == ("mig",)
    for bad, message in [({"iwae_k": 0}, "--iwae 0 must be a whole number, at least 1"),
                         ({"samples": -1}, "--samples -1 must be a whole number, 0 .skip. or positive"), ({"scenes": 1.5}, "--scenes 1.5"),
                         ({"factor_metrics": ("mig", "nope")}, "--factor-metrics has unknown nope"),
                         ({"factor_metrics": ()}, "--factor-metrics has none"), ({"seed": -1}, "seed -1"),
                         ({"nope": 1}, "no option nope")]:
        with pytest.raises(UserError, match=message):
            make_options(**bad)
