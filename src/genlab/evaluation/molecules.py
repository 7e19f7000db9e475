"""The MOSES report card of a molecule model: its samples scored against the held-out split, beside the
same number of training molecules scored the same way (the floor: what data from the right distribution
scores at this sample size, as the MOSES paper's train row).

Metrics are metrics/molecules.py's, plus FCD (Preuer et al. 2018: the Frechet distance between ChemNet
activations, with fcd_torch's weights) — all of them biased at small sample sizes, which is why the floor is
measured at the same size. Novelty counts against the run's training split.

What depends only on the data is computed once and kept in $GENLAB_CACHE/molecules: the training molecules'
canonical SMILES (RDKit takes ~0.35 ms a molecule, nine minutes for MOSES' 1.58M on one core), each reference
set's statistics (a minute and a half for 10,000 molecules) and the floor's scores. A run's report card of
1,000 samples then takes seconds beyond its own sampling.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from genlab.data.molecule_encoding import smiles_of
from genlab.data.moses_data import moses_scaffold_test
from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.files import atomic_write, cache_root, cached_json
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
CACHE_VERSION = 1  # bump when a metric or what is kept in the cache changes, so the cache is made anew
CHUNK = 10_000  # molecules between two progress reports

Progress = Callable[[int, int], None]


def _quiet(done: int, total: int) -> None:
    """The progress callback when nobody watches."""


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


def _digest(*parts) -> str:
    """A short hash of arrays, strings and JSON-able values: the name of what the cache keeps for them."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(np.ascontiguousarray(part).data if isinstance(part, np.ndarray) else json.dumps(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:24]


def _versions() -> list[str]:
    """What the cached figures depend on besides their inputs."""
    from importlib.metadata import version

    import rdkit

    return [str(CACHE_VERSION), rdkit.__version__, version("fcd_torch")]


def _device(fcd) -> str:
    """The kind of device ChemNet runs on (cpu, cuda): its activations differ between kinds in the last digits."""
    return str(fcd.device).split(":")[0]


def training_molecules(spec, x: np.ndarray, progress: Progress = _quiet) -> list[str]:
    """The canonical SMILES of the valid molecules among a run's training rows x (N, L) of token ids, in order:
    what novelty counts against and the floor is drawn from. Kept in $GENLAB_CACHE/molecules under a hash of
    the ids, the vocabulary and the versions, since every run of a dataset shares them and RDKit takes nine
    minutes for MOSES' 1.58M; read back in a second."""
    key = _digest(x, list(spec.vocabulary), spec.tokenizer, _versions())
    path = cache_root() / "molecules" / f"training-{key}.txt"
    if path.exists():
        return path.read_text().splitlines()
    out: list[str] = []
    for start in range(0, len(x), CHUNK):
        progress(start, len(x))
        out += mol.valid_molecules(smiles_of(spec, x[start : start + CHUNK]))
    progress(len(x), len(x))
    atomic_write(path, "".join(f"{s}\n" for s in out).encode())
    return out


@dataclass
class Reference:
    """Held-out molecules and the statistics every generated set is compared with (computed once, and kept in
    $GENLAB_CACHE/molecules for the next run on the same molecules)."""

    smiles: list[str]  # valid, canonical
    fingerprints: np.ndarray
    fcd: dict  # ChemNet activations' mean and covariance
    properties: dict[str, np.ndarray]
    fragments: Counter  # BRICS fragment counts
    scaffolds: Counter  # Bemis-Murcko scaffold counts


def _counter_arrays(name: str, counts: Counter) -> dict[str, np.ndarray]:
    """A Counter as two arrays an .npz holds without pickling: its keys and their counts."""
    return {f"{name}_keys": np.array(list(counts), dtype=str),
            f"{name}_counts": np.array(list(counts.values()), np.int64)}


def reference_set(smiles: list[str], fcd, progress: Progress = _quiet) -> Reference:
    """The statistics of reference molecules (`fcd`: a fcd_torch.FCD), from the cache when they were computed
    before for the same molecules, versions and device."""
    path = cache_root() / "molecules" / f"reference-{_digest(smiles, _versions(), _device(fcd))}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as kept:
                fcd_stats = {"mu": kept["fcd_mu"], "sigma": kept["fcd_sigma"]} if "fcd_mu" in kept else {}
                return Reference(smiles, kept["fingerprints"], fcd_stats,
                                 {name: kept[f"property_{name}"] for name in mol.PROPERTIES},
                                 *(Counter(dict(zip(kept[f"{c}_keys"].tolist(), kept[f"{c}_counts"].tolist())))
                                   for c in ("fragments", "scaffolds")))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # a damaged cache file: made anew
            pass
    steps = (lambda: mol.fingerprints(smiles), lambda: fcd.precalc(smiles), lambda: mol.properties(smiles),
             lambda: mol.fragments(smiles), lambda: mol.scaffolds(smiles))
    parts = []
    for i, step in enumerate(steps):
        progress(i, len(steps))
        parts.append(step())
    progress(len(steps), len(steps))
    reference = Reference(smiles, *parts)
    buf = io.BytesIO()
    fcd_stats = {f"fcd_{k}": v for k, v in reference.fcd.items()}  # none for fewer than two molecules
    np.savez(buf, fingerprints=reference.fingerprints, **fcd_stats,
             **{f"property_{k}": v for k, v in reference.properties.items()},
             **_counter_arrays("fragments", reference.fragments), **_counter_arrays("scaffolds", reference.scaffolds))
    atomic_write(path, buf.getvalue())
    return reference


def _similarities(valid: list[str], fps: np.ndarray, activations: dict, reference: Reference, fcd) -> dict[str, float]:
    """How close valid generated molecules (fingerprints fps, ChemNet statistics) are to a reference set."""
    return {"snn": mol.nearest_similarity(reference.fingerprints, fps),
            "frag": mol.count_similarity(reference.fragments, mol.fragments(valid)),
            "scaf": mol.count_similarity(reference.scaffolds, mol.scaffolds(valid)),
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

        def stage(name: str) -> Progress:
            return (lambda done, total: context.progress(done, total, name)) if context.progress else _quiet

        stage("sampling")(0, 1)
        generated = smiles_of(run.spec, sample(run, n, seed=options.seed))  # what genlab sample draws at this seed
        train_x = context.data.train.x
        train = training_molecules(run.spec, train_x, stage(f"canonical SMILES of {len(train_x):,} training molecules "
                                                            "(once per dataset)"))
        rows = np.random.default_rng(options.seed).permutation(len(train))[:n]
        fcd = FCD(device=str(run.device), n_jobs=1)
        test = reference_set(mol.valid_molecules(smiles_of(run.spec, context.held_out.x)), fcd,
                             stage(f"{options.split} molecules' statistics (once)"))
        # MOSES data: also its scaffold test set (scaffolds absent from training), as many molecules as the test
        scaffold_test = reference_set(moses_scaffold_test(len(test.smiles)), fcd,
                                      stage("scaffold test molecules' statistics (once)")) \
            if run.spec.name.split(":")[0] == "moses" else None
        train_set = set(train)
        stage("scoring the samples")(0, 1)
        model, values = report_card(generated, test, train_set, fcd, scaffold_test)
        floor_smiles = [train[i] for i in rows]
        stage("scoring as many training molecules (once)")(0, 1)
        floor = cached_json("molecules-floor", [train_x], [_versions(), floor_smiles, test.smiles, _device(fcd),
                                                     None if scaffold_test is None else scaffold_test.smiles],
                            lambda: report_card(floor_smiles, test, train_set, fcd, scaffold_test)[0])
        return MoleculesResult(samples=n, reference=len(test.smiles), model=model, train=floor,
                               histograms=histograms(test.properties, values))
