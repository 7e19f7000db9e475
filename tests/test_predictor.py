"""Response prediction: measured properties hidden but for a few, a predictor that starts from a smiles-vae's
encoder (the shared tokens' embeddings copied by string), and train -> evaluate beside the fingerprint
forest through the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from genlab.config import DataConfig
from genlab.data import load_data
from genlab.data.molecule_encoding import token_dataset
from genlab.data.moses_data import read_moses
from genlab.errors import UserError
from genlab.models.registry import build_model

SIZES = {"embedding": 8, "encoder_hidden": 8}


def test_all_but_a_few_measurements_are_hidden():
    data = load_data(DataConfig(source="chembl-assay", labelled=25), seed=3)
    measured = np.isfinite(data.train.extras["properties"][:, 0])
    assert measured.sum() == 25 and np.isfinite(data.test.extras["properties"]).all()
    again = load_data(DataConfig(source="chembl-assay", labelled=25), seed=3)
    assert np.array_equal(np.isfinite(again.train.extras["properties"][:, 0]), measured)
    with pytest.raises(UserError, match="between 1 and 813"):
        load_data(DataConfig(source="chembl-assay", labelled=5000))
    with pytest.raises(UserError, match="no measured properties"):
        load_data(DataConfig(source="digits", labelled=5))


def test_the_predictor_starts_from_a_smiles_vaes_encoder(tmp_path, genlab):
    smiles = read_moses("test", limit=60)
    (tmp_path / "mols.csv").write_text("smiles\n" + "\n".join(smiles) + "\n")
    trained = genlab("train", "--data", "mols.csv", "--model", "smiles-vae", *(f"--set=model.{k}={v}" for k, v in
                     SIZES.items()), "--set", "model.decoder_hidden=8", "--steps", "2", "--batch-size", "8", "--quiet",
                     "--out", "vae")
    assert trained.returncode == 0, str(trained)
    assay = load_data(DataConfig(source="chembl-assay"))
    torch.manual_seed(0)
    predictor = build_model("predictor", assay.spec, SIZES | {"features": str(tmp_path / "vae")})
    predictor.initialise(assay.train)
    measured = assay.train.extras["properties"][:, 0]
    assert float(predictor.target_mean) == pytest.approx(np.nanmean(measured))  # its scale, from the data
    assert float(predictor.target_std) == pytest.approx(np.nanstd(measured))
    from genlab.models.loading import load_run

    vae = load_run(tmp_path / "vae").model
    for name, value in vae.encoder.state_dict().items():
        assert torch.equal(predictor.encoder.state_dict()[name], value), name
    theirs = {t: i for i, t in enumerate(vae.spec.vocabulary)}
    for i, token in enumerate(assay.spec.vocabulary):
        if token in theirs:
            assert torch.equal(predictor.embed.weight[i], vae.embed.weight[theirs[token]]), token
    with pytest.raises(UserError, match="same sizes"):
        build_model("predictor", assay.spec, {"features": str(tmp_path / "vae")}).initialise()
    with pytest.raises(UserError, match="holds no run"):
        build_model("predictor", assay.spec, {"features": str(tmp_path)}).initialise()
    with pytest.raises(UserError, match="no measured property"):
        build_model("predictor", token_dataset("m", {"train": smiles, "val": smiles, "test": smiles}, "smiles").spec, {})


def test_train_and_evaluate_a_predictor_beside_the_fingerprint_forest(genlab, tmp_path):
    trained = genlab("train", "--data", "chembl-assay", "--model", "predictor", "--set", "data.labelled=25",
                     *(f"--set=model.{k}={v}" for k, v in SIZES.items()), "--steps", "3", "--batch-size", "16",
                     "--quiet", "--out", "run")
    assert trained.returncode == 0, str(trained)
    evaluated = genlab("evaluate", "run")
    assert evaluated.returncode == 0 and "Response: predicted activity" in evaluated.stdout, str(evaluated)
    result = json.loads((tmp_path / "run" / "evaluation.json").read_text())["results"]["response"]
    assert result["measured_train"] == 25 and result["scored"] == 102
    assert set(result["model"]) == set(result["forest"]) == {"rmse", "spearman"}
    assert result["forest"]["rmse"] < result["mean"]["rmse"]  # fingerprints carry the response even from 25
