"""The ChEMBL assay built-in: RDKit's Contrib/FreeWilson data (assay CHEMBL2321810, 1,017 molecules and
their measured activity), read and split by scaffold, so a model of a measured response is tested on
molecules whose cores it never saw.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from .chemistry import canonical, require
from .molecule_encoding import token_dataset

ASSAY = "CHEMBL2321810"  # RDKit's Contrib/FreeWilson data: 1,017 molecules and their measured activity


@lru_cache(maxsize=1)
def read_assay() -> tuple[tuple[str, ...], np.ndarray]:
    """The ChEMBL assay shipped with RDKit: canonical SMILES and measured activity (pIC50-like, 4.3-9.2), joined
    by compound id; read once per process, read-only."""
    from rdkit.Chem import RDConfig

    folder = Path(RDConfig.RDContribDir) / "FreeWilson" / "data"
    with open(folder / f"{ASSAY}_act.csv", newline="") as f:
        activity = {row["Name"]: float(row["Act"]) for row in csv.DictReader(f)}
    smiles, values = [], []
    for line in (folder / f"{ASSAY}.smi").read_text().splitlines():
        if line.strip():
            text, name = line.split()[:2]
            smiles.append(canonical(text))
            values.append(activity[name])
    values = np.array(values)
    values.flags.writeable = False
    return tuple(smiles), values


def scaffold_split(smiles: Sequence[str], fractions: tuple[float, float] = (0.8, 0.1)) -> tuple[np.ndarray, ...]:
    """(train, val, test) indices keeping every Bemis-Murcko scaffold on one side: scaffolds from the most to
    the least common fill the training split up to `fractions[0]` of the molecules, then validation up to
    their sum, the rest (the rarest scaffolds) is the test split — so the test molecules' cores are new."""
    chem = require("rdkit.Chem")
    from rdkit.Chem.Scaffolds import MurckoScaffold

    groups: dict[str, list[int]] = {}
    for i, s in enumerate(smiles):
        groups.setdefault(chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(chem.MolFromSmiles(s))), []).append(i)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    parts: tuple[list[int], list[int], list[int]] = ([], [], [])
    limits = (fractions[0] * len(smiles), (fractions[0] + fractions[1]) * len(smiles))
    for _, members in ordered:
        placed = len(parts[0]) + len(parts[1])
        side = 0 if len(parts[0]) + len(members) <= limits[0] else 1 if placed + len(members) <= limits[1] else 2
        parts[side].extend(members)
    return tuple(np.array(sorted(p), dtype=np.int64) for p in parts)


@lru_cache(maxsize=1)
def _assay_split() -> tuple[np.ndarray, ...]:
    return scaffold_split(read_assay()[0])


def assay_dataset(tokenizer: str = "smiles"):
    """The ChEMBL assay as a tokens Dataset on its scaffold split, the activity as the property "activity"."""
    smiles, activity = read_assay()
    rows = dict(zip(("train", "val", "test"), _assay_split()))
    return token_dataset("chembl-assay", {k: [smiles[i] for i in r] for k, r in rows.items()}, tokenizer,
                         properties={k: activity[r, None] for k, r in rows.items()}, property_names=("activity",))
