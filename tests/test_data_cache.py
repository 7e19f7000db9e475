"""Image folders too large for memory: decoded once into a memory-mapped cache that the splits read, not
hold; reused while the folder is unchanged, decoded again when a file changes, never left half written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genlab.data import Dataset, load_dataset
from genlab.data import cache, cached_folders, image_files
from genlab.errors import UserError

N_PER_CLASS = (9, 8)  # 17 images: splits of 13 / 2 / 2


def write_png(path: Path, rng: np.random.Generator, mode: str = "RGB", h: int = 6, w: int = 5) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = (h, w, 3) if mode == "RGB" else (h, w)
    Image.fromarray(rng.integers(0, 256, size=shape, dtype=np.uint8), mode=mode).save(path)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A labelled folder of 17 small images (one grey), with a cache root of this test's own."""
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(cache.BUDGET_VARIABLE, raising=False)
    monkeypatch.setenv(cache.FORCE_VARIABLE, "1")
    rng = np.random.default_rng(7)
    for cls, n in zip(("ant", "bee"), N_PER_CLASS):
        for i in range(n):
            write_png(tmp_path / "bugs" / cls / f"{i:02d}.png", rng, mode="L" if (cls, i) == ("bee", 3) else "RGB")
    return tmp_path / "bugs"


def entries(folder: Path) -> list[Path]:
    """Complete cache entries (staging folders start with a dot)."""
    root = Path(os.environ["GENLAB_CACHE"]) / "data"
    return sorted(p for p in root.iterdir() if not p.name.startswith(".")) if root.exists() else []


def in_memory(folder: Path, monkeypatch: pytest.MonkeyPatch, **options) -> Dataset:
    with monkeypatch.context() as m:
        m.setenv(cache.FORCE_VARIABLE, "0")
        return load_dataset(folder, **options)


def count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = cached_folders.decode_image

    def counting(path, *args):
        calls.append(path)
        return real(path, *args)

    monkeypatch.setattr(cached_folders, "decode_image", counting)
    return calls


def forbid_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args):
        raise AssertionError("the cache should have been reused")

    monkeypatch.setattr(cached_folders, "decode_image", fail)
    monkeypatch.setattr(image_files, "probe_image", fail)


def assert_same(cached: Dataset, held: Dataset) -> None:
    assert cached.spec.to_dict() == held.spec.to_dict()
    for name in ("train", "val", "test"):
        a, b = cached.split(name), held.split(name)
        assert isinstance(a.x, np.memmap) and Path(a.x.filename).name == "x.npy", "read from disk, not held"
        assert not a.x.flags.writeable and a.x.flags.c_contiguous
        assert not isinstance(b.x, np.memmap)
        assert a.x.dtype == b.x.dtype == np.uint8 and np.array_equal(a.x, b.x)
        assert a.y.dtype == np.int64 and np.array_equal(a.y, b.y)


@pytest.mark.parametrize("options", [{}, {"split_seed": 4}, {"channels": 1, "size": (4, 3)}],
                         ids=["default", "seed", "converted"])
def test_forced_cache_is_memory_mapped_and_equal_to_the_memory_load(
    folder: Path, monkeypatch: pytest.MonkeyPatch, options: dict
) -> None:
    held = in_memory(folder, monkeypatch, **options)
    calls = count_decodes(monkeypatch)
    cached = load_dataset(folder, **options)
    assert len(calls) == 17, "each image decoded once"
    assert_same(cached, held)
    assert cached.spec.notes[:-1] == held.spec.notes
    assert "memory-mapped cache" in cached.spec.notes[-1] and "decoded once" in cached.spec.notes[-1]
    # batches index rows of the memmap: a copy of those rows only
    rows = cached.train.x[np.array([3, 0, 5])]
    assert np.array_equal(rows, held.train.x[[3, 0, 5]])
    assert len(entries(folder)) == 1


def test_second_load_reuses_the_cache_without_decoding(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_dataset(folder)
    forbid_decoding(monkeypatch)
    again = load_dataset(folder)
    assert "read from a memory-mapped cache" in again.spec.notes[-1]
    for name in ("train", "val", "test"):
        assert np.array_equal(again.split(name).x, first.split(name).x)
        assert np.array_equal(again.split(name).y, first.split(name).y)
    assert again.spec.to_dict() == first.spec.to_dict()


def test_a_changed_file_is_decoded_again(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_dataset(folder)
    [entry] = entries(folder)
    calls = count_decodes(monkeypatch)
    target = folder / "ant" / "04.png"
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched: same bytes, newer time
    load_dataset(folder)
    assert len(calls) == 17
    assert entries(folder) == [entry], "the stale entry of the same folder is replaced, not kept beside"
    # new pixels of the same size: the cached splits show them
    write_png(target, np.random.default_rng(99))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 2 * 10**9))
    changed = load_dataset(folder)
    assert len(calls) == 34
    assert_same(changed, in_memory(folder, monkeypatch))
    # a new file changes the key too
    write_png(folder / "bee" / "99.png", np.random.default_rng(3))
    del calls[:]
    grown = load_dataset(folder)
    assert len(calls) == 18 and len(grown.train) + len(grown.val) + len(grown.test) == 18


def test_an_interrupted_write_leaves_no_usable_cache(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = cached_folders.decode_image
    seen = []

    def interrupted(path, *args):
        seen.append(path)
        if len(seen) == 6:
            raise KeyboardInterrupt
        return real(path, *args)

    monkeypatch.setattr(cached_folders, "decode_image", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_dataset(folder)
    root = Path(os.environ["GENLAB_CACHE"]) / "data"
    assert list(root.iterdir()) == [], "no entry, and the staging folder is cleaned up"
    monkeypatch.setattr(cached_folders, "decode_image", real)
    assert_same(load_dataset(folder), in_memory(folder, monkeypatch))


def test_a_killed_write_leaves_no_usable_cache(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process killed halfway through decoding (no cleanup runs) leaves only a staging folder."""
    code = (
        "import os, sys; from genlab.data import cached_folders, load_dataset\n"
        "real, seen = cached_folders.decode_image, []\n"
        "def dying(path, *args):\n"
        "    seen.append(path)\n"
        "    if len(seen) == 6: os._exit(9)\n"
        "    return real(path, *args)\n"
        "cached_folders.decode_image = dying\n"
        "load_dataset(sys.argv[1])\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(folder)], env=os.environ.copy(), capture_output=True)
    assert done.returncode == 9, done.stderr
    root = Path(os.environ["GENLAB_CACHE"]) / "data"
    assert entries(folder) == [] and all(p.name.startswith(".") for p in root.iterdir())
    calls = count_decodes(monkeypatch)
    cached = load_dataset(folder)
    assert len(calls) == 17
    assert_same(cached, in_memory(folder, monkeypatch))


@pytest.mark.parametrize("damage", ["truncate x", "drop manifest", "garble manifest", "drop y"])
def test_a_damaged_entry_is_decoded_again(folder: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    load_dataset(folder)
    [entry] = entries(folder)
    if damage == "truncate x":
        data = (entry / "x.npy").read_bytes()
        (entry / "x.npy").write_bytes(data[: len(data) // 2])
    elif damage == "drop manifest":
        (entry / "manifest.json").unlink()
    elif damage == "garble manifest":
        (entry / "manifest.json").write_text("{not json")
    else:
        (entry / "y.npy").unlink()
    calls = count_decodes(monkeypatch)
    cached = load_dataset(folder)
    assert len(calls) == 17
    assert_same(cached, in_memory(folder, monkeypatch))


def test_the_memory_budget_decides_when_not_forced(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache.FORCE_VARIABLE)
    monkeypatch.setenv(cache.BUDGET_VARIABLE, str(17 * 3 * 6 * 5 - 1))  # one byte short of the decoded size
    assert isinstance(load_dataset(folder).train.x, np.memmap)
    monkeypatch.setenv(cache.BUDGET_VARIABLE, str(17 * 3 * 6 * 5))
    assert not isinstance(load_dataset(folder).train.x, np.memmap)
    monkeypatch.delenv(cache.BUDGET_VARIABLE)
    assert not isinstance(load_dataset(folder).train.x, np.memmap), "17 tiny images fit in any machine's memory"
    monkeypatch.setattr(cache, "available_memory", lambda: 4 * 17 * 3 * 6 * 5 - 4)
    assert isinstance(load_dataset(folder).train.x, np.memmap), "a quarter of the available memory"


def one_line_error(folder: Path, *needles: str, **options) -> str:
    with pytest.raises(UserError) as info:
        load_dataset(folder, **options)
    message = str(info.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


def test_bad_variables_are_one_line_errors(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.FORCE_VARIABLE, "yes")
    one_line_error(folder, "GENLAB_FORCE_CACHE", "'yes'")
    monkeypatch.delenv(cache.FORCE_VARIABLE)
    for bad in ("lots", "-5", "1.5e9"):
        monkeypatch.setenv(cache.BUDGET_VARIABLE, bad)
        one_line_error(folder, "GENLAB_MEMORY_BUDGET", bad)


def test_an_unwritable_cache_is_a_one_line_error(folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "a-file"))
    one_line_error(folder, "Cannot write the image cache", "GENLAB_CACHE")


def test_bad_images_give_the_same_errors_through_the_cache(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = (folder / "ant" / "00.png").read_bytes()
    (folder / "ant" / "zz_bad.png").write_bytes(good[: len(good) // 2])  # header fine, pixels cut
    held = None
    with monkeypatch.context() as m:
        m.setenv(cache.FORCE_VARIABLE, "0")
        held = one_line_error(folder, "zz_bad.png")
    assert one_line_error(folder, "zz_bad.png") == held
    assert entries(folder) == []
    (folder / "ant" / "zz_bad.png").unlink()
    write_png(folder / "ant" / "odd.png", np.random.default_rng(0), h=7)
    one_line_error(folder, "odd.png", "--size")
    assert load_dataset(folder, size=(6, 5)).spec.shape == (3, 6, 5)


def test_label_operations_keep_the_memmap(folder: Path) -> None:
    from genlab.data.labels import hide_labels, labelled_only

    train = load_dataset(folder).train
    assert labelled_only(train) is train, "every label known: nothing to copy"
    hidden = hide_labels(train, per_class=2, seed=0)
    assert hidden.x is train.x and isinstance(hidden.x, np.memmap)
    assert len(labelled_only(hidden)) == 4
