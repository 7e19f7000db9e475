"""CharRNN, the LSTM language model over molecules: it learns (held-out nats fall), its samples are well-formed
token sequences, and train -> sample (CSV and picture) -> evaluate works through the CLI on a user's file."""

from __future__ import annotations

import csv
import json

import pytest
import torch

from genlab.data.molecule_encoding import token_dataset
from genlab.data.moses_data import read_moses
from genlab.data.smiles_tokens import BOS, EOS, PAD
from genlab.models.registry import build_model

TINY = {"embedding": 16, "hidden": 32, "layers": 1}


def _data():
    smiles = read_moses("test", limit=260)
    return token_dataset("mini", {"train": smiles[:200], "val": smiles[200:230], "test": smiles[230:]}, "smiles")


def test_training_lowers_held_out_nats_and_samples_are_well_formed():
    data = _data()
    torch.manual_seed(0)
    model = build_model("charrnn", data.spec, TINY)
    x, test = torch.from_numpy(data.train.x).long(), torch.from_numpy(data.test.x).long()
    before = -model.eval().log_prob(test).nats.mean()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for step in range(60):
        batch = x[torch.randint(0, len(x), (32,), generator=torch.Generator().manual_seed(step))]
        loss = model.loss({"x": batch})["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = -model.eval().log_prob(test).nats.mean()
    assert after < 0.7 * before, f"held-out nats per molecule {before:.1f} -> {after:.1f}"
    torch.manual_seed(1)
    samples = model.sample(16)
    assert samples.shape == (16, data.spec.shape[0]) and (samples[:, 0] == BOS).all()
    for row in samples:
        ends = (row == EOS).nonzero()
        assert len(ends) == 1, "exactly one <eos> per molecule"
        assert (row[ends[0, 0] + 1 :] == PAD).all() and (row[1 : ends[0, 0]] > EOS).all()


def test_train_sample_and_evaluate_molecules_through_the_cli(genlab, tmp_path):
    smiles = read_moses("test", limit=120)
    (tmp_path / "mols.csv").write_text("smiles\n" + "\n".join(smiles) + "\n")
    options = [arg for key, value in TINY.items() for arg in ("--set", f"model.{key}={value}")]
    trained = genlab("train", "--data", "mols.csv", "--model", "charrnn", *options, "--steps", "3", "--batch-size", "8",
                     "--quiet", "--out", "run")
    assert trained.returncode == 0, str(trained)
    sampled = genlab("sample", "run", "-n", "12", "-o", "out.csv")
    assert sampled.returncode == 0, str(sampled)
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert len(rows) == 12 and {row["valid"] for row in rows} <= {"0", "1"}
    assert genlab("sample", "run", "-n", "12", "-o", "out.png").returncode == 0
    assert (tmp_path / "out.png").stat().st_size > 0
    evaluated = genlab("evaluate", "run", "--samples", "20")
    assert evaluated.returncode == 0 and "charrnn (exact)" in evaluated.stdout, str(evaluated)
    assert "MOSES report card" in evaluated.stdout
    card = json.loads((tmp_path / "run" / "evaluation.json").read_text())["results"]["molecules"]
    assert card["samples"] == 20 and card["train"]["valid"] == 1.0 and card["train"]["novelty"] == 0.0
    assert 0 <= card["model"]["valid"] <= 1 and card["train"]["fcd"] > 0
    assert "Molecular properties" in (tmp_path / "run" / "report.md").read_text()
    assert (tmp_path / "run" / "report" / "properties.png").stat().st_size > 0
    vae = genlab("train", "--data", "mols.csv", "--model", "smiles-vae", "--set", "model.encoder_hidden=8",
                 "--set", "model.decoder_hidden=16", "--steps", "2", "--batch-size", "8", "--quiet", "--out", "vae")
    assert vae.returncode == 0, str(vae)
    walked = genlab("sample", "vae", "-o", "walk.csv", "--between", smiles[0], "--between", smiles[1])
    assert walked.returncode == 0 and "10 interpolated molecules" in walked.stdout, str(walked)
    assert len(list(csv.DictReader((tmp_path / "walk.csv").open()))) == 10


def test_smiles_vae_learns_warms_its_kl_up_and_keeps_the_schedule_in_its_weights():
    data = _data()
    torch.manual_seed(0)
    model = build_model("smiles-vae", data.spec, {"embedding": 16, "encoder_hidden": 32, "latent_dim": 8,
                                                  "decoder_hidden": 32, "decoder_layers": 1, "kl_warmup": 40})
    x, test = torch.from_numpy(data.train.x).long(), torch.from_numpy(data.test.x).long()
    torch.manual_seed(0)
    before = -model.eval().log_prob(test).nats.mean()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    weights = []
    for step in range(60):
        batch = x[torch.randint(0, len(x), (32,), generator=torch.Generator().manual_seed(step))]
        out = model.loss({"x": batch})
        weights.append(out["kl_weight"])
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
    assert weights[0] == 0.0 and weights[20] == pytest.approx(0.05 * 20 / 40) and weights[-1] == pytest.approx(0.05)
    assert int(model.state_dict()["steps_trained"]) == 60  # saved with the weights: a resumed run continues
    torch.manual_seed(0)
    after = -model.eval().log_prob(test).nats.mean()
    assert after < 0.8 * before, f"held-out -ELBO per molecule {before:.1f} -> {after:.1f}"
    codes = model.encode(test[:4])
    assert codes.shape == (4, 8) and model.decode(codes).shape == test[:4].shape


def test_free_bits_leave_the_kl_below_them_uncharged():
    """Below `free_bits` nats per latent the KL term gives the encoder no gradient (so it keeps that much
    information instead of collapsing to the prior); above them it charges as usual."""
    data = _data()
    x = torch.from_numpy(data.train.x[:16]).long()

    def posterior_gradient(**options) -> torch.Tensor:
        torch.manual_seed(0)
        model = build_model("smiles-vae", data.spec, {"embedding": 8, "encoder_hidden": 8, "latent_dim": 4,
                                                      "decoder_hidden": 8, "decoder_layers": 1, "kl_warmup": 0,
                                                      **options})
        torch.manual_seed(1)
        model.loss({"x": x})["loss"].backward()
        return model.to_posterior.weight.grad

    recon_only = posterior_gradient(kl_weight=0.0)
    assert torch.equal(posterior_gradient(kl_weight=1.0, free_bits=100.0), recon_only)
    assert not torch.allclose(posterior_gradient(kl_weight=1.0, free_bits=0.0), recon_only)
