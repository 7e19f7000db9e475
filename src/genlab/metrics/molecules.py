"""The MOSES report card for generated molecules (Polykovskiy et al. 2020), as functions of SMILES lists.

Definitions follow the MOSES paper and its reference implementation (the molsets package), on RDKit:

- validity: the share of generated strings RDKit reads; every other metric uses the valid ones, canonical;
- unique@k: distinct molecules among the first k valid ones, over k;
- novelty: the share of distinct valid molecules not in the training set;
- IntDiv_p: 1 - mean over molecules of (mean Tanimoto^p to every generated molecule)^(1/p), Morgan fingerprints
  (radius 2, 1,024 bits): how different the molecules are from each other;
- SNN: mean over generated molecules of the Tanimoto similarity to the nearest reference molecule;
- Frag, Scaf: cosine similarity of the BRICS fragment counts, and of the Bemis-Murcko scaffold counts
  (scaffolds of at least two rings, as MOSES), generated against reference;
- Filters: the share passing MOSES' medicinal-chemistry filters (the MCF and PAINS SMARTS shipped in the
  molsets wheel; only C, N, S, O, F, Cl, Br, H; no charge; no ring of 8 atoms or more);
- logP, SA, QED, weight: Wasserstein-1 distance between the property's distribution over generated and
  over reference molecules (SA: Ertl and Schuffenhauer's score, from RDKit's Contrib).

FCD needs a network (ChemNet) and lives in evaluation/molecules.py.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

FINGERPRINT_BITS, FINGERPRINT_RADIUS = 1024, 2
ALLOWED_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})
PROPERTIES = ("logP", "SA", "QED", "weight")


def _chem():
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    return Chem


def valid_molecules(smiles: Sequence[str]) -> list[str]:
    """The canonical SMILES of the strings RDKit reads, in order (invalid ones dropped)."""
    chem = _chem()
    out = []
    for s in smiles:
        mol = chem.MolFromSmiles(s) if s else None
        if mol is not None and mol.GetNumAtoms():
            out.append(chem.MolToSmiles(mol))
    return out


def validity(smiles: Sequence[str]) -> float:
    return len(valid_molecules(smiles)) / len(smiles) if smiles else float("nan")


def unique_at(valid: Sequence[str], k: int) -> float:
    """unique@k: distinct molecules among the first k canonical valid ones over their number (MOSES: with fewer
    than k, over as many as there are, with a warning — here the report card says how many there were)."""
    first = valid[:k]
    return len(set(first)) / len(first) if first else float("nan")


def novelty(valid: Sequence[str], train: set[str]) -> float:
    distinct = set(valid)
    return len(distinct - train) / len(distinct) if distinct else float("nan")


def fingerprints(smiles: Sequence[str]) -> np.ndarray:
    """Morgan fingerprints (N, 1024) uint8 of valid SMILES (radius 2, as MOSES)."""
    chem = _chem()
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=FINGERPRINT_RADIUS, fpSize=FINGERPRINT_BITS)
    out = np.zeros((len(smiles), FINGERPRINT_BITS), np.uint8)
    for i, s in enumerate(smiles):
        out[i] = generator.GetFingerprintAsNumPy(chem.MolFromSmiles(s))
    return out


def _tanimoto_blocks(reference: np.ndarray, generated: np.ndarray, block: int = 4096):
    """Yield (columns slice, Tanimoto similarities (R, g) of every reference fingerprint with a block of
    generated ones); two empty fingerprints count as identical (1), as MOSES."""
    ref = reference.astype(np.float32)
    ref_bits = ref.sum(1, keepdims=True)  # (R, 1)
    for start in range(0, len(generated), block):
        gen = generated[start : start + block].astype(np.float32)
        common = ref @ gen.T  # (R, g)
        union = ref_bits + gen.sum(1)[None, :] - common
        with np.errstate(invalid="ignore", divide="ignore"):
            similarity = np.where(union > 0, common / union, 1.0)
        yield slice(start, start + len(gen)), similarity


def internal_diversity(fps: np.ndarray, p: int = 1) -> float:
    """IntDiv_p = 1 - mean over molecules i of (mean over j of Tanimoto(i, j)^p)^(1/p), self-pairs included,
    as MOSES computes it."""
    per_molecule = np.zeros(len(fps))
    for columns, similarity in _tanimoto_blocks(fps, fps):
        per_molecule[columns] = (similarity**p).mean(0)
    return float(1.0 - (per_molecule ** (1.0 / p)).mean())


def nearest_similarity(reference: np.ndarray, generated: np.ndarray) -> float:
    """SNN: mean over generated fingerprints of the best Tanimoto similarity to any reference one."""
    best = np.zeros(len(generated))
    for columns, similarity in _tanimoto_blocks(reference, generated):
        best[columns] = similarity.max(0)
    return float(best.mean())


def count_similarity(reference: Counter, generated: Counter) -> float:
    """Cosine similarity of two count vectors (fragments, scaffolds), NaN when either is empty: Frag and Scaf
    from counts already made (a reference set's are computed once)."""
    keys = sorted(set(reference) | set(generated))
    if not reference or not generated:
        return float("nan")
    r = np.array([reference.get(k, 0) for k in keys], np.float64)
    g = np.array([generated.get(k, 0) for k in keys], np.float64)
    return float(r @ g / np.linalg.norm(r) / np.linalg.norm(g))


def fragments(smiles: Sequence[str]) -> Counter:
    """BRICS fragment counts over molecules (each molecule cut at its BRICS bonds)."""
    chem = _chem()
    from rdkit.Chem import AllChem

    counts: Counter = Counter()
    for s in smiles:
        counts.update(chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(chem.MolFromSmiles(s))).split("."))
    return counts


def scaffolds(smiles: Sequence[str], min_rings: int = 2) -> Counter:
    """Bemis-Murcko scaffold counts over molecules, scaffolds of at least `min_rings` rings (MOSES' rule)."""
    chem = _chem()
    from rdkit.Chem.Scaffolds import MurckoScaffold

    counts: Counter = Counter()
    for s in smiles:
        try:
            scaffold = MurckoScaffold.GetScaffoldForMol(chem.MolFromSmiles(s))
        except (ValueError, RuntimeError):  # as MOSES: a molecule without a scaffold RDKit can form
            continue
        text = chem.MolToSmiles(scaffold)
        if text and scaffold.GetRingInfo().NumRings() >= min_rings:
            counts[text] += 1
    return counts


def fragment_similarity(reference: Sequence[str], generated: Sequence[str]) -> float:
    return count_similarity(fragments(reference), fragments(generated))


def scaffold_similarity(reference: Sequence[str], generated: Sequence[str]) -> float:
    return count_similarity(scaffolds(reference), scaffolds(generated))


@lru_cache(maxsize=1)
def _filters():
    """The MCF and PAINS SMARTS patterns shipped in the molsets wheel (read by path)."""
    chem = _chem()
    spec = importlib.util.find_spec("moses")
    folder = Path(spec.origin).parent / "metrics"
    with open(folder / "mcf.csv", newline="") as f:
        patterns = [row["smarts"] for row in csv.DictReader(f)]
    with open(folder / "wehi_pains.csv", newline="") as f:
        patterns += [row[0] for row in csv.reader(f)]
    return [chem.MolFromSmarts(p.strip()) for p in patterns]


def passes_filters(smiles: str) -> bool:
    """MOSES' filters: allowed atoms only, no charge, no ring of 8 or more atoms, no MCF or PAINS match."""
    chem = _chem()
    mol = chem.MolFromSmiles(smiles)
    if mol is None:
        return False
    if any(len(ring) >= 8 for ring in mol.GetRingInfo().AtomRings()):
        return False
    atoms = mol.GetAtoms()
    if any(a.GetFormalCharge() != 0 or a.GetSymbol() not in ALLOWED_ATOMS for a in atoms):
        return False
    with_h = chem.AddHs(mol)
    return not any(with_h.HasSubstructMatch(pattern) for pattern in _filters())


def filters(valid: Sequence[str]) -> float:
    return float(np.mean([passes_filters(s) for s in valid])) if valid else float("nan")


@lru_cache(maxsize=1)
def _sascorer():
    """Ertl and Schuffenhauer's synthetic-accessibility scorer from RDKit's Contrib folder."""
    from rdkit.Chem import RDConfig

    folder = str(Path(RDConfig.RDContribDir) / "SA_Score")
    if folder not in sys.path:
        sys.path.append(folder)
    import sascorer

    return sascorer


def properties(smiles: Sequence[str]) -> dict[str, np.ndarray]:
    """logP (Crippen), SA, QED and molecular weight (N,) each of valid SMILES."""
    chem = _chem()
    from rdkit.Chem import QED, Crippen, Descriptors

    mols = [chem.MolFromSmiles(s) for s in smiles]
    sa = _sascorer()
    return {"logP": np.array([Crippen.MolLogP(m) for m in mols]), "SA": np.array([sa.calculateScore(m) for m in mols]),
            "QED": np.array([QED.qed(m) for m in mols]), "weight": np.array([Descriptors.MolWt(m) for m in mols])}


def property_distances(reference: dict[str, np.ndarray], generated: dict[str, np.ndarray]) -> dict[str, float]:
    """Wasserstein-1 distance per property between generated and reference values."""
    from scipy.stats import wasserstein_distance

    return {name: float(wasserstein_distance(reference[name], generated[name])) for name in PROPERTIES}
