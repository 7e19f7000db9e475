"""Every family's defaults train on its own built-in data without flags: no batch size is given, so each run
trains with its family's default_batch_size, capped at the training split with a note (espeak's 32 training
utterances once failed with "Batch size 64 is larger than the 32 training examples").

Cheap by design: one step, small networks through model options (never a batch size), the smallest
built-in of each modality; the families that need a trained run (m1m2, srgan) get the one trained just
before them, and the video families a tiny clip file, since drawing moving-mnist takes a minute."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TINY_OPTIONS

from genlab import api
from genlab.config import load_config
from genlab.errors import UserError
from genlab.models.registry import MODELS
from genlab.training.batches import default_batch_size

# Small networks: model options only (the point is the default batch size, and every other training default);
# m1m2 and srgan start from the vae and srresnet trained before them.
TINY = TINY_OPTIONS | {"m1m2": TINY_OPTIONS["m1m2"] | {"features": "vae"},
                       "srgan": TINY_OPTIONS["srgan"] | {"generator": "srresnet"},
                       "tts": {k: v for k, v in TINY_OPTIONS["tts"].items() if k != "bin_start"}}
# The smallest built-in each family models; "clips.npy" is the tiny clip file made below.
DATA = {"charrnn": "chembl-assay", "smiles-vae": "chembl-assay", "predictor": "chembl-assay", "tts": "espeak",
        "vocoder": "espeak", "video-predict": "clips.npy", "video": "clips.npy"}
# Families trained first, whose runs others start from (model.features, model.generator).
FIRST = ("vae", "srresnet")


def test_every_family_is_listed_here():
    assert set(TINY) == set(MODELS)


def test_the_default_batch_is_the_familys_capped_at_the_training_split():
    assert default_batch_size(64, 1000, 1) == (64, None)
    batch, note = default_batch_size(64, 32, 1)
    assert batch == 32 and "32 examples" in note and "--batch-size" in note
    assert default_batch_size(64, 33, 2)[0] == 32  # whole shards (processes x accumulate)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple:
    """Every family trained one step on its own data with its defaults: (folder, {family: TrainResult}, the
    training's printed output)."""
    import contextlib
    import io
    import os

    folder = tmp_path_factory.mktemp("families")
    here = os.getcwd()
    os.chdir(folder)  # m1m2's features and srgan's generator name the runs trained before them by folder
    printed = io.StringIO()
    try:
        rng = np.random.default_rng(0)
        np.save(folder / "clips.npy", rng.integers(0, 256, (40, 6, 1, 8, 8), dtype=np.uint8))  # 40 clips, 6 frames
        results = {}
        with contextlib.redirect_stdout(printed):
            for family in (*FIRST, *sorted(set(MODELS) - set(FIRST))):
                config = load_config(None, {"data": {"source": DATA.get(family, "digits")},
                                            "model": {"name": family, **TINY[family]}, "training": {"steps": 1}})
                assert config.training.batch_size is None  # nothing given: the family decides
                results[family] = api.train(config, folder / family, quiet=True)
    finally:
        os.chdir(here)
    return folder, results, printed.getvalue()


def test_every_familys_defaults_train_on_its_own_data_without_flags(trained):
    folder, results, printed = trained
    for family, result in results.items():
        assert result.step == 1, family
        saved = json.loads((folder / family / "config.json").read_text())["config"]["training"]["batch_size"]
        assert isinstance(saved, int) and saved > 0, family  # the batch it trained with, recorded
    assert "fewer than the default batch of 64: training on batches of" in printed  # the clips


def test_every_evaluator_runs_on_every_tiny_run_it_applies_to(trained, monkeypatch):
    """Each family's one-step run evaluated by every registered evaluator that applies to it, at tiny sizes: the
    results are those evaluators' and each reads as a section (what the CLI prints and report.md shows)."""
    from genlab.evaluation.options import make_options
    from genlab.evaluation.registry import evaluators

    folder, results, _ = trained
    monkeypatch.chdir(folder)
    tiny = {"iwae_k": 1, "samples": 8, "factor_points": 0, "scenes": 0, "utterances": 1, "clips": 2, "inpaint": 2}
    options = make_options(**tiny, write=False)
    reached = set()
    for family in results:
        run = api.load_run(folder / family)
        expected = [e.name for e in evaluators() if e.applies(run, options)]
        evaluation = api.evaluate(run, write=False, **tiny)
        assert list(evaluation.results) == expected, family
        assert all(section.markdown() for section in evaluation.sections()), family
        reached |= set(expected)
    assert {"likelihood", "classification", "samples", "superres", "molecules", "speech", "forecast", "clips",
            "inpainting"} <= reached


def test_a_batch_size_given_is_never_changed(tmp_path):
    config = load_config(None, {"data": {"source": "espeak"}, "model": {"name": "tts", **TINY["tts"]},
                                "training": {"steps": 1, "batch_size": 64}})
    with pytest.raises(UserError, match="Batch size 64 is larger than the 32 training examples"):
        api.train(config, tmp_path / "run", quiet=True)
    assert not (tmp_path / "run").exists()
