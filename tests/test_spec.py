"""DatasetSpec says its modality and shape in general terms and reads the dicts old run folders stored;
Split carries named per-example extras through every operation on splits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from genlab.data import BUILTINS, load_dataset
from genlab.data.labels import HIDDEN, balance_labelled, hide_labels, labelled_only
from genlab.data.spec import MODALITIES, DatasetSpec, ExtraSpec, Split
from genlab.data.splits import split_arrays, split_indices, split_order, slice_splits
from genlab.errors import UserError

OLD_RUN = Path(__file__).parent / "fixtures" / "old-vae-digits" / "config.json"

# ---------------------------------------------------------------- the spec


def test_positional_constructor_and_defaults() -> None:
    spec = DatasetSpec("rgb", (3, 5, 7), 256, 2, ("a", "b"))
    assert (spec.name, spec.shape, spec.levels, spec.num_classes, spec.class_names) == ("rgb", (3, 5, 7), 256, 2,
                                                                                        ("a", "b"))
    assert spec.modality == "image" and spec.extras == () and spec.notes == ()
    assert spec.axes == ("channel", "height", "width") == MODALITIES["image"]
    assert spec.dims == 3 * 5 * 7
    assert DatasetSpec("l", [1, 4, 4], 2).shape == (1, 4, 4), "lists and numpy ints become a tuple of ints"
    assert DatasetSpec("n", (np.int64(1), 4, 4), 2).shape == (1, 4, 4)


def test_to_dict_says_modality_and_round_trips() -> None:
    spec = BUILTINS["digits"].spec
    d = spec.to_dict()
    assert d == {"name": "digits", "modality": "image", "shape": [1, 8, 8], "levels": 17, "num_classes": 10,
                 "class_names": list("0123456789")}
    assert json.loads(json.dumps(d)) == d
    assert DatasetSpec.from_dict(d) == spec
    unlabelled = BUILTINS["photos"].spec
    assert DatasetSpec.from_dict(unlabelled.to_dict()) == unlabelled


def test_from_dict_reads_the_old_run_folder_dict() -> None:
    old = json.loads(OLD_RUN.read_text())["dataset"]
    assert "modality" not in old
    spec = DatasetSpec.from_dict(old)
    assert spec == BUILTINS["digits"].spec and spec.modality == "image"
    assert spec.to_dict() == BUILTINS["digits"].spec.to_dict(), "an old run compares equal to a new one"
    assert DatasetSpec.from_dict(old, notes=("n",)).notes == ("n",)


def test_from_dict_errors() -> None:
    with pytest.raises(KeyError):
        DatasetSpec.from_dict({"shape": [1, 8, 8], "levels": 17})
    with pytest.raises(ValueError):
        DatasetSpec.from_dict({"name": "bad", "shape": [1, 8], "levels": 17})
    with pytest.raises(ValueError):
        DatasetSpec.from_dict({"name": "bad", "shape": [1, 0, 8], "levels": 17})
    with pytest.raises(UserError) as info:
        DatasetSpec.from_dict({"name": "clips", "modality": "hologram", "shape": [2, 3], "levels": 4})
    assert "\n" not in str(info.value) and "hologram" in str(info.value)


def test_extras_describe_named_arrays_and_round_trip() -> None:
    low = ExtraSpec("low_res", (3, 4, 4), levels=256, modality="image")
    factors = ExtraSpec("factors", [2], dtype="int64", names=["shape", "scale"], sizes=[3, 6])
    spec = DatasetSpec("pairs", (3, 8, 8), 256, extras=(low, factors))
    assert spec.dims == 3 * 8 * 8, "extras do not count towards bits/dim"
    assert spec.extra("factors").names == ("shape", "scale") and spec.extra("low_res").shape == (3, 4, 4)
    assert spec.extra("factors").sizes == (3, 6)
    d = spec.to_dict()
    assert [e["name"] for e in d["extras"]] == ["low_res", "factors"]
    assert DatasetSpec.from_dict(json.loads(json.dumps(d))) == spec
    for name in ("x", "y", "not an identifier"):
        with pytest.raises(ValueError):
            ExtraSpec(name, (1,))
    with pytest.raises(ValueError):
        DatasetSpec("dup", (1, 2, 2), 2, extras=(ExtraSpec("m", (1,)), ExtraSpec("m", (2,))))


def test_dims_is_the_product_of_the_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    """No (C, H, W) unpacking: a modality with other axes (here a stand-in for video) counts all of them."""
    monkeypatch.setitem(MODALITIES, "video", ("time", "channel", "height", "width"))
    clip = DatasetSpec("clips", (5, 3, 4, 6), 256, modality="video")
    assert clip.dims == 5 * 3 * 4 * 6 and clip.axes[0] == "time"
    assert DatasetSpec.from_dict(clip.to_dict()) == clip


# ---------------------------------------------------------------- splits carry extras


def toy(n: int = 30, classes: int = 3) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """x whose first pixel is the example's index; extras whose rows also hold it."""
    x = np.zeros((n, 1, 2, 2), np.uint8)
    x[:, 0, 0, 0] = np.arange(n)
    extras = {"factors": np.stack([np.arange(n), -np.arange(n)], 1), "mask": np.arange(n, dtype=np.uint8)[:, None]}
    return x, np.arange(n, dtype=np.int64) % classes, extras


def assert_rows_agree(split: Split) -> None:
    """Every extra row belongs to the example beside it."""
    index = split.x[:, 0, 0, 0].astype(np.int64)
    assert np.array_equal(split.extras["factors"][:, 0], index)
    assert np.array_equal(split.extras["factors"][:, 1], -index)
    assert np.array_equal(split.extras["mask"][:, 0], index)


def test_split_keeps_its_old_form_and_checks_rows() -> None:
    x, y, extras = toy()
    plain = Split(x, y)
    assert plain.extras == {} and len(plain) == 30 and set(plain.arrays()) == {"x", "y"}
    assert set(Split(x).arrays()) == {"x"}
    assert set(Split(x, y, extras).arrays()) == {"x", "y", "factors", "mask"}
    with pytest.raises(ValueError):
        Split(x, y[:-1])
    with pytest.raises(ValueError):
        Split(x, y, {"mask": extras["mask"][:-1]})
    with pytest.raises(ValueError):
        Split(x, None, {"y": y})


def test_split_arrays_carries_extras() -> None:
    x, y, extras = toy()
    parts = split_arrays(x, y, n_test=4, n_val=3, seed=5, extras=extras)
    plain = split_arrays(x, y, n_test=4, n_val=3, seed=5)
    for idx, split, same in zip(split_indices(30, n_test=4, n_val=3, seed=5), parts, plain):
        assert np.array_equal(split.x, x[idx]) and np.array_equal(split.y, y[idx])
        assert np.array_equal(split.x, same.x) and same.extras == {}
        assert_rows_agree(split)
        assert all(a.flags.c_contiguous for a in split.extras.values())


def test_split_order_slices_equal_split_arrays() -> None:
    x, y, extras = toy()
    order = split_order(30, n_test=4, n_val=3, seed=2)
    sliced = slice_splits(x[order], y[order], n_test=4, n_val=3, extras={k: v[order] for k, v in extras.items()})
    for a, b in zip(sliced, split_arrays(x, y, n_test=4, n_val=3, seed=2, extras=extras)):
        assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
        assert all(np.array_equal(a.extras[k], b.extras[k]) for k in extras)


def test_label_operations_carry_extras() -> None:
    x, y, extras = toy(n=90)
    split = Split(x, y, extras)
    hidden = hide_labels(split, per_class=2, seed=0)
    assert hidden.x is split.x and hidden.extras["factors"] is extras["factors"], "shared, not copied"
    only = labelled_only(hidden)
    assert len(only) == 6 and (only.y != HIDDEN).all()
    assert_rows_agree(only)
    balanced = balance_labelled(hidden)
    assert len(balanced) > len(split)
    assert_rows_agree(balanced)
    assert set(balanced.extras) == {"factors", "mask"}
    empty = labelled_only(Split(x, None, extras))
    assert len(empty) == 0 and empty.y.dtype == np.int64 and empty.extras["mask"].shape == (0, 1)


def test_builtin_splits_are_the_seeded_permutation() -> None:
    """The built-ins' numbers: each split is exactly the rows of one seeded permutation, as before."""
    entry = BUILTINS["digits"]
    x, y = entry.load_arrays()
    ds = load_dataset("digits", split_seed=3)
    train, val, test = split_indices(len(x), n_test=entry.n_test, n_val=entry.n_val, seed=3)
    for split, idx in ((ds.train, train), (ds.val, val), (ds.test, test)):
        assert np.array_equal(split.x, x[idx]) and np.array_equal(split.y, y[idx]) and split.extras == {}
