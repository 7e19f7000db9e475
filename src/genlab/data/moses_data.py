"""MOSES (Polykovskiy et al. 2020), the built-in benchmark of drug-like molecules: its SMILES read from the
molsets wheel's CSVs (by path: importing `moses` fails on current RDKit), and the subsets genlab trains and
tests on at a CPU budget (`moses:100k` is a count `parse_count` reads).
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
from pathlib import Path

import numpy as np

from genlab.errors import UserError

MOSES_SPLITS = ("train", "test", "test_scaffolds")
MOSES_TEST = 10_000  # MOSES test molecules held out (of 176,074): what metrics on two CPU cores can afford
MOSES_VAL = 1_000  # training-set molecules outside the subset, for validation
MOSES_LONGEST = 54  # SMILES tokens of MOSES' longest molecule (all three splits), so every subset shares one length


def moses_file(split: str) -> Path:
    """The molsets wheel's CSV of one MOSES split (read by path: importing `moses` fails on current RDKit)."""
    spec = importlib.util.find_spec("moses")
    if spec is None or spec.origin is None:
        raise UserError("The MOSES data come with the molsets wheel, which is not installed: "
                        "pip install --no-deps molsets.")
    return Path(spec.origin).parent / "dataset" / "data" / f"{split}.csv.gz"


def read_moses(split: str, limit: int | None = None) -> list[str]:
    """The SMILES of a MOSES split (train 1.58M, test 176k, test_scaffolds 176k), the first `limit` of them."""
    if split not in MOSES_SPLITS:
        raise ValueError(f"MOSES split {split!r} is not one of {MOSES_SPLITS}")
    with gzip.open(moses_file(split), "rt", newline="") as f:
        rows = csv.reader(f)
        next(rows)  # the header, "SMILES"
        out = []
        for row in rows:
            out.append(row[0])
            if limit is not None and len(out) >= limit:
                break
    return out


def moses_splits(count: int | None, seed: int = 0) -> dict[str, list[str]]:
    """MOSES' own split, at a CPU budget: `count` training molecules drawn at random (for None, all 1,583,663
    but the MOSES_VAL others kept for validation), MOSES_TEST drawn from its test set."""
    train, test = read_moses("train"), read_moses("test")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train))
    count = len(train) - MOSES_VAL if count is None else count
    if not 0 < count <= len(train) - MOSES_VAL:
        raise UserError(f"moses:{count} asks for more molecules than MOSES' {len(train) - MOSES_VAL:,} training ones: "
                        "use a smaller count, e.g. moses:100k.")
    chosen_test = np.sort(rng.permutation(len(test))[:MOSES_TEST])
    return {"train": [train[i] for i in np.sort(order[:count])],
            "val": [train[i] for i in np.sort(order[count : count + MOSES_VAL])],
            "test": [test[i] for i in chosen_test]}


def moses_scaffold_test(count: int, seed: int = 0) -> list[str]:
    """`count` molecules drawn (by `seed`) from MOSES' scaffold test set, whose scaffolds no training molecule
    has: the reference of the report card's TestSF columns."""
    molecules = read_moses("test_scaffolds")
    return [molecules[i] for i in np.sort(np.random.default_rng(seed).permutation(len(molecules))[:count])]


def parse_count(text: str) -> int:
    """'100k' -> 100000, '2m' -> 2000000, '5000' -> 5000; a UserError for anything else."""
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit() or int(digits) == 0:
        raise UserError(f"moses:{text} is not a molecule count: write moses:100k, moses:250000 or moses for all.")
    return int(digits) * scale

