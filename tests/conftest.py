"""Shared fixtures: tiny configs, a CLI runner, one trained digits run, and helpers to compare run folders.

Everything is sized for two shared CPU cores: a VAE with 8 channels and a 4-d latent, a few steps,
batches of 16-32 on the built-in 8x8 digits or a tiny generated .npy file.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

TINY_MODEL = {"name": "vae", "channels": 8, "latent_dim": 4}
TINY_TRAINING = {"steps": 20, "batch_size": 32, "eval_every": 10, "warmup_steps": 5}
# Small options per family, so a step takes milliseconds; families not listed use their defaults.
TINY_OPTIONS = {
    "vae": {"channels": 8, "latent_dim": 4},
    "tcvae": {"channels": 8, "latent_dim": 4},
    "factorvae": {"channels": 8, "latent_dim": 4, "disc_width": 8, "disc_layers": 2},
    "gan": {"channels": 8, "latent_dim": 8},
    "pixelcnn": {"channels": 8, "layers": 2},
    "flow": {"channels": 8, "scales": 1, "steps_per_scale": 2},
    "diffusion": {"channels": 8, "timesteps": 20},
    "classifier": {"channels": 8},
    "ssvae": {"channels": 8, "latent_dim": 4},
    "codec": {"channels": 8, "latent_channels": 8},
    "m1m2": {"latent_dim": 4, "hidden": 16},
    "srresnet": {"channels": 8, "blocks": 1, "crop": 8, "scale": 2},
    "srgan": {"channels": 8, "blocks": 1, "crop": 8, "scale": 2, "d_channels": 4},
    "charrnn": {"embedding": 8, "hidden": 16},
    "predictor": {"embedding": 8, "encoder_hidden": 8, "head_hidden": 8},
    "smiles-vae": {"embedding": 8, "encoder_hidden": 8, "latent_dim": 4, "decoder_hidden": 16},
    "slots": {"channels": 8, "slot_dim": 8, "mlp_hidden": 8, "kernel": 3, "encoder_layers": 1, "decoder_layers": 1},
    "video-predict": {"context": 3, "spatial": 4, "temporal": 8, "groups": 2, "blocks": 1},
    "video": {"context": 3, "channels": 4, "frame_dim": 8, "latent_dim": 2, "hidden": 8, "predictor_layers": 1},
    "vocoder": {"dim": 8, "hidden": 16, "layers": 1, "d_channels": 2, "segment": 1024},
    "tts": {"hidden": 8, "filter": 8, "encoder_layers": 1, "decoder_layers": 1, "aligner_dim": 8, "bin_start": 0},
}
# The same model on the command line (the tiny model; --quiet for plain log lines).
TINY_FLAGS = ["--set", "model.channels=8", "--set", "model.latent_dim=4", "--quiet"]


@pytest.fixture(autouse=True)
def _seed_everything():
    """Every test starts from the same global RNG state (torch only if a test already imported it)."""
    random.seed(0)
    np.random.seed(0)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(0)
    yield


def _merge(base: dict, extra: dict) -> dict:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in extra.items():
        if isinstance(value, dict):
            out.setdefault(key, {}).update(value)
        else:
            out[key] = value
    return out


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Feature classifiers are cached in a folder of this session, never in the user's ~/.cache. The pytest-xdist
    workers share it (the folder above each worker's own), so a classifier one worker trained is not trained again
    by the other: a cached classifier is written whole or not at all, also when two processes race."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = tmp_path_factory.getbasetemp().parent / "genlab-cache"
        shared.mkdir(exist_ok=True)
        os.environ["GENLAB_CACHE"] = str(shared)
    else:
        os.environ["GENLAB_CACHE"] = str(tmp_path_factory.mktemp("genlab-cache"))
    yield


@pytest.fixture(scope="session")
def tiny_config() -> Callable[..., Any]:
    """tiny_config(training={...}, data={...}, model={...}) -> a validated RunConfig for a tiny digits VAE."""
    from genlab.config import load_config

    def make(**sections: dict) -> Any:
        raw = _merge({"data": {"source": "digits"}, "model": TINY_MODEL, "training": TINY_TRAINING}, sections)
        return load_config(None, raw)

    return make


def read_weights(run_dir: Path, name: str = "model.safetensors") -> dict:
    from safetensors.torch import load_file

    return load_file(str(Path(run_dir) / name))


@pytest.fixture(scope="session")
def weights() -> Callable[..., dict]:
    """weights(run_dir, name="model.safetensors") -> {tensor name: tensor}."""
    return read_weights


def assert_same_tensors(a: dict, b: dict, atol: float = 0.0) -> None:
    """Same names, shapes and values (exactly when atol == 0)."""
    import torch

    assert sorted(a) == sorted(b)
    for key in a:
        assert a[key].shape == b[key].shape, key
        if atol == 0.0:
            assert torch.equal(a[key], b[key]), f"{key}: max diff {(a[key].double() - b[key].double()).abs().max()}"
        else:
            assert torch.allclose(a[key], b[key], atol=atol, rtol=0), (
                f"{key}: max diff {(a[key].double() - b[key].double()).abs().max()}"
            )


@pytest.fixture(scope="session")
def same_tensors() -> Callable[..., None]:
    return assert_same_tensors


def read_metrics(run_dir: Path) -> list[dict]:
    path = Path(run_dir) / "metrics.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def metrics() -> Callable[[Path], list[dict]]:
    return read_metrics


def folder_fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    """{relative path: (sha256, mtime_ns)} of every file below `folder`: to prove it was left untouched."""
    folder = Path(folder)
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def fingerprint() -> Callable[[Path], dict]:
    return folder_fingerprint


# ---------------------------------------------------------------- the command line


@dataclass
class CliResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"genlab {' '.join(self.args)} -> {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


class _CliServer:
    """The client of tests/cli_server.py: one pre-imported genlab that forks a child per command."""

    def __init__(self) -> None:
        self.reply_fd, write_fd = os.pipe()
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).with_name("cli_server.py")), str(write_fd)],
                                        stdin=subprocess.PIPE, pass_fds=(write_fd,), text=True,
                                        env=dict(os.environ, COLUMNS="200", PYTHONHASHSEED="0"))
        os.close(write_fd)
        self.pending = b""  # reply bytes read but not yet taken as lines

    def _reply(self, timeout: float | None) -> dict | None:
        """The server's next reply line as a dict, or None if none came within `timeout` seconds."""
        while b"\n" not in self.pending:
            ready, _, _ = select.select([self.reply_fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self.reply_fd, 4096)
            if not chunk:
                raise RuntimeError("the genlab test server stopped")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    def run(self, args: list[str], cwd: Path, env: dict, timeout: float) -> tuple[int, str, str]:
        with tempfile.TemporaryDirectory() as streams:
            out, err = Path(streams, "stdout"), Path(streams, "stderr")
            request = {"args": args, "cwd": str(cwd), "env": env, "stdout": str(out), "stderr": str(err)}
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            started = self._reply(60)
            if started is None:
                raise RuntimeError("the genlab test server did not start a command within 60 s")
            done = self._reply(timeout)
            if done is None:  # the command and anything it started, then the server's report of it
                os.killpg(started["pid"], signal.SIGKILL)
                self._reply(None)
                raise subprocess.TimeoutExpired(["genlab", *args], timeout)
            return done["status"], out.read_text(), err.read_text()


_server: _CliServer | None = None


def run_cli(args: list[str], cwd: Path, *, timeout: float = 180, module: list[str] | None = None) -> CliResult:
    """Run `python -m genlab ARGS` (or another module/command list) in `cwd`, capturing both streams.

    Plain genlab commands run as children forked from one pre-imported genlab (tests/cli_server.py), which
    saves each the 3 s of imports and otherwise behaves as a fresh process; GENLAB_TEST_SUBPROCESS=1, or
    another module, runs a real subprocess."""
    global _server
    args = [str(a) for a in args]
    env = dict(os.environ, COLUMNS="200", PYTHONHASHSEED="0")
    if module is None and not os.environ.get("GENLAB_TEST_SUBPROCESS"):
        if _server is None or _server.process.poll() is not None:
            _server = _CliServer()
        code, stdout, stderr = _server.run(args, cwd, env, timeout)
        return CliResult(args, code, stdout, stderr)
    cmd = (module or [sys.executable, "-m", "genlab"]) + args
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return CliResult(args, proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def genlab_at() -> Callable[..., CliResult]:
    """genlab_at(args, cwd) -> CliResult, for session- or module-scoped fixtures."""
    return run_cli


@pytest.fixture
def genlab(tmp_path: Path) -> Callable[..., CliResult]:
    """genlab(*args, cwd=tmp_path) -> CliResult of `python -m genlab *args`."""

    def call(*args: Any, cwd: Path | None = None, timeout: float = 180) -> CliResult:
        return run_cli(list(args), cwd or tmp_path, timeout=timeout)

    return call


def check_user_error(result: CliResult, *needles: str, only_line: bool = True) -> str:
    """Exit code 2, exactly one 'error:' line on stderr (the only line when only_line), no traceback."""
    assert result.returncode == 2, str(result)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, str(result)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, str(result)
    if only_line:
        assert lines == errors, str(result)
    for needle in needles:
        assert needle.lower() in errors[0].lower(), f"{needle!r} not in {errors[0]!r}"
    return errors[0]


@pytest.fixture(scope="session")
def user_error() -> Callable[..., str]:
    return check_user_error


# ---------------------------------------------------------------- shared artefacts


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One tiny VAE trained on digits through the CLI (30 steps), shared read-only by many tests.

    Tests that change a run folder must copy it first (shutil.copytree).
    """
    root = tmp_path_factory.mktemp("digits_run")
    result = run_cli(
        ["train", "--data", "digits", "--model", "vae", "--out", "run", "--steps", 30, "--batch-size", 32,
         "--set", "training.eval_every=15", *TINY_FLAGS],
        root,
    )
    assert result.returncode == 0, str(result)
    return root / "run"


@pytest.fixture
def levels_npy(tmp_path: Path) -> Path:
    """40 random 1x8x8 images with 4 levels (uint8 0..3) as a .npy file."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=(40, 1, 8, 8), dtype=np.uint8)
    x[0, 0, 0, 0] = 3  # make sure the top level occurs
    path = tmp_path / "levels.npy"
    np.save(path, x)
    return path


# ---------------------------------------------------------------- awkward image files


def png16_bytes(pixels: np.ndarray) -> bytes:
    """(H, W, C) uint16, C = 1..4, as a 16-bit PNG written here by hand (Pillow writes no 16-bit colour), so the
    reader is checked against a writer it does not share."""
    import struct
    import zlib

    h, w, c = pixels.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\0" + pixels[i].astype(">u2").tobytes() for i in range(h))
    header = struct.pack(">IIBBBBB", w, h, 16, {1: 0, 2: 4, 3: 2, 4: 6}[c], 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@dataclass
class Awkward:
    """One awkward image file: what the shared reader must give (colour (C, H, W) and alpha, exactly or within
    `tolerance` levels for lossy files) and a word its notes must hold (None: no notes)."""

    path: Path
    colour: np.ndarray
    alpha: np.ndarray | None = None
    tolerance: int = 0
    note: str | None = None


@pytest.fixture
def awkward_images(tmp_path: Path) -> dict[str, Awkward]:
    """Tiny (8x8) image files in the modes a new user brings: palette (with and without transparency, a grey
    palette), CMYK JPEG, LA, 1-bit, 16-bit grey, 16-bit RGB and RGBA PNG (hand-written), RGBA, an animated GIF;
    in tmp_path/awkward, by file name. Bad files (truncated, too large) are made by the tests that need them."""
    from PIL import Image

    folder = tmp_path / "awkward"
    folder.mkdir()
    y, x = np.mgrid[0:8, 0:8]
    rgb = np.stack([y * 32, x * 32, 255 - (x + y) * 16]).astype(np.uint8)  # (3, 8, 8): a smooth colour ramp
    grey = ((x + y) * 17).astype(np.uint8)[None]  # (1, 8, 8)
    alpha = (x * 36).astype(np.uint8)[None]
    rgb16 = rgb.astype(np.uint16) * 257 + np.arange(8, dtype=np.uint16)  # low bytes that 8 bits would lose
    alpha16 = alpha.astype(np.uint16) * 257 + 3
    palette = Image.fromarray(rgb.transpose(1, 2, 0)).quantize(16)
    index = np.asarray(palette)
    on_palette = np.asarray(palette.convert("RGB")).transpose(2, 0, 1)
    frames = [palette, Image.fromarray(255 - rgb.transpose(1, 2, 0)).quantize(16)]
    images: dict[str, Awkward] = {}

    def add(name: str, picture, colour, alpha=None, tolerance=0, note=None, **options) -> None:
        path = folder / name
        if isinstance(picture, bytes):
            path.write_bytes(picture)
        else:
            picture.save(path, **options)
        images[name] = Awkward(path, colour, alpha, tolerance, note)

    add("palette.png", palette, on_palette)
    add("palette-transparent.png", palette, on_palette, np.where(index == index[0, 0], 0, 255)[None],
        transparency=int(index[0, 0]))
    add("grey-palette.gif", Image.fromarray(grey[0]).convert("P"), grey)
    add("cmyk.jpg", Image.fromarray(rgb.transpose(1, 2, 0)).convert("CMYK"), rgb, tolerance=12, note="CMYK",
        quality=95)
    add("la.png", Image.fromarray(np.concatenate([grey, alpha]).transpose(1, 2, 0), "LA"), grey, alpha)
    add("1bit.png", Image.fromarray(grey[0] > 127), np.where(grey > 127, 255, 0).astype(np.uint8))
    grey16 = grey.astype(np.uint16) * 257 + 1
    add("grey16.png", Image.fromarray(grey16[0]), grey16)
    add("rgb16.png", png16_bytes(rgb16.transpose(1, 2, 0)), rgb16)
    add("rgba16.png", png16_bytes(np.concatenate([rgb16, alpha16]).transpose(1, 2, 0)), rgb16, alpha16)
    add("rgba.png", Image.fromarray(np.concatenate([rgb, alpha]).transpose(1, 2, 0)), rgb, alpha)
    add("animated.gif", frames[0], on_palette, note="first of its 2 frames", save_all=True, append_images=frames[1:])
    return images
