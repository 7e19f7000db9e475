"""Molecules as token sequences: SMILES read from MOSES (the molsets wheel's CSVs, read by path) or from a
user's CSV / .smi file, checked by RDKit, split into tokens at the atom level (the usual regex, Schwaller et
al. 2019) or as SELFIES (Krenn et al. 2020), and encoded as padded id arrays over a vocabulary.

Every id array starts with <bos> and ends with <eos>, padded with <pad> (id 0) to one length, so a language
model reads (N, L) integers like any other discrete data. The chemistry packages (RDKit, selfies) are the
`molecules` extra; a function that needs one and does not find it says in one line what to install.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from genlab.errors import UserError

TOKENIZERS = ("smiles", "selfies")
SPECIALS = ("<pad>", "<bos>", "<eos>")  # ids 0, 1, 2
PAD, BOS, EOS = range(len(SPECIALS))
# Atom-level SMILES tokens: bracket atoms, two-letter halogens, organic-subset atoms, bonds, branches, ring
# closures (Schwaller et al. 2019, "Molecular Transformer").
SMILES_TOKEN = re.compile(r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$|"
                          r"%[0-9]{2}|[0-9])")
MOSES_SPLITS = ("train", "test", "test_scaffolds")
MOLECULE_SUFFIXES = (".csv", ".smi")
INSTALL = "pip install 'genlab[molecules]' (RDKit, selfies, fcd_torch)"


def require(module: str):
    """The chemistry module `module` (rdkit, selfies), or a one-line UserError saying what to install."""
    if importlib.util.find_spec(module) is None:
        raise UserError(f"Molecules need the {module} package, which is not installed: {INSTALL}.")
    return importlib.import_module(module)


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


def canonical(smiles: str) -> str | None:
    """RDKit's canonical SMILES of a molecule, or None when RDKit cannot read it (an invalid molecule)."""
    chem = require("rdkit.Chem")
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")  # invalid SMILES are counted, not printed one by one
    mol = chem.MolFromSmiles(smiles) if smiles else None
    return None if mol is None else chem.MolToSmiles(mol)


def tokenize(smiles: str, tokenizer: str = "smiles") -> list[str]:
    """A molecule's tokens: atom-level SMILES, or the SELFIES symbols of its SELFIES string."""
    if tokenizer == "smiles":
        tokens = SMILES_TOKEN.findall(smiles)
        if "".join(tokens) != smiles:
            raise ValueError(f"SMILES {smiles!r} holds characters no token covers")
        return tokens
    if tokenizer == "selfies":
        selfies = require("selfies")
        return list(selfies.split_selfies(selfies.encoder(smiles)))
    raise ValueError(f"tokenizer {tokenizer!r} is not one of {TOKENIZERS}")


def detokenize(tokens: Sequence[str], tokenizer: str = "smiles") -> str:
    """The SMILES string behind tokens (SELFIES decoded: any SELFIES symbols give a valid molecule)."""
    if tokenizer == "smiles":
        return "".join(tokens)
    if tokenizer == "selfies":
        return require("selfies").decoder("".join(tokens))
    raise ValueError(f"tokenizer {tokenizer!r} is not one of {TOKENIZERS}")


@dataclass(frozen=True)
class Vocabulary:
    """Token strings by id: the specials first (<pad> 0, <bos> 1, <eos> 2), then the data's tokens sorted."""

    tokens: tuple[str, ...]

    @classmethod
    def of(cls, sequences: Iterable[Sequence[str]]) -> Vocabulary:
        seen = sorted({token for sequence in sequences for token in sequence} - set(SPECIALS))
        return cls((*SPECIALS, *seen))

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, sequences: Sequence[Sequence[str]], length: int | None = None) -> np.ndarray:
        """(N, L) ids: <bos>, the tokens, <eos>, then <pad>; L = `length` or the longest sequence + 2. A
        token outside the vocabulary, or a sequence longer than L allows, is a ValueError."""
        index = {token: i for i, token in enumerate(self.tokens)}
        length = length or max(len(s) for s in sequences) + 2
        out = np.full((len(sequences), length), PAD, np.uint8 if len(self) <= 256 else np.int32)
        for row, sequence in enumerate(sequences):
            if len(sequence) + 2 > length:
                raise ValueError(f"a sequence of {len(sequence)} tokens does not fit {length} positions")
            try:
                out[row, 1 : len(sequence) + 1] = [index[t] for t in sequence]
            except KeyError as err:
                raise ValueError(f"token {err.args[0]!r} is not in the vocabulary") from None
            out[row, 0], out[row, len(sequence) + 1] = BOS, EOS
        return out

    def decode(self, ids: np.ndarray) -> list[list[str]]:
        """Token lists of id rows (N, L): what follows <bos> up to the first <eos> (or the row's end), with any
        other special left out."""
        out = []
        for row in np.asarray(ids):
            tokens = []
            for i in row[1:] if len(row) and row[0] == BOS else row:
                if i == EOS:
                    break
                if i >= len(SPECIALS):
                    tokens.append(self.tokens[i])
            out.append(tokens)
        return out


MAX_SMILES = 1_000  # characters: MOSES molecules have fewer than 100, ChEMBL's drug-like ones a few hundred
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


# --- datasets -----------------------------------------------------------------------------------------

MOSES_TEST = 10_000  # MOSES test molecules held out (of 176,074): what metrics on two CPU cores can afford
MOSES_VAL = 1_000  # training-set molecules outside the subset, for validation
MOSES_LONGEST = 54  # SMILES tokens of MOSES' longest molecule (all three splits), so every subset shares one length


def token_dataset(name: str, splits: dict[str, list[str]], tokenizer: str, *, length: int | None = None,
                  properties: dict[str, np.ndarray] | None = None, property_names: Sequence[str] = (),
                  notes: Sequence[str] = ()):
    """A tokens Dataset of SMILES splits {"train", "val", "test"}: ids (N, L) over the vocabulary of all of
    them, L = `length` + 2 or the longest molecule's tokens + 2; `properties` (split -> (N, K) floats named
    `property_names`) become the extra "properties"."""
    from .spec import Dataset, DatasetSpec, ExtraSpec, Split

    tokens = {split: [tokenize(s, tokenizer) for s in smiles] for split, smiles in splits.items()}
    vocabulary = Vocabulary.of(t for sequences in tokens.values() for t in sequences)
    longest = max(len(t) for sequences in tokens.values() for t in sequences)
    positions = max(longest, length or 0) + 2
    extras = () if properties is None else (ExtraSpec("properties", (len(property_names),), "float64",
                                                       names=tuple(property_names)),)
    spec = DatasetSpec(name, (positions,), len(vocabulary), modality="tokens", vocabulary=vocabulary.tokens,
                       tokenizer=tokenizer, extras=extras, notes=tuple(notes))
    split = {name: Split(vocabulary.encode(sequences, positions),
                         extras={} if properties is None else {"properties": properties[name]})
             for name, sequences in tokens.items()}
    return Dataset(spec, split["train"], split["val"], split["test"])


def tokenizes(smiles: str, tokenizer: str) -> bool:
    """Whether a valid molecule can be written in `tokenizer`'s tokens (SELFIES refuses hypervalent atoms, the
    SMILES regex ring closures above 99)."""
    try:
        tokenize(smiles, tokenizer)
    except Exception:  # noqa: BLE001  (selfies raises its own EncoderError)
        return False
    return True


def molecule_file_dataset(path: Path | str, tokenizer: str = "smiles", split_seed: int = 0):
    """A user's CSV / .smi file as a tokens Dataset (10 % test, 10 % validation), its numeric columns as the
    extra "properties"; molecules the tokenizer cannot write are skipped and counted."""
    from .splits import split_indices, user_split_sizes

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


def smiles_of(spec, x: np.ndarray) -> list[str]:
    """The SMILES each row of token ids x (N, L) of a run's dataset `spec` spells (valid or not)."""
    vocabulary, tokenizer = Vocabulary(spec.vocabulary), spec.tokenizer or "smiles"
    return [detokenize(tokens, tokenizer) for tokens in vocabulary.decode(x)]


def molecule_tokens(spec, smiles: str) -> list[str] | str:
    """The tokens a run's dataset `spec` writes molecule `smiles` in (canonical first), or, when it cannot,
    the sentence saying why: RDKit cannot read it, it holds tokens the run never saw, or it is too long."""
    vocabulary, tokenizer, length = Vocabulary(spec.vocabulary), spec.tokenizer or "smiles", spec.shape[0]
    if len(smiles) > MAX_SMILES:  # before RDKit, whose time grows faster than the length
        return (f"{smiles[:20]}... is {len(smiles):,} characters long, more than genlab reads ({MAX_SMILES:,}): "
                "choose a smaller molecule.")
    smiles_canonical = canonical(smiles)
    if smiles_canonical is None:
        return f"{smiles!r} is not a molecule RDKit can read: give a valid SMILES string."
    try:
        tokens = tokenize(smiles_canonical, tokenizer)
    except Exception:  # noqa: BLE001  (selfies raises its own EncoderError)
        return f"{smiles} cannot be written in {tokenizer} tokens: choose another molecule."
    unknown = sorted(set(tokens) - set(vocabulary.tokens))
    if unknown:
        return (f"{smiles} holds {', '.join(unknown)}, which the run never saw in training: choose a molecule made "
                "of the training set's atoms and bonds.")
    if len(tokens) + 2 > length:
        return (f"{smiles} is {len(tokens)} tokens long and the run's molecules at most {length - 2}: choose a "
                "smaller molecule.")
    return tokens


def encode_molecules(spec, smiles: Sequence[str]) -> np.ndarray:
    """Molecules named by the user (SMILES) as token ids (N, L) of a run's dataset `spec`, each checked by
    `molecule_tokens`; a one-line UserError for the first that fails."""
    sequences = []
    for text in smiles:
        tokens = molecule_tokens(spec, text)
        if isinstance(tokens, str):
            raise UserError(tokens)
        sequences.append(tokens)
    return Vocabulary(spec.vocabulary).encode(sequences, spec.shape[0])


# --- a measured response ----------------------------------------------------------------------------------

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
