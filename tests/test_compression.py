"""Lossless compression with a pixelcnn (`genlab compress` / `genlab decompress`, .glz files): bit-exact round
trips, files of about -log2 p(x) bits, the container format and its checks (every damaged, foreign or future
file is refused with a user error and no output), input checks, and folders of images in and out."""

from __future__ import annotations

import dataclasses
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from genlab.apps import compression
from genlab.coding import container
from genlab.errors import UserError

DIGIT_LEVELS = 17  # digits are whole numbers 0..16
HEADER_AND_FLUSH = 40  # bytes a file may cost beyond -log2 p(x): header, checksums, the coder's last words


def train(out: Path, model: dict, *, steps: int = 20, seed: int = 0, data: str = "digits") -> Path:
    """A tiny run trained through the API (what `genlab train` does), quietly."""
    from genlab import api
    from genlab.config import load_config

    config = load_config(None, {"data": {"source": data}, "model": model, "": {"seed": seed},
                                "training": {"steps": steps, "batch_size": 32 if data == "digits" else 2,
                                             "eval_every": steps, "warmup_steps": min(5, steps - 1)}})
    api.train(config, out, quiet=True)
    return out


TINY_PIXELCNN = {"name": "pixelcnn", "channels": 8, "layers": 2}


@pytest.fixture(scope="module")
def pixelcnn_run(tmp_path_factory) -> Path:
    return train(tmp_path_factory.mktemp("pixelcnn") / "run", TINY_PIXELCNN)


@pytest.fixture(scope="module")
def other_pixelcnn_run(tmp_path_factory) -> Path:
    """The same configuration with another seed: another model, another fingerprint."""
    return train(tmp_path_factory.mktemp("pixelcnn-other") / "run", TINY_PIXELCNN, steps=3, seed=1)


@pytest.fixture(scope="module")
def codec_run(tmp_path_factory) -> Path:
    return train(tmp_path_factory.mktemp("codec") / "run", {"name": "codec", "channels": 8, "latent_channels": 8},
                 steps=2, data="photos")


@pytest.fixture(scope="module")
def test_digits(pixelcnn_run) -> np.ndarray:
    from genlab import api

    return api.load_run(pixelcnn_run).dataset().test.x  # (360, 1, 8, 8) uint8


@pytest.fixture(scope="module")
def glz(tmp_path_factory, pixelcnn_run, test_digits) -> bytes:
    """A valid .glz of three test digits, as bytes."""
    root = tmp_path_factory.mktemp("glz")
    np.save(root / "three.npy", test_digits[:3])
    compression.compress(pixelcnn_run, root / "three.npy", root / "three.glz")
    return (root / "three.glz").read_bytes()


def model_bits(run: Path, x: np.ndarray) -> float:
    """-log2 p(x) of images x under the run's model, computed here (not by the code under test)."""
    import torch

    from genlab import api

    model = api.load_run(run).model
    with torch.no_grad():
        return -float(model.log_prob(torch.from_numpy(x.astype(np.int64))).nats.double().sum()) / np.log(2)


# ---------------------------------------------------------------- lossless round trips


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(images=st.integers(1, 5).flatmap(lambda n: st.sampled_from([(n, 1, 8, 8), (n, 8, 8)])).flatmap(
    lambda shape: hnp.arrays(st.sampled_from([np.uint8, np.int64]), shape, elements=st.integers(0, DIGIT_LEVELS - 1))))
def test_lossless_round_trip_is_bit_exact(pixelcnn_run, images):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        np.save(folder / "in.npy", images)
        report = compression.compress(pixelcnn_run, folder / "in.npy", folder / "x.glz")
        assert report.images == len(images) and report.dims == images.size
        assert report.file_bytes == (folder / "x.glz").stat().st_size
        back = compression.decompress(pixelcnn_run, folder / "x.glz", folder / "out.npy")
        decoded = np.load(folder / "out.npy")
        assert back.images == len(images)
        assert decoded.dtype == np.uint8 and decoded.shape == (len(images), 1, 8, 8)
        np.testing.assert_array_equal(decoded, images.reshape(len(images), 1, 8, 8))


def test_file_size_is_the_models_log_loss(pixelcnn_run, test_digits, tmp_path):
    np.save(tmp_path / "test.npy", test_digits)
    report = compression.compress(pixelcnn_run, tmp_path / "test.npy", tmp_path / "test.glz")
    bits = model_bits(pixelcnn_run, test_digits)
    assert len(test_digits) == 360 and report.dims == 360 * 64
    assert report.model_bits == pytest.approx(bits, rel=1e-5)
    file_bits = 8 * report.file_bytes
    assert file_bits == 8 * (tmp_path / "test.glz").stat().st_size
    assert 0.99 * bits <= file_bits <= 1.01 * bits + 8 * HEADER_AND_FLUSH, (file_bits, bits)
    assert report.bits_per_dim == pytest.approx(file_bits / (360 * 64))
    compression.decompress(pixelcnn_run, tmp_path / "test.glz", tmp_path / "back.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "back.npy"), test_digits)


@pytest.mark.parametrize("shape, levels, likelihood", [((3, 5, 6), 256, "logistic_mixture"), ((3, 4, 3), 5, "categorical")])
def test_coder_round_trips_rgb_models_across_chunks(monkeypatch, shape, levels, likelihood):
    """Channels within a pixel, non-square images and several chunks (pushed in reverse on the ANS stack) all
    come back in order; the words cost about -log2 p(x) under a many-level logistic mixture too."""
    import torch

    from genlab.coding import lossless
    from genlab.data.spec import DatasetSpec
    from genlab.models.registry import build_model

    monkeypatch.setattr(lossless, "CHUNK", 2)
    torch.manual_seed(0)
    model = build_model("pixelcnn", DatasetSpec("tiny", shape, levels),
                        {"channels": 8, "layers": 2, "kernel": 3, "likelihood": likelihood}).eval()
    rng = np.random.default_rng(0)
    x = rng.integers(0, levels, size=(5, *shape), dtype=np.uint8)
    x[0, 0, 0, 0], x[1, -1, -1, -1] = 0, levels - 1  # both extreme levels occur
    done = []
    words, _ = lossless.compress(model, x, done.append)
    assert words.dtype == np.uint32 and sorted(done) == [1, 2, 2]
    decoded = lossless.decompress(model, words, len(x))
    assert decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, x)
    with torch.no_grad():
        bits = -float(model.log_prob(torch.from_numpy(x).long()).nats.double().sum()) / np.log(2)
    assert 0.99 * bits <= 32 * len(words) <= 1.01 * bits + 64


def test_cli_round_trip_reports_the_overhead(genlab, pixelcnn_run, test_digits, tmp_path):
    np.save(tmp_path / "ten.npy", test_digits[:10])
    made = genlab("compress", pixelcnn_run, "ten.npy", "-o", "ten.glz")
    assert made.returncode == 0, str(made)
    assert "10 image(s)" in made.stdout and "bits/dim" in made.stdout and "file overhead" in made.stdout
    assert f"{(tmp_path / 'ten.glz').stat().st_size:,} bytes" in made.stdout
    back = genlab("decompress", pixelcnn_run, "ten.glz", "-o", "ten-back.npy")
    assert back.returncode == 0, str(back)
    np.testing.assert_array_equal(np.load(tmp_path / "ten-back.npy"), test_digits[:10])


def test_rate_and_refine_are_refused_for_lossless_files(pixelcnn_run, test_digits, tmp_path):
    np.save(tmp_path / "x.npy", test_digits[:1])
    for option in ({"refine": 5}, {"rate": 0.2}):
        with pytest.raises(UserError, match="--rate and --refine are for lossy"):
            compression.compress(pixelcnn_run, tmp_path / "x.npy", tmp_path / "x.glz", **option)
    assert not (tmp_path / "x.glz").exists()


def test_empty_array_is_refused(pixelcnn_run, tmp_path):
    np.save(tmp_path / "none.npy", np.zeros((0, 1, 8, 8), np.uint8))
    with pytest.raises(UserError, match="none.npy holds no images"):
        compression.compress(pixelcnn_run, tmp_path / "none.npy", tmp_path / "none.glz")
    assert not (tmp_path / "none.glz").exists()


# ---------------------------------------------------------------- the container format


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["lossless", "lossy"]), mark=st.binary(min_size=4, max_size=4),
       count=st.integers(0, 10**6), shape=st.tuples(*[st.integers(0, 70000)] * 3),
       names=st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\n"), min_size=1, max_size=20), max_size=5),
       payload=st.binary(max_size=64), data_crc=st.integers(0, 2**32 - 1))
def test_container_pack_unpack_round_trip(kind, mark, count, shape, names, payload, data_crc):
    box = container.Container(kind, mark, count, shape, tuple(names), payload, data_crc)
    data = container.pack(box)
    assert container.unpack(data, "f") == box


def test_container_layout(glz, pixelcnn_run):
    """The documented layout: magic, version, fingerprint, ..., payload, data CRC, CRC of all before it."""
    assert glz[:3] == b"GLZ" and glz[3] == container.VERSION == 1
    assert glz[4:8] == container.fingerprint(pixelcnn_run)
    assert struct.unpack("<I", glz[-4:])[0] == zlib.crc32(glz[:-4])
    box = container.unpack(glz, "f")
    assert box.kind == "lossless" and box.count == 3 and box.shape == (1, 8, 8) and box.names == ()
    assert struct.unpack("<I", glz[-8:-4])[0] == box.data_crc
    assert glz[-8 - len(box.payload) : -8] == box.payload and len(box.payload) % 4 == 0
    lossy = container.pack(dataclasses.replace(box, kind="lossy"))
    assert lossy[:3] == b"GLC" and container.unpack(lossy, "f").kind == "lossy"


def test_fingerprint_follows_weights_and_config(pixelcnn_run, other_pixelcnn_run, tmp_path):
    import shutil

    assert container.fingerprint(pixelcnn_run) == container.fingerprint(pixelcnn_run)
    assert container.fingerprint(pixelcnn_run) != container.fingerprint(other_pixelcnn_run)
    copy = tmp_path / "copy"
    shutil.copytree(pixelcnn_run, copy)
    assert container.fingerprint(copy) == container.fingerprint(pixelcnn_run)  # the folder's place does not count


def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[index] ^= 1 << bit
    return bytes(out)


def _payload_middle(data: bytes) -> int:
    return len(data) - 8 - len(container.unpack(data, "f").payload) // 2


# (name, damage(bytes) -> bytes, words the message must hold)
DAMAGE = [
    ("empty", lambda d: b"", "not a genlab compressed file"),
    ("cut to 2 bytes", lambda d: d[:2], "not a genlab compressed file"),
    ("cut to 3 bytes", lambda d: d[:3], ""),
    ("cut to 6 bytes", lambda d: d[:6], "damaged"),
    ("cut to 12 bytes", lambda d: d[:12], "damaged"),
    ("cut in the payload", lambda d: d[: len(d) // 2], "damaged"),
    ("cut before the trailer", lambda d: d[:-8], "damaged"),
    ("last byte cut", lambda d: d[:-1], "damaged"),
    ("byte appended", lambda d: d + b"\0", "damaged"),
    ("bit flipped in the fingerprint", lambda d: _flip(d, 5, 3), "damaged"),
    ("bit flipped in the image count", lambda d: _flip(d, 8, 1), "damaged"),
    ("bit flipped in the payload", lambda d: _flip(d, _payload_middle(d), 6), "damaged"),
    ("bit flipped in the data checksum", lambda d: _flip(d, len(d) - 6, 2), "damaged"),
    ("bit flipped in the file checksum", lambda d: _flip(d, len(d) - 2, 7), "damaged"),
    ("wrong magic", lambda d: b"PNG" + d[3:], "not a genlab compressed file"),
    ("other kind's magic", lambda d: b"GLC" + d[3:], "damaged"),
    ("future version", lambda d: d[:3] + bytes([2]) + d[4:], "version 2"),
]


@pytest.mark.parametrize("damage, needle", [(d, n) for _, d, n in DAMAGE], ids=[name for name, _, _ in DAMAGE])
def test_damaged_files_are_refused(genlab, user_error, pixelcnn_run, glz, tmp_path, damage, needle):
    bad = tmp_path / "bad.glz"
    bad.write_bytes(damage(glz))
    with pytest.raises(UserError, match="bad.glz") as err:
        compression.decompress(pixelcnn_run, bad, tmp_path / "api-out")
    assert needle.lower() in str(err.value).lower()
    assert not (tmp_path / "api-out").exists()
    user_error(genlab("decompress", pixelcnn_run, "bad.glz", "-o", "out"), "bad.glz", needle)
    assert not (tmp_path / "out").exists()


def test_future_version_is_named_before_the_checksum(glz):
    """The version byte is checked before the CRC, so a newer file is reported as newer, not as damaged."""
    with pytest.raises(UserError, match="version 7") as err:
        container.unpack(glz[:3] + bytes([7]) + glz[4:], "new.glz")
    assert "reads version 1" in str(err.value) and "damaged" not in str(err.value)


def test_file_from_another_model_is_refused(genlab, user_error, other_pixelcnn_run, glz, tmp_path):
    (tmp_path / "x.glz").write_bytes(glz)
    with pytest.raises(UserError, match="another model"):
        compression.decompress(other_pixelcnn_run, tmp_path / "x.glz", tmp_path / "out.npy")
    user_error(genlab("decompress", other_pixelcnn_run, "x.glz", "-o", "out.npy"), "x.glz", "another model")
    assert not (tmp_path / "out.npy").exists()


def test_lossless_file_with_a_codec_run_is_refused(genlab, user_error, codec_run, glz, tmp_path):
    (tmp_path / "x.glz").write_bytes(glz)
    user_error(genlab("decompress", codec_run, "x.glz", "-o", "out.npy"), "x.glz", "another model")
    assert not (tmp_path / "out.npy").exists()
    # Even a file that carries the codec's fingerprint is not decoded losslessly with it.
    box = container.unpack(glz, "x.glz")
    forged = tmp_path / "forged.glz"
    forged.write_bytes(container.pack(dataclasses.replace(box, fingerprint=container.fingerprint(codec_run))))
    with pytest.raises(UserError, match="cannot code losslessly"):
        compression.decompress(codec_run, forged, tmp_path / "out.npy")
    assert not (tmp_path / "out.npy").exists()


def test_lossy_file_with_a_pixelcnn_fingerprint_is_refused(pixelcnn_run, glz, tmp_path):
    box = container.unpack(glz, "x")
    forged = tmp_path / "forged.glc"
    forged.write_bytes(container.pack(dataclasses.replace(box, kind="lossy", count=1, shape=(3, 64, 64))))
    with pytest.raises(UserError, match="forged.glc"):
        compression.decompress(pixelcnn_run, forged, tmp_path / "out.png")


def test_data_checksum_is_checked_after_decoding(genlab, user_error, pixelcnn_run, glz, tmp_path):
    """A well-formed file whose images decode to other pixels than were encoded writes nothing."""
    box = container.unpack(glz, "x")
    (tmp_path / "x.glz").write_bytes(container.pack(dataclasses.replace(box, data_crc=box.data_crc ^ 1)))
    with pytest.raises(UserError, match="data checksum mismatch"):
        compression.decompress(pixelcnn_run, tmp_path / "x.glz", tmp_path / "out.npy")
    user_error(genlab("decompress", pixelcnn_run, "x.glz", "-o", "out"), "x.glz", "different data")
    assert not (tmp_path / "out.npy").exists() and not (tmp_path / "out").exists()


def test_decompress_needs_an_existing_file_and_run(pixelcnn_run, glz, tmp_path):
    with pytest.raises(UserError, match="No file at .*missing.glz"):
        compression.decompress(pixelcnn_run, tmp_path / "missing.glz", tmp_path / "out.npy")
    (tmp_path / "x.glz").write_bytes(glz)
    with pytest.raises(UserError, match="no-run"):
        compression.decompress(tmp_path / "no-run", tmp_path / "x.glz", tmp_path / "out.npy")
    assert not (tmp_path / "out.npy").exists()


def test_an_output_suffix_the_coder_cannot_write_is_refused_before_any_work(pixelcnn_run, glz, tmp_path):
    (tmp_path / "x.glz").write_bytes(glz)  # three images
    with pytest.raises(UserError, match=r"three.png: the decoded images .* is written as .npy, not .png"):
        compression.decompress(pixelcnn_run, tmp_path / "x.glz", tmp_path / "three.png")  # once a folder named .png
    with pytest.raises(UserError, match=r"x.txt: a lossless file is written as .glz"):
        compression.compress(pixelcnn_run, tmp_path / "missing.npy", tmp_path / "x.txt")  # refused before reading
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.glz"]


# ---------------------------------------------------------------- input checks


def _png(path: Path, pixels: np.ndarray) -> Path:
    Image.fromarray(pixels).save(path)
    return path


# (name, make(folder) -> the input path, words the message must hold beside the path)
BAD_INPUTS = [
    ("wrong shape npy", lambda f: _npy(f / "small.npy", np.zeros((2, 1, 7, 7), np.uint8)), "1x7x7"),
    ("wrong shape png", lambda f: _png(f / "big.png", np.zeros((10, 10), np.uint8)), "1x10x10"),
    ("value above the levels", lambda f: _npy(f / "bright.npy", np.full((2, 1, 8, 8), 17, np.uint8)), "0..16"),
    ("negative value", lambda f: _npy(f / "negative.npy", np.full((1, 8, 8), -1, np.int16)), "0..16"),
    ("float array", lambda f: _npy(f / "float.npy", np.zeros((2, 1, 8, 8), np.float32)), "integer"),
    ("missing path", lambda f: f / "nothing.png", "No file or folder"),
    ("text file", lambda f: _text(f / "notes.txt"), "Cannot read image"),
    ("not really a png", lambda f: _text(f / "fake.png"), "Cannot read image"),
    ("not really an npy", lambda f: _text(f / "fake.npy"), "not a NumPy .npy"),
    ("folder without images", lambda f: _text(f / "empty" / "readme.txt").parent, "holds no images"),
]


def _npy(path: Path, x: np.ndarray) -> Path:
    np.save(path, x)
    return path


def _text(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("not an image\n")
    return path


@pytest.mark.parametrize("make, needle", [(m, n) for _, m, n in BAD_INPUTS], ids=[name for name, _, _ in BAD_INPUTS])
def test_bad_inputs_are_refused_naming_the_file(pixelcnn_run, tmp_path, make, needle):
    source = make(tmp_path)
    with pytest.raises(UserError) as err:
        compression.compress(pixelcnn_run, source, tmp_path / "out.glz")
    message = str(err.value)
    assert str(source) in message and needle.lower() in message.lower(), message
    assert not (tmp_path / "out.glz").exists()


@pytest.mark.parametrize("make, needle", [(BAD_INPUTS[2][1], "0..16"), (BAD_INPUTS[6][1], "Cannot read image")],
                         ids=["value above the levels", "text file"])
def test_cli_bad_inputs(genlab, user_error, pixelcnn_run, tmp_path, make, needle):
    source = make(tmp_path)
    user_error(genlab("compress", pixelcnn_run, source.name, "-o", "out.glz"), source.name, needle)
    assert not (tmp_path / "out.glz").exists()


def test_cli_refuses_a_file_that_is_not_an_npy(genlab, user_error, pixelcnn_run, tmp_path):
    _text(tmp_path / "fake.npy")
    user_error(genlab("compress", pixelcnn_run, "fake.npy", "-o", "out.glz"), "fake.npy")
    assert not (tmp_path / "out.glz").exists()


@pytest.fixture(scope="module")
def unsuitable_runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("unsuitable")
    return {
        "conditional": train(root / "conditional", TINY_PIXELCNN | {"conditional": True}, steps=2),
        "vae": train(root / "vae", {"name": "vae", "channels": 8, "latent_dim": 4}, steps=2),
    }


@pytest.mark.parametrize("kind, needle", [("conditional", "conditional pixelcnn"), ("vae", "holds a vae")])
def test_lossless_needs_an_unconditional_autoregressive_run(unsuitable_runs, test_digits, tmp_path, kind, needle):
    np.save(tmp_path / "x.npy", test_digits[:2])
    run = unsuitable_runs[kind]
    with pytest.raises(UserError, match=needle) as err:
        compression.compress(run, tmp_path / "x.npy", tmp_path / "x.glz")
    assert str(run) in str(err.value)
    assert not (tmp_path / "x.glz").exists()


def test_rate_is_refused_with_a_pixelcnn_run(genlab, user_error, pixelcnn_run, test_digits, tmp_path):
    np.save(tmp_path / "x.npy", test_digits[:2])
    with pytest.raises(UserError, match="--rate") as err:
        compression.compress(pixelcnn_run, tmp_path / "x.npy", tmp_path / "x.glz", rate=0.5)
    assert str(pixelcnn_run) in str(err.value)
    user_error(genlab("compress", pixelcnn_run, "x.npy", "-o", "x.glz", "--rate", "0.5"), "--rate")
    assert not (tmp_path / "x.glz").exists()


def test_a_folder_of_pixelcnn_runs_is_refused(pixelcnn_run, other_pixelcnn_run, test_digits, tmp_path):
    import shutil

    shutil.copytree(pixelcnn_run, tmp_path / "runs" / "a")
    shutil.copytree(other_pixelcnn_run, tmp_path / "runs" / "b")
    np.save(tmp_path / "x.npy", test_digits[:2])
    with pytest.raises(UserError, match="one pixelcnn run"):
        compression.compress(tmp_path / "runs", tmp_path / "x.npy", tmp_path / "x.glz")
    with pytest.raises(UserError, match="neither a run folder"):
        compression.compress(tmp_path / "x.npy", tmp_path / "x.npy", tmp_path / "x.glz")
    assert not (tmp_path / "x.glz").exists()


# ---------------------------------------------------------------- folders of images


@pytest.fixture
def digit_pngs(tmp_path, test_digits) -> Path:
    """Four 8x8 grey PNGs of levels 0..16, named out of order, one of them .bmp."""
    folder = tmp_path / "pngs"
    folder.mkdir()
    for name, image in zip(["b.png", "a.png", "c-3.png", "d.bmp"], test_digits[:4]):
        Image.fromarray(image[0]).save(folder / name)
    return folder


def _read_folder(folder: Path) -> dict[str, np.ndarray]:
    return {p.name: np.asarray(Image.open(p)) for p in sorted(folder.iterdir())}


def test_folder_round_trip_keeps_names_and_pixels(genlab, digit_pngs, pixelcnn_run, tmp_path):
    made = genlab("compress", pixelcnn_run, "pngs", "-o", "pngs.glz")
    assert made.returncode == 0, str(made)
    assert container.unpack((tmp_path / "pngs.glz").read_bytes(), "f").names == ("a.png", "b.png", "c-3.png", "d.bmp")
    back = genlab("decompress", pixelcnn_run, "pngs.glz", "-o", "back")
    assert back.returncode == 0, str(back)
    original, decoded = _read_folder(digit_pngs), _read_folder(tmp_path / "back")
    assert sorted(decoded) == ["a.png", "b.png", "c-3.png", "d.png"]
    for name, pixels in original.items():
        got = decoded[Path(name).with_suffix(".png").name]
        assert got.dtype == np.uint8 and got.shape == (8, 8)
        np.testing.assert_array_equal(got, pixels)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left behind


def test_decompress_refuses_a_non_empty_folder_and_leaves_it(genlab, user_error, fingerprint, digit_pngs,
                                                            pixelcnn_run, tmp_path):
    compression.compress(pixelcnn_run, digit_pngs, tmp_path / "pngs.glz")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.png").write_bytes(b"mine")
    before = fingerprint(taken)
    user_error(genlab("decompress", pixelcnn_run, "pngs.glz", "-o", "taken"), "taken", "already exists")
    with pytest.raises(UserError, match="already exists"):
        compression.decompress(pixelcnn_run, tmp_path / "pngs.glz", taken)
    assert fingerprint(taken) == before and sorted(p.name for p in taken.iterdir()) == ["keep.png"]


def test_decompress_into_an_empty_folder_or_one_png(digit_pngs, pixelcnn_run, test_digits, tmp_path):
    compression.compress(pixelcnn_run, digit_pngs, tmp_path / "pngs.glz")
    (tmp_path / "empty").mkdir()
    compression.decompress(pixelcnn_run, tmp_path / "pngs.glz", tmp_path / "empty")
    assert sorted(p.name for p in (tmp_path / "empty").iterdir()) == ["a.png", "b.png", "c-3.png", "d.png"]
    # One image file in, one image file out (no stored name needed).
    compression.compress(pixelcnn_run, digit_pngs / "a.png", tmp_path / "one.glz")
    compression.decompress(pixelcnn_run, tmp_path / "one.glz", tmp_path / "one.png")
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "one.png")), test_digits[1, 0])


def test_rgb_png_is_coded_as_grey_for_a_grey_model(pixelcnn_run, tmp_path):
    pixels = np.random.default_rng(0).integers(0, DIGIT_LEVELS, size=(8, 8), dtype=np.uint8)
    _png(tmp_path / "rgb.png", np.repeat(pixels[..., None], 3, axis=2))
    compression.compress(pixelcnn_run, tmp_path / "rgb.png", tmp_path / "rgb.glz")
    compression.decompress(pixelcnn_run, tmp_path / "rgb.glz", tmp_path / "back.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "back.npy"), pixels[None, None])


def test_images_with_the_same_stem_are_not_lost(pixelcnn_run, tmp_path):
    folder = tmp_path / "same"
    folder.mkdir()
    _png(folder / "x.png", np.full((8, 8), 3, np.uint8))
    _png(folder / "x.bmp", np.full((8, 8), 9, np.uint8))
    try:
        compression.compress(pixelcnn_run, folder, tmp_path / "same.glz")
    except UserError:
        return  # refusing the folder up front is fine too
    compression.decompress(pixelcnn_run, tmp_path / "same.glz", tmp_path / "back")
    decoded = sorted(np.asarray(Image.open(p)).max() for p in (tmp_path / "back").iterdir())
    assert decoded == [3, 9]


def test_what_reading_an_image_dropped_is_noted_by_compress(genlab, pixelcnn_run, test_digits, tmp_path):
    """16 bits and transparency were dropped in silence: a "lossless" file of something else than the image."""
    folder = tmp_path / "awkward"
    folder.mkdir()
    digit = test_digits[0, 0]
    Image.fromarray(digit.astype(np.uint16) * 257).save(folder / "deep.png")
    Image.fromarray(np.stack([digit, np.full_like(digit, 200)], axis=-1), "LA").save(folder / "see-through.png")
    done = genlab("compress", pixelcnn_run, folder, "-o", "both.glz")
    assert done.returncode == 0, str(done)
    assert "16-bit pixels were rounded to 8 bits: deep.png" in done.stdout, str(done)
    assert "transparency was dropped (training images are grey or RGB): see-through.png" in done.stdout, str(done)
