"""Molecules as data: MOSES read by path, SMILES and SELFIES tokens that round-trip, the vocabulary's ids,
and a user's CSV / .smi file with invalid rows skipped and bad files refused in one line."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genlab.data.chemistry import canonical
from genlab.data.molecule_files import read_molecule_file
from genlab.data.moses_data import read_moses
from genlab.data.smiles_tokens import BOS, EOS, PAD, SPECIALS, Vocabulary, detokenize, tokenize
from genlab.errors import UserError


@lru_cache(maxsize=1)
def moses_sample() -> tuple[str, ...]:
    return tuple(read_moses("test", limit=300))


def test_moses_splits_are_read_by_path():
    train = read_moses("train", limit=5)
    assert len(train) == 5 and all(canonical(s) for s in train)
    assert len(moses_sample()) == 300 and read_moses("test_scaffolds", limit=2)
    with pytest.raises(ValueError):
        read_moses("valid")


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 299), st.sampled_from(["smiles", "selfies"]))
def test_tokens_round_trip_to_the_same_molecule(i, tokenizer):
    smiles = moses_sample()[i]
    tokens = tokenize(smiles, tokenizer)
    assert all(tokens)
    back = detokenize(tokens, tokenizer)
    if tokenizer == "smiles":
        assert back == smiles  # atom-level tokens cover every character, in order
    assert canonical(back) == canonical(smiles)


def test_atom_level_tokens_keep_brackets_and_two_letter_atoms_whole():
    assert tokenize("C[C@@H](Cl)c1ccc(Br)cc1") == ["C", "[C@@H]", "(", "Cl", ")", "c", "1", "c", "c", "c", "(", "Br",
                                                   ")", "c", "c", "1"]
    with pytest.raises(ValueError, match="no token"):
        tokenize("C&C")


def test_vocabulary_encodes_with_bos_eos_and_padding_and_decodes_back():
    sequences = [tokenize(s) for s in moses_sample()[:50]]
    vocabulary = Vocabulary.of(sequences)
    assert vocabulary.tokens[: len(SPECIALS)] == SPECIALS and len(set(vocabulary.tokens)) == len(vocabulary)
    ids = vocabulary.encode(sequences)
    longest = max(map(len, sequences))
    assert ids.shape == (50, longest + 2) and ids.dtype == np.uint8
    assert (ids[:, 0] == BOS).all() and all(ids[i, len(s) + 1] == EOS for i, s in enumerate(sequences))
    assert all((ids[i, len(s) + 2 :] == PAD).all() for i, s in enumerate(sequences))
    assert vocabulary.decode(ids) == sequences
    with pytest.raises(ValueError, match="not in the vocabulary"):
        vocabulary.encode([["[Xe]"]])
    with pytest.raises(ValueError, match="does not fit"):
        vocabulary.encode(sequences, length=3)


def test_a_users_csv_keeps_valid_molecules_and_their_numbers(tmp_path):
    path = tmp_path / "mols.csv"
    path.write_text("name,SMILES,activity\na,CCO,5.5\nb,not-a-molecule,4\nc,c1ccccc1,\nd,C1CC,7\n")
    molecules = read_molecule_file(path)
    assert molecules.smiles == ["CCO", "c1ccccc1"]
    np.testing.assert_array_equal(molecules.properties["activity"], [5.5, np.nan])
    assert "name" not in molecules.properties  # not a number anywhere
    skipped, text = molecules.notes
    assert "2 of 4 molecules" in skipped and "lines 3, 5" in skipped
    assert "column 'name'" in text and "not a property" in text


def test_a_smi_file_is_read_and_bad_files_are_one_line_errors(tmp_path):
    smi = tmp_path / "mols.smi"
    smi.write_text("CCO ethanol\n\nc1ccncc1 pyridine\n")
    assert read_molecule_file(smi).smiles == ["CCO", "c1ccncc1"]
    cases = {"no-column.csv": ("name,activity\na,1\n", "no SMILES column"),
             "empty.csv": ("", "no SMILES column"),
             "invalid.csv": ("smiles\nxyz\nC1CC\n", "no molecule RDKit can read")}
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(UserError, match=message) as err:
            read_molecule_file(tmp_path / name)
        assert "\n" not in str(err.value)
    with pytest.raises(UserError, match="No molecule file"):
        read_molecule_file(tmp_path / "missing.csv")


def test_moses_subset_is_a_tokens_dataset_with_mosess_own_test_split():
    from genlab.data import load_dataset

    data = load_dataset("moses:2k")
    spec = data.spec
    assert spec.name == "moses:2000" and spec.modality == "tokens" and spec.tokenizer == "smiles"
    assert spec.shape == (56,) and len(data.train) == 2000 and len(data.val) == 1000 and len(data.test) == 10_000
    vocabulary = Vocabulary(spec.vocabulary)
    test_set = set(read_moses("test"))
    assert all(detokenize(t) in test_set for t in vocabulary.decode(data.test.x[:20]))
    assert load_dataset("moses:2k").train.x.tobytes() == data.train.x.tobytes()  # the same subset every time
    with pytest.raises(UserError, match="not a molecule count"):
        load_dataset("moses:lots")
    with pytest.raises(UserError, match="holds molecules"):
        load_dataset("moses:2k", size=(8, 8))


def test_a_users_file_is_a_dataset_in_smiles_or_selfies_with_its_properties(tmp_path):
    from genlab.data import load_dataset

    smiles = list(moses_sample()[:30])
    path = tmp_path / "assay.csv"
    path.write_text("smiles,pIC50\n" + "".join(f"{s},{i / 10}\n" for i, s in enumerate(smiles)))
    for tokens in ("smiles", "selfies"):
        data = load_dataset(str(path), tokens=tokens)
        assert data.spec.tokenizer == tokens and data.spec.extra("properties").names == ("pIC50",)
        assert len(data.train) + len(data.val) + len(data.test) == 30
        vocabulary = Vocabulary(data.spec.vocabulary)
        decoded = {canonical(detokenize(t, tokens)) for split in (data.train, data.val, data.test)
                   for t in vocabulary.decode(split.x)}
        assert decoded == {canonical(s) for s in smiles}
    with pytest.raises(UserError, match="for molecules"):
        load_dataset("digits", tokens="selfies")


def test_an_image_family_refuses_molecules_in_one_line():
    from genlab.data.spec import DatasetSpec
    from genlab.models.registry import build_model

    spec = DatasetSpec("moses", (56,), 27, modality="tokens")
    with pytest.raises(UserError, match="models image data, and moses holds tokens"):
        build_model("vae", spec, {})


def test_molecules_named_by_the_user_are_encoded_with_a_runs_vocabulary_or_refused():
    from genlab.data.molecule_encoding import encode_molecules, token_dataset

    spec = token_dataset("mini", {"train": ["CCO", "c1ccccc1"], "val": ["CCN"], "test": ["CCC"]}, "smiles").spec
    ids = encode_molecules(spec, ["OCC", "c1ccccc1"])  # OCC is written canonically first: CCO
    assert Vocabulary(spec.vocabulary).decode(ids) == [["C", "C", "O"], ["c", "1", "c", "c", "c", "c", "c", "1"]]
    for smiles, message in (("xyz", "not a molecule"), ("CCCl", "never saw"), ("CCCCCCCCCCCCCC", "tokens long")):
        with pytest.raises(UserError, match=message):
            encode_molecules(spec, [smiles])


def test_awkward_user_files(tmp_path):
    bom = tmp_path / "excel.csv"
    bom.write_bytes("\ufeffSMILES,y\nCCO,1\n".encode())
    assert read_molecule_file(bom).smiles == ["CCO"]
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("smiles,y\nCCO,1\nCCN,2,3\n")
    with pytest.raises(UserError, match="Line 3 .* more fields"):
        read_molecule_file(ragged)
    header = tmp_path / "header.smi"
    header.write_text("SMILES Name\nCCO a\n")
    molecules = read_molecule_file(header)
    assert molecules.smiles == ["CCO"] and not molecules.notes
    (tmp_path / "only-header.csv").write_text("smiles\n")
    with pytest.raises(UserError, match="holds no molecules"):
        read_molecule_file(tmp_path / "only-header.csv")
    from genlab.data.molecule_files import molecule_file_dataset

    hyper = tmp_path / "hyper.csv"  # a hypervalent iodine SELFIES cannot write
    hyper.write_text("smiles\n" + "".join(f"{s}\n" for s in moses_sample()[:12]) + "O=I(=O)c1ccccc1\n")
    data = molecule_file_dataset(hyper, "selfies")
    assert len(data.train) + len(data.val) + len(data.test) == 12 and "cannot be written" in data.spec.notes[-1]


def test_the_assay_is_a_dataset_of_measured_activity_on_a_scaffold_split():
    from genlab.data import BUILTINS, load_dataset
    from genlab.data.chembl_assay import read_assay, scaffold_split
    from genlab.metrics.molecules import scaffolds

    data = load_dataset("chembl-assay")
    assert (len(data.train), len(data.val), len(data.test)) == (813, 102, 102)
    assert data.spec.extra("properties").names == ("activity",) and data.spec.shape == BUILTINS["chembl-assay"].spec.shape
    assert data.spec.levels == BUILTINS["chembl-assay"].spec.levels  # the listing states the loaded spec
    activity = np.concatenate([s.extras["properties"][:, 0] for s in (data.train, data.val, data.test)])
    assert 4 < activity.min() and activity.max() < 10
    smiles, _ = read_assay()
    train, _, test = scaffold_split(smiles)
    assert not set(scaffolds([smiles[i] for i in train], 0)) & set(scaffolds([smiles[i] for i in test], 0))
    with pytest.raises(UserError, match="no subsets"):
        load_dataset("chembl-assay:10")


# An awkward file a new user might give, as bytes -> (the molecules read, a phrase each note must hold), or the
# phrase of the one-line error. Each stays tiny: the long line is 5 MB only where RDKit never sees it.
AWKWARD: dict[str, tuple[bytes, list[str] | str, tuple[str, ...]]] = {
    "empty.csv": (b"", "no SMILES column", ()),
    "empty.smi": (b"", "holds no molecules", ()),
    "header-only.csv": (b"smiles,y\r\n", "holds no molecules", ()),
    "header-only.smi": (b"SMILES\n", "holds no molecules", ()),
    "bom.smi": ("\ufeffSMILES name\nCCO a\n".encode(), ["CCO"], ()),
    "crlf.csv": (b"smiles,y\r\nCCO,1\r\nCCN,2\r\n", ["CCO", "CCN"], ()),
    "crlf.smi": (b"CCO a\r\n\r\nCCN b\r\n", ["CCO", "CCN"], ()),
    "tabs.csv": (b"smiles\ty\nCCO\t1\nCCN\t2\n", ["CCO", "CCN"], ()),  # tab-separated, named .csv
    "tabs.smi": (b"CCO\tethanol\nCCN\tethylamine\n", ["CCO", "CCN"], ()),
    "long-line.smi": (b"CCO\n" + b"C" * 5_000_000 + b"\nCCN\n", ["CCO", "CCN"],
                      ("1 of 3 molecules", "longer than 1,000 characters", "line 2")),
    "long-field.csv": (b"smiles,y\nCCO,1\n" + b"C" * 200_000 + b",2\nCCN,3\n", ["CCO", "CCN"],
                       ("1 of 3 molecules", "longer than 1,000 characters", "line 3")),
    "long-other-field.csv": (b"smiles,notes\nCCO," + b"x" * 200_000 + b"\nCCN,ok\n", ["CCN"],
                             ("1 of 2 molecules", "longer than", "line 2")),
    "long-header.csv": (b"smiles," + b"x" * 200_000 + b"\nCCO,1\n", "header line", ()),
    "all-too-long.smi": (b"C" * 2_000 + b"\n", "at most 1,000 characters", ()),
    "invalid.csv": (b"smiles\nCCO\n\nxyz\n", ["CCO"], ("1 of 2 molecules", "not valid SMILES", "line 4")),
    "latin-1.csv": (b"smiles,name\nCCO,caf\xe9\nC\xe9C,b\n", ["CCO"],
                    ("not UTF-8", "lines 2, 3", "not valid SMILES and were skipped (line 3)", "'name'",
                     "is not a property")),
    "salts.csv": (b"smiles,y\nCCO,1\n[Na+].[Cl-],2\nCC(=O)[O-].[Na+],3\n", ["CCO", "[Cl-].[Na+]", "CC(=O)[O-].[Na+]"],
                  ("2 of 3 molecules", "several fragments", "kept whole", "lines 3, 4")),
    "text-values.csv": (b"smiles,pIC50\nCCO,5.1\nCCN,<4\nCCC,n/a\nCCCC,inf\nCCCCC,\n",
                        ["CCO", "CCN", "CCC", "CCCC", "CCCCC"],
                        ("2 values of column 'pIC50'", "not numbers", "'<4'", "unmeasured", "lines 3, 5")),
    "no-numbers.csv": (b"smiles,pIC50\nCCO,>5\nCCN,<4\n", ["CCO", "CCN"], ("column 'pIC50'", "holds no numbers")),
    "ragged.csv": (b"smiles,y\nCCO,1\nCCN,2,3\n", "Line 3", ()),
}


@pytest.mark.parametrize("name", list(AWKWARD))
def test_an_awkward_file_reads_cleanly_or_is_one_line_error(tmp_path, name):
    content, expected, phrases = AWKWARD[name]
    path = tmp_path / name
    path.write_bytes(content)
    if isinstance(expected, str):
        with pytest.raises(UserError, match=expected) as err:
            read_molecule_file(path)
        assert "\n" not in str(err.value) and name in str(err.value)
        return
    molecules = read_molecule_file(path)
    assert molecules.smiles == expected
    for phrase in phrases:
        assert any(phrase in note for note in molecules.notes), (phrase, molecules.notes)
    if not phrases:
        assert molecules.notes == []


def test_property_cells_that_are_not_numbers_are_unmeasured(tmp_path):
    path = tmp_path / "values.csv"
    path.write_bytes(AWKWARD["text-values.csv"][0])
    molecules = read_molecule_file(path)
    np.testing.assert_array_equal(molecules.properties["pIC50"], [5.1, np.nan, np.nan, np.nan, np.nan])
    assert not any("'n/a'" in note or "''" in note for note in molecules.notes)  # meant as unmeasured: no note


def test_a_molecule_named_by_the_user_longer_than_the_limit_is_refused_before_rdkit():
    from genlab.data.chemistry import MAX_SMILES
    from genlab.data.molecule_encoding import molecule_tokens, token_dataset

    spec = token_dataset("mini", {"train": ["CCO"], "val": ["CCN"], "test": ["CCC"]}, "smiles").spec
    assert "characters long" in molecule_tokens(spec, "C" * (MAX_SMILES + 1))
