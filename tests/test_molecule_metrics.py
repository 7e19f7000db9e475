"""The MOSES report card's metrics on small cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from genlab.metrics import molecules as m

SOME = ["CCO", "c1ccccc1", "CC(=O)Oc1ccccc1C(=O)O", "c1ccc2ccccc2c1", "CCN(CC)CC"]


def test_validity_uniqueness_and_novelty():
    generated = ["CCO", "OCC", "not a molecule", "c1ccccc1", "C1CC", ""]
    valid = m.valid_molecules(generated)
    assert valid == ["CCO", "CCO", "c1ccccc1"]  # canonical: OCC is ethanol again
    assert m.validity(generated) == pytest.approx(3 / 6)
    assert m.unique_at(valid, 3) == pytest.approx(2 / 3) and m.unique_at(valid, 2) == pytest.approx(1 / 2)
    assert m.novelty(valid, {"CCO"}) == pytest.approx(1 / 2)


def test_diversity_and_nearest_similarity_of_identical_and_distinct_sets():
    same = m.fingerprints(["c1ccccc1"] * 4)
    assert m.internal_diversity(same) == pytest.approx(0.0) and m.internal_diversity(same, p=2) == pytest.approx(0.0)
    fps = m.fingerprints(SOME)
    assert 0.5 < m.internal_diversity(fps) < 1.0
    assert m.internal_diversity(fps, p=2) <= m.internal_diversity(fps)  # the p-mean weighs similar pairs more
    assert m.nearest_similarity(fps, fps) == pytest.approx(1.0)
    assert m.nearest_similarity(fps[:1], fps[3:4]) < 0.5


def test_fragment_and_scaffold_similarity_of_a_set_with_itself_is_one():
    assert m.fragment_similarity(SOME, SOME) == pytest.approx(1.0)
    assert m.scaffold_similarity(SOME, list(reversed(SOME))) == pytest.approx(1.0)  # naphthalene: two rings
    assert np.isnan(m.scaffold_similarity(SOME, ["CCO"]))  # no scaffold of two rings among the generated


def test_filters_and_properties():
    assert m.passes_filters("c1ccccc1") and not m.passes_filters("C[N+](C)(C)C")  # charged
    assert not m.passes_filters("CC[Si](C)C") and not m.passes_filters("C1CCCCCCC1")  # silicon; an 8-ring
    assert m.filters(["c1ccccc1", "C[N+](C)(C)C"]) == pytest.approx(0.5)
    values = m.properties(["CCO", "c1ccccc1"])
    np.testing.assert_allclose(values["weight"], [46.069, 78.114], atol=0.01)
    assert (values["SA"] >= 1).all() and (values["SA"] <= 10).all() and (values["QED"] <= 1).all()
    assert m.property_distances(values, values) == {name: 0.0 for name in m.PROPERTIES}


def test_internal_diversity_two_averages_per_molecule_as_moses_does():
    fps = m.fingerprints(SOME)
    a, b = fps.astype(float), fps.astype(float).T
    common = a @ b
    tanimoto = common / (a.sum(1)[:, None] + b.sum(0)[None, :] - common)  # (5, 5)
    moses = 1 - np.mean(np.mean(tanimoto**2, axis=0) ** 0.5)
    assert m.internal_diversity(fps, p=2) == pytest.approx(moses)
    assert m.unique_at(["CCO", "CCO"], 1000) == pytest.approx(0.5)  # fewer than k: over as many as there are


def test_response_scores_and_the_fingerprint_forest_on_the_assay():
    from genlab.data.chembl_assay import read_assay, scaffold_split
    from genlab.metrics.response import fingerprint_forest, response_scores

    perfect = response_scores(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    assert perfect == {"rmse": 0.0, "spearman": pytest.approx(1.0)}
    assert response_scores(np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0]))["spearman"] == pytest.approx(-1.0)
    smiles, activity = read_assay()
    train, _, test = scaffold_split(smiles)
    predicted = fingerprint_forest([smiles[i] for i in train], activity[train], [smiles[i] for i in test], trees=50)
    forest = response_scores(activity[test], predicted)
    mean = response_scores(activity[test], np.full(len(test), activity[train].mean()))
    assert forest["rmse"] < mean["rmse"] and forest["spearman"] > 0.3  # fingerprints carry the response


def test_the_report_card_of_a_set_against_itself_and_against_the_scaffold_test_set():
    from fcd_torch import FCD

    from genlab.data.moses_data import moses_scaffold_test, read_moses
    from genlab.evaluation.molecules import reference_set, report_card

    molecules = m.valid_molecules(read_moses("test", limit=200))
    fcd = FCD(device="cpu", n_jobs=1)
    test, scaffold_test = reference_set(molecules, fcd), reference_set(moses_scaffold_test(200), fcd)
    scores, values = report_card(molecules, test, set(molecules[:100]), fcd, scaffold_test)
    assert scores["valid"] == 1.0 and scores["novelty"] == pytest.approx(0.5)
    assert abs(scores["fcd"]) < 1e-3 and scores["snn"] == pytest.approx(1.0) and scores["frag"] == pytest.approx(1.0)
    assert all(scores[name] == pytest.approx(0.0, abs=1e-9) for name in m.PROPERTIES)  # the same distributions
    assert scores["fcd/sf"] > 1.0 and scores["snn/sf"] < scores["snn"]  # other scaffolds are further away
    assert len(values["QED"]) == len(molecules)
    without, _ = report_card(molecules, test, set(), fcd)
    assert "fcd/sf" not in without and without["novelty"] == 1.0


def test_what_depends_only_on_the_data_is_computed_once_and_kept_in_the_cache(tmp_path, monkeypatch):
    from genlab.data.molecule_encoding import token_dataset
    from genlab.evaluation import molecules as em

    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path))
    data = token_dataset("mini", {"train": ["CCO", "OCC", "C1CC", "c1ccccc1"], "val": ["CCN"], "test": ["CCC"]},
                         "smiles")

    class ChemNet:  # fcd_torch.FCD's interface, without loading its weights
        device = "cpu"

        def precalc(self, smiles):
            return {"mu": np.arange(3.0), "sigma": np.eye(3)}

    reports = []
    train = em.training_molecules(data.spec, data.train.x, lambda done, total: reports.append((done, total)))
    assert train == ["CCO", "CCO", "c1ccccc1"] and reports[-1] == (4, 4)
    reference = em.reference_set(SOME, ChemNet())

    def recomputed(*args, **kwargs):
        raise AssertionError("computed again")

    for name in ("valid_molecules", "fingerprints", "properties", "fragments", "scaffolds"):
        monkeypatch.setattr(em.mol, name, recomputed)
    assert em.training_molecules(data.spec, data.train.x) == train
    again = em.reference_set(SOME, ChemNet())
    np.testing.assert_array_equal(again.fingerprints, reference.fingerprints)
    assert again.fragments == reference.fragments and again.scaffolds == reference.scaffolds and again.scaffolds
    assert all((again.properties[k] == reference.properties[k]).all() for k in m.PROPERTIES)
    np.testing.assert_array_equal(again.fcd["sigma"], np.eye(3))
