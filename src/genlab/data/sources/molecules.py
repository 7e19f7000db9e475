"""Molecules: the MOSES and ChEMBL built-ins (`moses:100k` a training subset) or a .csv / .smi file, tokenised
at load time as SMILES atoms (the default) or SELFIES (`--set data.tokens=selfies`)."""

from __future__ import annotations

from pathlib import Path

from genlab.data.builtin import BUILTINS, MoleculeBuiltin
from genlab.data.molecule_files import MOLECULE_SUFFIXES, molecule_file_dataset
from genlab.data.moses_data import parse_count
from genlab.data.smiles_tokens import TOKENIZERS
from genlab.data.sources import Source
from genlab.data.spec import Dataset
from genlab.errors import UserError


class Molecules(Source):
    holds = "molecules (moses, a .csv or .smi)"
    options = ("tokens",)

    def recognises(self, name: str) -> bool:
        return isinstance(BUILTINS.get(name.split(":")[0]), MoleculeBuiltin) or \
            Path(name).suffix.lower() in MOLECULE_SUFFIXES

    def load(self, name: str, split_seed: int, tokens: str | None = None) -> Dataset:
        if tokens is not None and tokens not in TOKENIZERS:
            raise UserError(f"Invalid tokens {tokens!r}: use one of {', '.join(TOKENIZERS)}.")
        if Path(name).suffix.lower() in MOLECULE_SUFFIXES:
            return molecule_file_dataset(name, tokens or "smiles", split_seed)
        entry = BUILTINS[name.split(":")[0]]
        if ":" in name:
            entry = entry.subset(parse_count(name.split(":", 1)[1]))
        return entry.load(split_seed, tokens)
