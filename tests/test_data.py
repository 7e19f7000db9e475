"""Tests for genlab.data: built-ins, splits, image folders, .npy/.npz files, and every user-error path."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genlab.data import BUILTINS, Dataset, list_builtins, load_dataset
from genlab.data.splits import split_indices, user_split_sizes
from genlab.errors import UserError

# ---------------------------------------------------------------- helpers


def user_error(source: str | Path, *needles: str, **kwargs) -> str:
    """Load `source`, expect a one-line UserError containing every needle, and return its message."""
    with pytest.raises(UserError) as info:
        load_dataset(source, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


def write_png(path: Path, rng: np.random.Generator, h: int = 8, w: int = 8, mode: str = "RGB") -> Path:
    """A tiny random PNG at `path` (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = (h, w, 3) if mode == "RGB" else (h, w)
    Image.fromarray(rng.integers(0, 256, size=shape, dtype=np.uint8), mode=mode).save(path)
    return path


def all_x(ds: Dataset) -> np.ndarray:
    return np.concatenate([ds.train.x, ds.val.x, ds.test.x])


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="module")
def mnist() -> Dataset:
    return load_dataset("mnist")


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_dataset("digits")


# ---------------------------------------------------------------- built-ins


def test_list_builtins_is_static_and_import_is_light() -> None:
    code = (
        "import sys; from genlab.data import list_builtins; specs = list_builtins(); "
        "print(sorted(m for m in ('torch', 'sklearn', 'mlxtend') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    specs = {s.name: s for s in list_builtins()}
    assert list(specs) == list(BUILTINS) == ["digits", "mnist", "mnist-binary", "photos", "dsprites", "color-dsprites",
                                                 "tetrominoes", "multi-dsprites", "multi-dsprites-color",
                                                 "moving-mnist", "fashion-mnist", "moving-fashion-mnist", "moses",
                                                 "chembl-assay", "espeak", "asterisk"]
    assert (specs["photos"].shape, specs["photos"].levels, specs["photos"].num_classes) == ((3, 128, 128), 256, None)
    assert (specs["digits"].shape, specs["digits"].levels) == ((1, 8, 8), 17)
    assert (specs["mnist"].shape, specs["mnist"].levels) == ((1, 28, 28), 256)
    assert (specs["mnist-binary"].shape, specs["mnist-binary"].levels) == ((1, 28, 28), 2)
    for name in ("digits", "mnist", "mnist-binary"):
        assert specs[name].num_classes == 10 and specs[name].class_names == tuple("0123456789")


def check_builtin(ds: Dataset, sizes: tuple[int, int, int], levels: int) -> None:
    assert (len(ds.train), len(ds.val), len(ds.test)) == sizes
    for split in (ds.train, ds.val, ds.test):
        assert split.x.dtype == np.uint8 and split.x.shape[1:] == ds.spec.shape
        assert split.y is not None and split.y.dtype == np.int64 and split.y.shape == (len(split),)
        assert split.x.flags.writeable and split.x.flags.c_contiguous
    assert int(all_x(ds).max()) == levels - 1


def test_digits(digits: Dataset) -> None:
    assert digits.spec == BUILTINS["digits"].spec
    check_builtin(digits, (1257, 180, 360), 17)


def test_mnist(mnist: Dataset) -> None:
    check_builtin(mnist, (3500, 500, 1000), 256)


def test_mnist_test_split_is_shuffled(mnist: Dataset) -> None:
    counts = np.bincount(mnist.test.y, minlength=10)
    assert len(counts) == 10 and counts.min() >= 60 and counts.max() <= 140


def test_mnist_binary_is_thresholded_mnist(mnist: Dataset) -> None:
    binary = load_dataset("mnist-binary")
    check_builtin(binary, (3500, 500, 1000), 2)
    for name in ("train", "val", "test"):
        assert np.array_equal(binary.split(name).x, (mnist.split(name).x >= 128).astype(np.uint8))
        assert np.array_equal(binary.split(name).y, mnist.split(name).y)


def test_splits_are_deterministic_per_seed(digits: Dataset, mnist: Dataset) -> None:
    again = load_dataset("digits", split_seed=0)
    other = load_dataset("digits", split_seed=1)
    for name in ("train", "val", "test"):
        assert np.array_equal(again.split(name).x, digits.split(name).x)
        assert np.array_equal(again.split(name).y, digits.split(name).y)
    assert not np.array_equal(other.test.x, digits.test.x)
    assert not np.array_equal(load_dataset("mnist", split_seed=1).test.x, mnist.test.x)


def test_split_indices_partition() -> None:
    train, val, test = split_indices(50, n_test=5, n_val=4, seed=3)
    assert (len(train), len(val), len(test)) == (41, 4, 5)
    assert np.array_equal(np.sort(np.concatenate([train, val, test])), np.arange(50))
    assert user_split_sizes(10) == (1, 1)
    assert user_split_sizes(3) == (1, 1)
    assert user_split_sizes(1000) == (100, 100)


# ---------------------------------------------------------------- image folders


def test_image_folder_with_class_subfolders(tmp_path: Path, rng: np.random.Generator) -> None:
    for cls, n in (("dog", 6), ("cat", 5)):
        for i in range(n):
            write_png(tmp_path / "pets" / cls / f"{i}.PNG", rng)
    (tmp_path / "pets" / "cat" / ".hidden.png").write_bytes(b"not an image")
    (tmp_path / "pets" / "cat" / "notes.txt").write_text("ignored")
    (tmp_path / "pets" / "empty").mkdir()
    ds = load_dataset(tmp_path / "pets")
    assert ds.spec.name == "pets"
    assert ds.spec.class_names == ("cat", "dog") and ds.spec.num_classes == 2
    assert (ds.spec.shape, ds.spec.levels, ds.spec.notes) == ((3, 8, 8), 256, ())
    assert (len(ds.train), len(ds.val), len(ds.test)) == (9, 1, 1)
    labels = np.concatenate([ds.train.y, ds.val.y, ds.test.y])
    assert sorted(labels.tolist()) == [0] * 5 + [1] * 6
    # pixels survive the round trip: the first cat image is somewhere in the splits
    first_cat = np.asarray(Image.open(tmp_path / "pets" / "cat" / "0.PNG")).transpose(2, 0, 1)
    assert any(np.array_equal(first_cat, img) for img in all_x(ds))


def test_loose_images_mixed_channels_note_and_override(tmp_path: Path, rng: np.random.Generator) -> None:
    folder = tmp_path / "loose"
    for i in range(7):
        write_png(folder / f"g{i}.png", rng, mode="L")
    for i in range(4):
        write_png(folder / f"c{i}.jpg", rng)
    ds = load_dataset(folder)
    assert ds.spec.shape == (1, 8, 8) and ds.spec.num_classes is None and ds.train.y is None
    assert ds.spec.notes == (f"Mixed channels in {folder}: using 1 (the majority); pass --channels 1 or 3 to choose.",)
    rgb = load_dataset(folder, channels=3, size=(5, 6))
    assert rgb.spec.shape == (3, 5, 6) and rgb.spec.notes == ()


def test_sixteen_bit_grayscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    for i in range(10):
        levels = (np.arange(16, dtype=np.uint16).reshape(4, 4) + i) * 257
        Image.fromarray(levels).save(tmp_path / f"{i}.png")
    x = all_x(load_dataset(tmp_path))
    assert x.max() == 15 + 9 and x.min() == 0


# ---------------------------------------------------------------- .npy / .npz


@pytest.mark.parametrize(
    ("shape", "expected"),
    [((12, 5, 6), (1, 5, 6)), ((12, 3, 5, 6), (3, 5, 6)), ((12, 5, 6, 3), (3, 5, 6)), ((12, 5, 6, 1), (1, 5, 6))],
)
def test_npy_layouts(tmp_path: Path, rng: np.random.Generator, shape: tuple, expected: tuple) -> None:
    x = rng.integers(0, 200, size=shape, dtype=np.int64)
    x.flat[0] = 199
    np.save(tmp_path / "imgs.npy", x)
    ds = load_dataset(tmp_path / "imgs.npy")
    assert ds.spec.shape == expected and ds.spec.levels == 200 and ds.spec.name == "imgs.npy"
    assert ds.train.x.dtype == np.uint8 and ds.train.y is None
    assert (len(ds.train), len(ds.val), len(ds.test)) == (10, 1, 1)
    nchw = x if len(shape) == 4 and shape[1] in (1, 3) else (x[:, None] if len(shape) == 3 else np.moveaxis(x, -1, 1))
    assert sorted(map(bytes, all_x(ds).astype(np.int64))) == sorted(map(bytes, nchw))


@pytest.mark.parametrize(("x_key", "y_key"), [("x", "y"), ("images", "labels")])
def test_npz_with_labels(tmp_path: Path, rng: np.random.Generator, x_key: str, y_key: str) -> None:
    x = rng.random((20, 4, 4)) > 0.5
    y = np.arange(20) % 4
    np.savez(tmp_path / "d.npz", **{x_key: x, y_key: y})
    ds = load_dataset(tmp_path / "d.npz")
    assert ds.spec.levels == 2 and ds.spec.num_classes == 4 and ds.spec.class_names == ("0", "1", "2", "3")
    assert ds.train.y.dtype == np.int64 and len(ds.test.y) == 2


def test_npz_single_array_of_any_name(tmp_path: Path, rng: np.random.Generator) -> None:
    np.savez_compressed(tmp_path / "one.npz", pics=rng.integers(0, 2, size=(10, 3, 3)))
    ds = load_dataset(tmp_path / "one.npz")
    assert ds.spec.levels == 2 and ds.spec.num_classes is None


def test_float_images_are_quantised_with_a_note(tmp_path: Path, rng: np.random.Generator) -> None:
    x = rng.random((10, 4, 4)).astype(np.float32)
    x[0, 0, 0], x[0, 0, 1] = 0.0, 1.0
    path = tmp_path / "f.npy"
    np.save(path, x)
    ds = load_dataset(path)
    assert ds.spec.levels == 256 and ds.spec.notes == (f"Float values in {path} quantised to 256 levels.",)
    assert sorted(map(bytes, all_x(ds)[:, 0])) == sorted(map(bytes, np.rint(x * 255).astype(np.uint8)))


# ---------------------------------------------------------------- user errors


def test_unknown_dataset_message() -> None:
    assert user_error("nope") == (
        "Unknown dataset 'nope': use one of digits, mnist, mnist-binary, photos, dsprites, color-dsprites, "
        "tetrominoes, multi-dsprites, multi-dsprites-color, moving-mnist, fashion-mnist, moving-fashion-mnist, moses, "
        "chembl-assay, espeak, asterisk, or a path to an image folder, a .npy/.npz file (images or clips), molecules "
        "(.csv/.smi) or recordings (a folder with metadata.csv)."
    )


def test_bad_options(tmp_path: Path) -> None:
    user_error("digits", "channels", "2", channels=2)
    user_error("digits", "size", size=(0, 4))
    user_error("digits", "split seed", split_seed=-1)
    user_error("digits", "size", size=32)
    user_error("digits", "channels", channels=True)
    assert load_dataset("digits", split_seed=np.int64(0), size=[np.int64(8), 8]).spec.shape == (1, 8, 8)
    user_error("mnist", "mnist", "--channels", channels=3)
    user_error("digits", "digits", "--size", size=(28, 28))


def _save(name: str, **arrays) -> Callable[[Path], Path]:
    """A builder that writes `arrays` as `name` (.npy: the one array) into a folder and returns the path."""

    def build(folder: Path) -> Path:
        path = folder / name
        if name.endswith(".npy"):
            np.save(path, arrays["x"], allow_pickle=True)
        else:
            np.savez(path, **arrays)
        return path

    return build


def _truncated(name: str) -> Callable[[Path], Path]:
    """A .npy with a valid header whose data stops halfway."""

    def build(folder: Path) -> Path:
        np.save(folder / name, GOOD)
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) - 50])
        return folder / name

    return build


def _raw(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    return build


GOOD = np.zeros((12, 4, 4), dtype=np.uint8)
ARRAY_ERRORS = {
    "garbage npy": (_raw("junk.npy", b"definitely not numpy"), "junk.npy"),
    "garbage npz": (_raw("junk.npz", b"PK\x03\x04 broken zip"), "junk.npz"),
    "truncated npy": (_truncated("cut.npy"), "cut.npy"),
    "short file": (_raw("tiny.npy", b"\x93N"), "tiny.npy"),
    "pickle disguised as npy": (_raw("evil.npy", pickle.dumps([1, 2])), "evil.npy"),
    "pickled objects": (_save("obj.npy", x=np.array([{"a": 1}] * 12, dtype=object)), "obj.npy"),
    "pickled labels in npz": (_save("objlab.npz", x=GOOD, y=np.array([None] * 12, dtype=object)), "objlab.npz"),
    "not a dataset file": (_raw("table.csv", b"1,2,3"), "table.csv"),
    "2-D array": (_save("flat.npy", x=np.zeros((12, 16), np.uint8)), "flat.npy"),
    "2-channel clips": (_save("two.npy", x=np.zeros((12, 5, 2, 4, 4), np.uint8)), "two.npy"),
    "too few": (_save("few.npy", x=np.zeros((9, 4, 4), np.uint8)), "few.npy"),
    "negative ints": (_save("neg.npy", x=np.full((12, 4, 4), -1)), "neg.npy"),
    "ints above 255": (_save("big.npy", x=np.full((12, 4, 4), 256)), "big.npy"),
    "floats out of range": (_save("hot.npy", x=np.full((12, 4, 4), 2.0)), "hot.npy"),
    "nan": (_save("nan.npy", x=np.full((12, 4, 4), np.nan)), "nan.npy"),
    "inf in npz": (_save("inf.npz", x=np.full((12, 4, 4), np.inf)), "inf.npz"),
    "complex": (_save("cplx.npy", x=np.zeros((12, 4, 4), np.complex64)), "cplx.npy"),
    "strings": (_save("str.npy", x=np.full((12, 4, 4), "a")), "str.npy"),
    "no x key": (_save("keys.npz", a=GOOD, b=GOOD), "keys.npz"),
    "empty npz": (_save("none.npz"), "none.npz"),
    "labels wrong length": (_save("len.npz", x=GOOD, y=np.zeros(11, int)), "len.npz"),
    "labels 2-D": (_save("twod.npz", x=GOOD, y=np.zeros((12, 1), int)), "twod.npz"),
    "negative labels": (_save("neglab.npz", x=GOOD, labels=np.full(12, -1)), "neglab.npz"),
    "float labels": (_save("flab.npz", x=GOOD, y=np.zeros(12)), "flab.npz"),
}


@pytest.mark.parametrize("case", list(ARRAY_ERRORS))
def test_array_file_errors_name_the_file(tmp_path: Path, case: str) -> None:
    build, needle = ARRAY_ERRORS[case]
    user_error(build(tmp_path), needle)


def test_missing_path_says_not_found(tmp_path: Path) -> None:
    user_error(tmp_path / "missing", "No file or folder", "missing")
    user_error("missing.npz", "No file or folder", "missing.npz")


def test_empty_folder_and_folder_without_images(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    user_error(tmp_path / "empty", "empty")
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "readme.txt").write_text("hi")
    (tmp_path / "docs" / ".secret.png").write_bytes(b"")
    user_error(tmp_path / "docs", "docs")


def test_corrupt_images_name_the_file(tmp_path: Path, rng: np.random.Generator) -> None:
    for i in range(10):
        write_png(tmp_path / "a" / f"{i}.png", rng)
    (tmp_path / "a" / "zz_bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    user_error(tmp_path / "a", "zz_bad.png")
    # a valid header with truncated pixel data fails only when decoded
    good = (tmp_path / "a" / "0.png").read_bytes()
    (tmp_path / "a" / "zz_bad.png").write_bytes(good[: len(good) // 2])
    user_error(tmp_path / "a", "zz_bad.png")


def test_mixed_sizes_name_two_files_and_suggest_size(tmp_path: Path, rng: np.random.Generator) -> None:
    for i in range(10):
        write_png(tmp_path / "s" / f"a{i}.png", rng)
    write_png(tmp_path / "s" / "odd.png", rng, h=9, w=7)
    user_error(tmp_path / "s", "a0.png", "8x8", "odd.png", "9x7", "--size")
    assert load_dataset(tmp_path / "s", size=(8, 8)).spec.shape == (3, 8, 8)


def test_loose_images_beside_class_subfolders(tmp_path: Path, rng: np.random.Generator) -> None:
    write_png(tmp_path / "m" / "stray.png", rng)
    write_png(tmp_path / "m" / "cls" / "0.png", rng)
    user_error(tmp_path / "m", "stray.png", "cls")


def test_tiny_image_folder(tmp_path: Path, rng: np.random.Generator) -> None:
    for i in range(3):
        write_png(tmp_path / "tiny" / f"{i}.png", rng)
    user_error(tmp_path / "tiny", "tiny", "3 examples")


def test_a_source_refuses_load_options_it_does_not_take_and_a_source_option_travels_in_the_data_config() -> None:
    """data/sources/: the first source that recognises a name loads it, with only the options it declares; an
    option no source declares is refused by name; a source's own option is an extra [data] key."""
    from genlab.config import load_config
    from genlab.data import load_data
    from genlab.data.sources import sources

    assert [type(s).__name__ for s in sources() if s.recognises("digits")] == ["BuiltinImages"]
    with pytest.raises(UserError, match="digits holds images: --set data.tokens is for molecules"):
        load_dataset("digits", tokens="smiles")
    with pytest.raises(UserError, match="No data source takes the option 'colour'"):
        load_dataset("digits", colour="red")
    config = load_config(None, {"data": {"source": "digits", "colour": "red"}})
    assert config.data.load_options()["colour"] == "red" and "colour" not in load_config(None, {}).data.model_dump()
    with pytest.raises(UserError, match="colour"):
        load_data(config.data)
    assert load_dataset("digits", channels=1, size=None).spec.shape == (1, 8, 8)  # restating the shape is fine
