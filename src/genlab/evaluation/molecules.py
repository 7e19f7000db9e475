"""The MOSES report card of a molecule model: its samples scored against the held-out split, beside the
same number of training molecules scored the same way (the floor: what data from the right distribution
scores at this sample size, as the MOSES paper's train row).

Metrics are metrics/molecules.py's, plus FCD (Preuer et al. 2018: the Frechet distance between ChemNet
activations, with fcd_torch's weights) — all of them biased at small sample sizes, which is why the floor is
measured at the same size. Novelty counts against the run's training split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genlab.data.molecules import moses_scaffold_test, smiles_of
from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.metrics import molecules as mol
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.sampling import sample
from genlab.tables import Section, Table, number

LABELS = {"valid": "Valid", "unique@1k": "Unique@1k", "unique@10k": "Unique@10k", "novelty": "Novelty",
          "intdiv": "IntDiv", "intdiv2": "IntDiv2", "filters": "Filters", "fcd": "FCD", "snn": "SNN",
          "frag": "Frag", "scaf": "Scaf", "fcd/sf": "FCD/TestSF", "snn/sf": "SNN/TestSF", "frag/sf": "Frag/TestSF",
          "scaf/sf": "Scaf/TestSF", "logP": "logP", "SA": "SA", "QED": "QED", "weight": "weight"}
LOWER_IS_BETTER = ("fcd", "fcd/sf", "logP", "SA", "QED", "weight")  # distances


class MoleculesResult(Result):
    samples: int
    reference: int  # held-out molecules scored against
    model: dict[str, float]
    train: dict[str, float]  # as many training molecules, the floor
    # property -> {"edges": bin edges, "model": share of valid samples per bin, "test": share of test molecules}
    histograms: dict[str, dict[str, list[float]]] = {}

    def headline(self) -> tuple[str, float] | None:
        return "valid", self.model["valid"]

    def section(self, header: EvaluationRecord) -> Section:
        rows = [(label + (" (lower is better)" if name in LOWER_IS_BETTER else ""), number(self.model.get(name)),
                 number(self.train.get(name))) for name, label in LABELS.items()]
        return Section("Molecules: the MOSES report card", [
            f"{self.samples:,} samples against {self.reference:,} {header.split} molecules. Valid, unique and "
            "novel: shares; IntDiv: diversity within the set; Filters: share passing MOSES' medicinal-chemistry "
            "filters; SNN, Frag, Scaf: similarity to the test molecules (higher is closer); FCD and the property "
            "rows (logP, SA, QED, weight: Wasserstein distances): lower is closer. The floor row scores as many "
            "training molecules the same way: every metric here is biased at small sizes, so read the model "
            "against it. Unique@k counts the first k valid samples (all of them when there are fewer). The test "
            "molecules are a subset and novelty counts against the run's own training molecules, so the figures "
            "compare with MOSES' tables in kind, not to the digit."], [Table(("metric", header.model, "training molecules (floor)"), rows)])


BINS = 30


def histograms(reference: dict[str, np.ndarray], generated: dict[str, np.ndarray]) -> dict[str, dict[str, list[float]]]:
    """Per property, shares of molecules in BINS bins spanning both sets' values (for the report's plot)."""
    out = {}
    for name in mol.PROPERTIES:
        both = np.concatenate([reference[name], generated.get(name, np.zeros(0))])
        edges = np.linspace(both.min(), both.max(), BINS + 1)
        shares = {k: np.histogram(v[name], edges)[0] / max(1, len(v[name])) for k, v in
                  (("test", reference), ("model", generated)) if name in v}
        out[name] = {"edges": edges.tolist()} | {k: v.tolist() for k, v in shares.items()}
    return out


@dataclass
class Reference:
    """Held-out molecules and the statistics every generated set is compared with (computed once)."""

    smiles: list[str]  # valid, canonical
    fingerprints: np.ndarray
    fcd: dict  # ChemNet activations' mean and covariance
    properties: dict[str, np.ndarray]


def reference_set(smiles: list[str], fcd) -> Reference:
    return Reference(smiles, mol.fingerprints(smiles), fcd.precalc(smiles), mol.properties(smiles))


def _similarities(valid: list[str], fps: np.ndarray, activations: dict, reference: Reference, fcd) -> dict[str, float]:
    """How close valid generated molecules (fingerprints fps, ChemNet statistics) are to a reference set."""
    return {"snn": mol.nearest_similarity(reference.fingerprints, fps),
            "frag": mol.fragment_similarity(reference.smiles, valid),
            "scaf": mol.scaffold_similarity(reference.smiles, valid),
            "fcd": float(fcd.metric(reference.fcd, activations))}


def report_card(generated: list[str], test: Reference, train: set[str], fcd,
                scaffold_test: Reference | None = None) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Every metric of generated SMILES against the test molecules (and, when given, the SNN, Frag, Scaf and
    FCD against the scaffold test set, named NAME/sf; `fcd` is a fcd_torch.FCD), and the valid generated
    molecules' properties."""
    valid = mol.valid_molecules(generated)
    scores = {"valid": len(valid) / len(generated), "unique@1k": mol.unique_at(valid, 1000),
              "unique@10k": mol.unique_at(valid, 10_000), "novelty": mol.novelty(valid, train)}
    if len(valid) < 2:
        return scores, {}
    fps, activations = mol.fingerprints(valid), fcd.precalc(valid)
    scores |= {"intdiv": mol.internal_diversity(fps), "intdiv2": mol.internal_diversity(fps, p=2),
               "filters": mol.filters(valid)} | _similarities(valid, fps, activations, test, fcd)
    if scaffold_test is not None:
        scores |= {f"{k}/sf": v for k, v in _similarities(valid, fps, activations, scaffold_test, fcd).items()}
    values = mol.properties(valid)
    return scores | mol.property_distances(test.properties, values), values


class Molecules(Evaluator):
    name = "molecules"
    Result = MoleculesResult

    def applies(self, run: Run, options: Options) -> bool:
        return run.spec.modality == "tokens" and run.model.can_sample and options.samples > 0

    def evaluate(self, context: Context) -> MoleculesResult:
        from fcd_torch import FCD

        run, options = context.run, context.options
        n = options.samples
        generated = smiles_of(run.spec, sample(run, n, seed=options.seed))  # what genlab sample draws at this seed
        train = mol.valid_molecules(smiles_of(run.spec, context.data.train.x))
        rows = np.random.default_rng(options.seed).permutation(len(train))[:n]
        fcd = FCD(device=str(run.device), n_jobs=1)
        test = reference_set(mol.valid_molecules(smiles_of(run.spec, context.held_out.x)), fcd)
        # MOSES data: also its scaffold test set (scaffolds absent from training), as many molecules as the test
        scaffold_test = reference_set(moses_scaffold_test(len(test.smiles)), fcd) \
            if run.spec.name.split(":")[0] == "moses" else None
        train_set = set(train)
        model, values = report_card(generated, test, train_set, fcd, scaffold_test)
        floor, _ = report_card([train[i] for i in rows], test, train_set, fcd, scaffold_test)
        return MoleculesResult(samples=n, reference=len(test.smiles), model=model, train=floor,
                               histograms=histograms(test.properties, values))
