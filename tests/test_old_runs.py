"""Run folders written before the run-folder format version (tests/fixtures/old-vae-digits: a 12-step digits VAE
made by genlab at commit 6fddfe1) still open, sample and evaluate to the figures that code gave; a folder of a
newer format than this genlab reads is refused in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
OLD_RUN = FIXTURES / "old-vae-digits"
OLD_SAMPLES = FIXTURES / "old-vae-digits-samples.npy"
EXPECTED = json.loads((FIXTURES / "old-vae-digits-expected.json").read_text())


@pytest.fixture
def old_run(tmp_path: Path) -> Path:
    """A copy of the fixture: opening and evaluating may write into the folder; the committed one stays as made."""
    shutil.copytree(OLD_RUN, tmp_path / "old-vae-digits")
    return tmp_path / "old-vae-digits"


def test_old_run_opens(old_run):
    from genlab.models.loading import load_run
    from genlab.runs import RunInfo

    run = load_run(old_run, device="cpu")
    assert run.step == EXPECTED["step"] == 12
    assert isinstance(run.info, RunInfo) and run.info.format == 1  # written before the format was recorded
    assert run.info.config.model.name == "vae" and run.model.name == "vae"
    assert run.spec.name == "digits" and run.spec.shape == (1, 8, 8) and run.spec.levels == 17
    assert str(run.device) == "cpu"


def test_old_run_samples_what_it_sampled_before(old_run):
    from genlab import api

    run = api.load_run(old_run)
    x = api.sample(run, 8, seed=0)
    expected = np.load(OLD_SAMPLES, allow_pickle=False)
    assert x.shape == expected.shape == (8, 1, 8, 8)
    np.testing.assert_array_equal(x, expected)


def test_old_run_samples_through_the_cli(genlab, old_run, tmp_path):
    """The command that made the fixture's samples (genlab sample RUN -n 8 --npy, seed 0) still makes them."""
    result = genlab("sample", old_run, "-n", 8, "-o", "grid.png", "--npy", "s.npy")
    assert result.returncode == 0, str(result)
    np.testing.assert_array_equal(np.load(tmp_path / "s.npy"), np.load(OLD_SAMPLES))


def test_old_run_evaluates_to_the_figures_it_had(old_run):
    """ELBO and IWAE-5 nats per example as genlab evaluate --iwae 5 --samples 0 gave them before the change: the
    same weights, noise and arithmetic, to a relative 1e-7. Not to the last bit: another CPU's kernels (AMD EPYC
    against the machine that wrote the figures) move the 9th significant digit with the same code."""
    from genlab import api

    def same(value: float, key: str) -> bool:
        return value == pytest.approx(EXPECTED[key], rel=1e-7, abs=0)

    run = api.load_run(old_run)
    evaluation = api.evaluate(run, iwae_k=5, samples=0)
    likelihood = evaluation["likelihood"]
    assert set(likelihood.estimates) == {"elbo", "iwae-5"}
    assert same(likelihood.estimates["elbo"].nats_per_example, "elbo_nats_per_example")
    assert same(likelihood.estimates["iwae-5"].nats_per_example, "iwae5_nats_per_example")
    assert likelihood.bound == "iwae-5" and same(likelihood.nats_per_example, "iwae5_nats_per_example")
    assert evaluation.get("samples") is None
    # What it wrote reads back typed, in the current format, for this step.
    again = api.read_evaluation(run)
    assert again is not None and again.header.step == 12
    assert again["likelihood"].estimates["elbo"].nats_per_example == likelihood.estimates["elbo"].nats_per_example


def test_a_newer_run_folder_format_is_a_one_line_user_error(genlab, user_error, old_run, tmp_path):
    config = old_run / "config.json"
    config.write_text(json.dumps(json.loads(config.read_text()) | {"format": 99}))
    user_error(genlab("sample", old_run, "-n", 4, "-o", "out.png"), "format 99", "upgrade genlab")
    assert not (tmp_path / "out.png").exists()

    from genlab.errors import UserError
    from genlab.models.loading import load_run

    with pytest.raises(UserError, match="format 99"):
        load_run(old_run)
