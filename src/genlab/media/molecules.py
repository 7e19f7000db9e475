"""Token sequences of molecules turned into files: a CSV of SMILES with a validity column, or a grid picture
of the molecules drawn by RDKit, captioned with their SMILES (an invalid one's cell left blank, so grids of
reconstructions and walks stay in line)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from genlab.data.chemistry import canonical, require
from genlab.data.molecule_encoding import smiles_of
from genlab.data.spec import DatasetSpec
from genlab.files import atomic_write, output_path

MOLECULE_SUFFIXES = (".png", ".csv")  # a picture of the first PICTURE_MOLECULES, or every one's SMILES
PICTURE_MOLECULES = 48  # the grid shows at most this many
CELL = 220  # pixels per molecule in the grid


def decoded_smiles(spec: DatasetSpec, x: np.ndarray) -> list[tuple[str, str | None]]:
    """(the SMILES a row of token ids spells, its RDKit canonical form or None if invalid) per row of x (N, L)."""
    return [(smiles, canonical(smiles)) for smiles in smiles_of(spec, x)]


def _csv(molecules: list[tuple[str, str | None]]) -> bytes:
    buf = io.StringIO()
    rows = csv.writer(buf, lineterminator="\n")
    rows.writerow(["smiles", "valid"])
    for smiles, valid in molecules:
        rows.writerow([valid or smiles, int(valid is not None)])
    return buf.getvalue().encode()


def _short(smiles: str | None) -> str:
    return "invalid" if smiles is None else smiles if len(smiles) <= 32 else smiles[:30] + "…"


def molecule_grid(smiles: list[str | None], legends: list[str], nrow: int | None) -> bytes:
    """A PNG of valid SMILES drawn by RDKit in a grid, each captioned by its legend (None: a blank cell)."""
    require("rdkit")
    from rdkit import Chem
    from rdkit.Chem import Draw

    if any(smiles):
        picture = Draw.MolsToGridImage([None if s is None else Chem.MolFromSmiles(s) for s in smiles],
                                       molsPerRow=nrow or 8, subImgSize=(CELL, CELL), legends=legends)
    else:  # RDKit draws no empty grid: say so in the picture
        from PIL import Image, ImageDraw

        picture = Image.new("RGB", (2 * CELL, CELL // 2), "white")
        ImageDraw.Draw(picture).text((10, CELL // 4), f"no valid molecule among {len(smiles)}", fill="black")
    buf = io.BytesIO()
    picture.save(buf, format="PNG")
    return buf.getvalue()


def write_molecules(spec: DatasetSpec, x: np.ndarray, path: Path, nrow: int | None) -> Path:
    """Molecules x (N, L) of token ids as a CSV (`path` ending in .csv: every one, canonical SMILES and
    validity) or else a PNG grid of the first PICTURE_MOLECULES drawn by RDKit."""
    molecules = decoded_smiles(spec, x)
    out = output_path(path, MOLECULE_SUFFIXES, "molecules")
    if out.suffix.lower() == ".csv":
        atomic_write(out, _csv(molecules))
        return out
    shown = [valid for _, valid in molecules][:PICTURE_MOLECULES]  # invalid ones keep their cell, blank
    atomic_write(out, molecule_grid(shown, [_short(s) for s in shown], nrow))
    return out
