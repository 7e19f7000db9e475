"""Proposing molecules (genlab design): Bayesian optimisation finds better codes than the prior on a known
function, and through the CLI a smiles-vae's search writes ranked, valid candidates within the SA limit whose
scores and novelty are what RDKit and the training set say, for qed and for a predictor's response."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest

from genlab.data.moses_data import read_moses

VAE = {"embedding": 16, "encoder_hidden": 32, "latent_dim": 8, "decoder_hidden": 64, "decoder_layers": 1,
       "kl_warmup": 100}


def test_bayesian_optimisation_beats_the_prior_on_a_known_function():
    from genlab.apps.latent_search import propose

    target = np.full(4, 1.5)

    def score(z: np.ndarray) -> np.ndarray:
        return -np.square(z - target).sum(1)

    rng = np.random.default_rng(0)
    codes = rng.standard_normal((10, 4))
    values = score(codes)
    values[0] = np.nan  # a failed decoding is not a crash
    for _ in range(6):
        proposed = propose(codes, values, 5, rng)
        codes, values = np.concatenate([codes, proposed]), np.concatenate([values, score(proposed)])
    prior = score(np.random.default_rng(1).standard_normal((40, 4)))  # as many codes from the prior
    assert np.nanmax(values) > prior.max() + 1.0, (np.nanmax(values), prior.max())


@pytest.fixture(scope="module")
def molecule_runs(tmp_path_factory, genlab_at):
    """A smiles-vae overfitted to 40 MOSES molecules (it decodes valid molecules) and a two-step predictor."""
    folder = tmp_path_factory.mktemp("design")
    (folder / "mols.csv").write_text("smiles\n" + "\n".join(read_moses("test", limit=40)) + "\n")
    vae = genlab_at(["train", "--data", "mols.csv", "--model", "smiles-vae",
                     *(f"--set=model.{k}={v}" for k, v in VAE.items()), "--steps", "220", "--batch-size", "32",
                     "--lr", "1e-2", "--set", "training.warmup_steps=0", "--quiet", "--out", "vae"], folder)
    assert vae.returncode == 0, str(vae)
    predictor = genlab_at(["train", "--data", "chembl-assay", "--model", "predictor", "--set", "model.embedding=8",
                           "--set", "model.encoder_hidden=8", "--steps", "2", "--batch-size", "8", "--quiet",
                           "--out", "predictor"], folder)
    assert predictor.returncode == 0, str(predictor)
    return folder


def _rows(path) -> list[dict]:
    return list(csv.DictReader(path.open()))


def test_design_writes_ranked_valid_candidates_within_the_sa_limit(molecule_runs, genlab_at):
    from rdkit import Chem
    from rdkit.Chem import QED

    done = genlab_at(["design", "vae", "--objective", "qed", "-n", "6", "--rounds", "2", "--batch", "8", "--start",
                      "20", "--max-sa", "4.5", "-o", "qed.csv"], molecule_runs)
    assert done.returncode == 0 and "#1 qed" in done.stdout and "best encoded training molecule" in done.stdout, \
        str(done)
    rows = _rows(molecule_runs / "qed.csv")
    assert 1 <= len(rows) <= 6 and [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    scores = [float(r["qed"]) for r in rows]
    assert scores == sorted(scores, reverse=True) and len({r["smiles"] for r in rows}) == len(rows)
    training = {Chem.CanonSmiles(s) for s in read_moses("test", limit=40)}
    for row in rows:
        mol = Chem.MolFromSmiles(row["smiles"])
        assert mol is not None and float(row["sa"]) <= 4.5 and 0 <= int(row["round"]) <= 2
        assert float(row["qed"]) == pytest.approx(QED.qed(mol), abs=1e-4)
        assert row["novel"] == str(int(row["smiles"] not in training))
    assert (molecule_runs / "qed.png").stat().st_size > 0
    again = genlab_at(["design", "vae", "--objective", "qed", "-n", "6", "--rounds", "2", "--batch", "8", "--start",
                       "20", "-o", "again.csv"], molecule_runs)
    assert again.returncode == 0 and _rows(molecule_runs / "again.csv") == rows  # seeded: the same search
    predicted = genlab_at(["design", "vae", "--objective", "predicted:predictor", "-n", "3", "--rounds", "1",
                           "--batch", "8", "--start", "20", "-o", "active.csv"], molecule_runs)
    assert predicted.returncode == 0, str(predicted)
    values = [float(r["predicted:predictor"]) for r in _rows(molecule_runs / "active.csv")]
    assert values == sorted(values, reverse=True) and all(np.isfinite(values))


@pytest.mark.parametrize("args, needle", [
    (["vae", "--objective", "potency"], "is not an objective"),
    (["vae", "--objective", "predicted:vae"], "not a predictor"),
    (["predictor", "--objective", "qed"], "give it a smiles-vae run"),
    (["vae", "--objective", "qed", "-o", "out.txt"], "written as .csv"),
    (["vae", "--objective", "qed", "--max-sa", "11"], "--max-sa 11"),
    (["vae", "--objective", "qed", "--batch", "0"], "--batch 0"),
])
def test_design_refuses_bad_requests_in_one_line_and_writes_nothing(molecule_runs, genlab_at, user_error, args,
                                                                    needle):
    before = set(molecule_runs.iterdir())
    user_error(genlab_at(["design", *args], molecule_runs), needle)
    assert set(molecule_runs.iterdir()) == before


def test_bench_molecules_writes_its_three_tables_and_continues_from_its_records(tmp_path, monkeypatch):
    from genlab.benchmarks import molecules as bench

    (tmp_path / "mols.csv").write_text("smiles\n" + "\n".join(read_moses("test", limit=100)) + "\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(bench, "LABELS", (25,))
    monkeypatch.setattr(bench, "DESIGN", {"rounds": 1, "batch": 4, "start": 6, "max_sa": 4.5})
    settings = {"data": "mols.csv", "steps": 2, "vae_steps": 2, "predictor_steps": 2, "seeds": 1, "samples": 20}
    page = bench.molecules(tmp_path / "out", **settings)
    text = page.read_text()
    assert "CharRNN (SELFIES)" in text and "CharRNN (MOSES paper)" in text and "20 training molecules (floor)" in text
    assert "| 25 |" in text and "QED (SA ≤ 4.5)" in text
    records = sorted(p.name for p in (tmp_path / "out" / "molecules").glob("*.json"))
    assert len(records) == 3 + 2 + 2 + 1, records  # generators, predictors, designs, the training molecules' best

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    shutil.rmtree(tmp_path / "out" / "runs")  # a fresh machine: only the records are left
    monkeypatch.setattr(bench, "train_or_reuse", no_training)
    assert bench.molecules(tmp_path / "out", **settings).read_text() == text
    with pytest.raises(AssertionError, match="trained again"):  # another budget is another run
        bench.molecules(tmp_path / "out", **settings | {"predictor_steps": 3})


def test_the_candidates_csv_names_each_column_once():
    from genlab.apps.design import Candidate, _csv

    candidates = [Candidate("CCO", 0.41, 0.41, -0.0014, 1.98, True, 1)]
    for objective in ("qed", "logp", "predicted:runs/p"):
        header = _csv(candidates, objective).decode().splitlines()[0].split(",")
        assert len(header) == len(set(header)) and {"qed", "logp", "sa"} <= set(header), header
    assert _csv(candidates, "predicted:runs/p").decode().startswith("rank,smiles,predicted:runs/p,qed,logp,")


def test_a_predicted_objective_naming_no_run_says_the_syntax(tmp_path):
    from genlab.apps.design import objective_function
    from genlab.errors import UserError

    with pytest.raises(UserError, match="predicted:") as err:
        objective_function(f"predicted:{tmp_path / 'missing'}")
    assert "predicted=" not in str(err.value) and "\n" not in str(err.value)
