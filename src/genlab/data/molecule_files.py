"""A user's molecules in a CSV (a 'smiles' column; comma- or tab-separated) or a .smi file, read into valid
canonical SMILES with their numeric columns as properties, and loaded as a tokens `Dataset`.

A user's file is messy in ways a built-in never is: a spreadsheet's BOM, bytes that are not UTF-8, rows too
long for csv or for RDKit, invalid SMILES, salts, cells that are not numbers. None of these stops the read:
each costs its own row or cell, and is counted with its line numbers in a note for the user; only a file
with no SMILES column or no valid molecule is an error (a one-line `UserError`).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genlab.errors import UserError

from .chemistry import MAX_SMILES, canonical
from .molecule_encoding import token_dataset
from .smiles_tokens import tokenizes
from .splits import split_indices, user_split_sizes

MOLECULE_SUFFIXES = (".csv", ".smi")
UNMEASURED = frozenset({"", "na", "n/a", "nan", "none", "null"})  # cells that say "not measured" on purpose
SHOWN_LINES = 5  # line numbers a note names before "..."


@dataclass
class MoleculeFile:
    """A user's molecules: valid SMILES, numeric property columns by name (NaN where a cell is empty or not a
    number), and notes for the user (molecules skipped or kept as they are, cells that are not numbers)."""

    smiles: list[str]
    properties: dict[str, np.ndarray]
    notes: list[str]


@dataclass
class _Rows:
    """What a molecule file's rows hold before RDKit sees them: each row's SMILES, its other cells by column and
    its line number, the lines of rows too long to read, and lines holding bytes that are not UTF-8."""

    smiles: list[str]
    cells: list[dict[str, str | None]]
    lines: list[int]
    too_long: list[int]
    not_utf8: list[int]


def _lines(numbers: Sequence[int]) -> str:
    """'line 7' or 'lines 7, 8, 9, ...' (the first SHOWN_LINES), for notes."""
    shown = ", ".join(map(str, numbers[:SHOWN_LINES])) + (", ..." if len(numbers) > SHOWN_LINES else "")
    return f"line{'s' if len(numbers) > 1 else ''} {shown}"


def _text(path: Path) -> tuple[list[str], list[int]]:
    """The file's lines (a spreadsheet's BOM dropped, any line ending) and the numbers of lines whose bytes are
    not UTF-8 (read with U+FFFD in their place, so an odd byte costs its molecule, not the file)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig").splitlines(), []
    except UnicodeDecodeError:
        lines = data.decode("utf-8-sig", errors="replace").splitlines()
        return lines, [i for i, line in enumerate(lines, start=1) if "\ufffd" in line]


def _rows(path: Path) -> _Rows:
    """The rows of a CSV with a SMILES column (comma- or tab-separated) or of a .smi file (SMILES first on each
    line, then an optional name). A CSV row with a field longer than csv's limit (131,072 characters) is
    counted as too long and skipped rather than stopping the read."""
    text, not_utf8 = _text(path)
    if path.suffix.lower() == ".smi":
        rows = [(i, line.split()) for i, line in enumerate(text, start=1) if line.strip()]
        if rows and rows[0][1][0].lower() == "smiles":  # a header line
            rows = rows[1:]
        return _Rows([r[0] for _, r in rows], [{} for _ in rows], [i for i, _ in rows], [], not_utf8)
    tabs = bool(text) and "\t" in text[0] and "," not in text[0]  # a tab-separated file named .csv
    reader = csv.reader(text, delimiter="\t" if tabs else ",")
    try:
        header = next(reader, [])
    except csv.Error as err:
        raise UserError(f"The header line of {path} is not readable CSV ({err}): give a header of short column "
                        "names, one of them 'smiles'.") from None
    column = next((i for i, c in enumerate(header) if c.strip().lower() == "smiles"), None)
    if column is None:
        raise UserError(f"{path} has no SMILES column (columns: {', '.join(header) or 'none'}): name the column of "
                        "molecules 'smiles'.")
    out = _Rows([], [], [], [], not_utf8)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return out
        except csv.Error as err:
            if "field larger than field limit" not in str(err):
                raise UserError(f"Line {reader.line_num} of {path} is not readable CSV ({err}): fix the row.") from None
            out.too_long.append(reader.line_num)
            continue
        if not row or not any(cell.strip() for cell in row):  # a blank line
            continue
        if len(row) > len(header):
            raise UserError(f"Line {reader.line_num} of {path} has more fields than its header: quote SMILES that "
                            "hold commas, or fix the row.")
        cells: dict[str, str | None] = {name: (row[i] if i < len(row) else None) for i, name in enumerate(header)}
        out.smiles.append((cells.pop(header[column]) or "").strip())
        out.cells.append(cells)
        out.lines.append(reader.line_num)


def read_molecule_file(path: Path | str) -> MoleculeFile:
    """The valid molecules of a CSV or .smi file, canonicalised by RDKit, with the numeric columns beside
    them. Rows longer than MAX_SMILES characters are skipped before RDKit sees them (its canonicalisation
    grows faster than linearly: a 5 MB line would take hours), invalid ones after; both are counted with their
    line numbers in a note, as are molecules of several fragments (salts, kept whole), cells of a numeric
    column that are not numbers (unmeasured) and bytes that are not UTF-8. None left is an error."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"No molecule file at {path}: give a .csv with a 'smiles' column or a .smi file.")
    rows = _rows(path)
    total = len(rows.smiles) + len(rows.too_long)
    if not total:
        raise UserError(f"{path} holds no molecules: one SMILES per row is needed.")
    too_long = sorted(rows.too_long + [line for s, line in zip(rows.smiles, rows.lines) if len(s) > MAX_SMILES])
    bad, valid = [], []  # line numbers; (canonical SMILES, other cells, line)
    for smiles, cells, line in zip(rows.smiles, rows.cells, rows.lines):
        if len(smiles) <= MAX_SMILES:
            molecule = canonical(smiles)
            if molecule is None:
                bad.append(line)
            else:
                valid.append((molecule, cells, line))
    notes = []
    if rows.not_utf8:
        notes.append(f"{path} is not UTF-8 text: bytes that do not decode were replaced ({_lines(rows.not_utf8)}); "
                     "a molecule holding one is not valid")
    if too_long:
        notes.append(f"{len(too_long)} of {total} molecules in {path} are longer than {MAX_SMILES:,} characters (the "
                     "limit: RDKit's time grows faster than a molecule's length) and were skipped "
                     f"({_lines(too_long)})")
    if bad:
        notes.append(f"{len(bad)} of {total} molecules in {path} are not valid SMILES and were skipped ({_lines(bad)})")
    if not valid:
        raise UserError(f"{path} holds no molecule RDKit can read ({total} rows): check that the SMILES column "
                        f"holds SMILES strings of at most {MAX_SMILES:,} characters.")
    salts = [line for smiles, _, line in valid if "." in smiles]
    if salts:
        notes.append(f"{len(salts)} of {len(valid)} molecules in {path} have several fragments (salts or mixtures, "
                     f"e.g. [Na+].[Cl-]) and were kept whole, every fragment; remove counter-ions from the file if "
                     f"the model should not learn them ({_lines(salts)})")
    properties, text_columns = {}, []
    for name in valid[0][1]:
        values = np.array([_number(cells.get(name)) for _, cells, _ in valid])
        if np.isnan(values).all():
            text_columns.append(name)
            continue
        properties[name] = values
        odd = [(line, cells[name]) for (_, cells, line), v in zip(valid, values)
               if np.isnan(v) and (cells.get(name) or "").strip().lower() not in UNMEASURED]
        if odd:
            many = len(odd) > 1
            notes.append(f"{len(odd)} value{'s' * many} of column {name!r} in {path} "
                         f"{'are not numbers' if many else 'is not a number'} (e.g. {odd[0][1]!r}) and "
                         f"count{'' if many else 's'} as unmeasured ({_lines([line for line, _ in odd])})")
    if text_columns:
        many = len(text_columns) > 1
        what = "hold no numbers and are not properties" if many else "holds no numbers and is not a property"
        notes.append(f"column{'s' * many} {', '.join(map(repr, text_columns))} of {path} {what}")
    return MoleculeFile([s for s, _, _ in valid], properties, notes)


def _number(cell: str | None) -> float:
    """A CSV cell as a finite float, NaN when it is empty, not a number, or infinite."""
    try:
        value = float(cell) if cell not in (None, "") else float("nan")
    except ValueError:
        return float("nan")
    return value if np.isfinite(value) else float("nan")


def molecule_file_dataset(path: Path | str, tokenizer: str = "smiles", split_seed: int = 0):
    """A user's CSV / .smi file as a tokens Dataset (10 % test, 10 % validation), its numeric columns as the
    extra "properties"; molecules the tokenizer cannot write are skipped and counted."""
    path = Path(path)
    molecules = read_molecule_file(path)
    keep = [i for i, s in enumerate(molecules.smiles) if tokenizes(s, tokenizer)]
    if len(keep) < len(molecules.smiles):
        molecules.notes.append(f"{len(molecules.smiles) - len(keep)} molecules of {path} cannot be written in "
                               f"{tokenizer} tokens and were skipped")
        molecules = MoleculeFile([molecules.smiles[i] for i in keep],
                                 {k: v[keep] for k, v in molecules.properties.items()}, molecules.notes)
    n = len(molecules.smiles)
    if n < 10:
        raise UserError(f"{path} has only {n} valid molecules: at least 10 are needed for train/val/test splits.")
    n_test, n_val = user_split_sizes(n)
    rows = dict(zip(("train", "val", "test"), split_indices(n, n_test=n_test, n_val=n_val, seed=split_seed)))
    names = list(molecules.properties)
    table = np.stack([molecules.properties[k] for k in names], axis=1) if names else None  # (N, K)
    return token_dataset(path.stem, {k: [molecules.smiles[i] for i in r] for k, r in rows.items()}, tokenizer,
                         properties=None if table is None else {k: table[r] for k, r in rows.items()},
                         property_names=names, notes=molecules.notes)
