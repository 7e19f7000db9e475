"""Conditional generation through the command line: --conditional, --label, one row per class, --interpolate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import TINY_FLAGS


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory, genlab_at) -> Path:
    root = tmp_path_factory.mktemp("conditional")
    result = genlab_at(["train", "--data", "digits", "--model", "vae", "--conditional", "--out", "run", "--steps", 20,
                        "--batch-size", 32, *TINY_FLAGS], root)
    assert result.returncode == 0, str(result)
    return root / "run"


def test_config_records_conditional(conditional_run):
    import json

    info = json.loads((conditional_run / "config.json").read_text())
    assert info["config"]["model"]["conditional"] is True
    assert info["model"]["capabilities"]["is_conditional"] is True


def test_one_row_per_class_without_label(genlab, conditional_run, tmp_path):
    result = genlab("sample", conditional_run, "-n", 20, "-o", "grid.png", "--npy", "s.npy")
    assert result.returncode == 0, str(result)
    assert np.load(tmp_path / "s.npy").shape == (20, 1, 8, 8)  # 2 per class, 10 classes
    grid = Image.open(tmp_path / "grid.png")
    assert grid.height > 4 * grid.width  # ten rows of two


def test_label_is_passed_to_the_model(conditional_run):
    """Sampling with a label conditions the decoder: the same seed with two labels gives different images."""
    from genlab import api

    run = api.load_run(conditional_run)
    a = api.sample(run, 8, seed=0, labels=np.full(8, 1))
    b = api.sample(run, 8, seed=0, labels=np.full(8, 7))
    assert not np.array_equal(a, b)
    assert np.array_equal(a, api.sample(run, 8, seed=0, labels=np.full(8, 1)))


def test_interpolate_writes_a_strip_per_pair(genlab, conditional_run, tmp_path):
    result = genlab("sample", conditional_run, "--interpolate", "-n", 20, "-o", "walk.png", "--npy", "walk.npy")
    assert result.returncode == 0, str(result)
    walk = np.load(tmp_path / "walk.npy")
    assert walk.shape == (20, 1, 8, 8) and walk.max() <= 16


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--label", "10"], "--label 10"),
        (["--guidance", "2"], "--guidance"),
        (["--method", "euler"], "--method"),
    ],
)
def test_sampling_option_errors(args, needle, genlab, user_error, conditional_run, tmp_path):
    result = genlab("sample", conditional_run, *args, "-o", "out.png")
    user_error(result, needle)
    assert not (tmp_path / "out.png").exists()


def test_label_on_unconditional_run_is_refused(genlab, user_error, digits_run, tmp_path):
    user_error(genlab("sample", digits_run, "--label", "3", "-o", "out.png"), "--conditional")
    assert not (tmp_path / "out.png").exists()


def test_conditional_on_unlabelled_data_is_refused(genlab, user_error, levels_npy, tmp_path):
    user_error(genlab("train", "--data", levels_npy, "--model", "vae", "--conditional", "--out", "r", "--steps", 2,
                      *TINY_FLAGS), "no labels")
    assert not (tmp_path / "r").exists()


def test_guidance_on_an_unconditional_diffusion_run_is_a_user_error(genlab, user_error, tmp_path):
    """The check lives in the API (the family's sampler), so the CLI gives exit 2 and one line, not a traceback."""
    made = genlab("train", "--data", "digits", "--model", "diffusion", "--out", "run", "--steps", 2, "--batch-size", 16,
                  "--set", "model.channels=8", "--set", "model.timesteps=20", "--set", "model.sample_steps=2", "--quiet")
    assert made.returncode == 0, str(made)
    user_error(genlab("sample", "run", "-n", 4, "--guidance", "2", "-o", "out.png"), "--guidance", "--conditional")
    assert not (tmp_path / "out.png").exists()
    from genlab import api
    from genlab.errors import UserError

    with pytest.raises(UserError, match="--guidance"):
        api.sample(api.load_run(tmp_path / "run"), 4, guidance=2.0)
