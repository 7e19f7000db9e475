"""The chemistry packages behind every molecule (RDKit, selfies: the `molecules` extra), and RDKit's reading
of a SMILES string.

They are optional, so each is imported only when a function needs it, and one that is not installed is a
one-line `UserError` saying what to install. `canonical` is the one gate every molecule a user or a file
gives passes through (invalid ones come out as None, counted rather than printed); MAX_SMILES caps what is
handed to it, since RDKit's time grows faster than a molecule's length.
"""

from __future__ import annotations

import importlib.util

from genlab.errors import UserError

INSTALL = "pip install 'genlab[molecules]' (RDKit, selfies, fcd_torch)"
MAX_SMILES = 1_000  # characters: MOSES molecules have fewer than 100, ChEMBL's drug-like ones a few hundred


def require(module: str):
    """The chemistry module `module` (rdkit, selfies), or a one-line UserError saying what to install."""
    if importlib.util.find_spec(module) is None:
        raise UserError(f"Molecules need the {module} package, which is not installed: {INSTALL}.")
    return importlib.import_module(module)


def canonical(smiles: str) -> str | None:
    """RDKit's canonical SMILES of a molecule, or None when RDKit cannot read it (an invalid molecule)."""
    chem = require("rdkit.Chem")
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")  # invalid SMILES are counted, not printed one by one
    mol = chem.MolFromSmiles(smiles) if smiles else None
    return None if mol is None else chem.MolToSmiles(mol)
