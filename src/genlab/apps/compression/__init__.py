"""Files coded by learned models: `genlab compress` / `genlab decompress`.

- Lossless (.glz): an autoregressive run (pixelcnn) codes images of its own shape and levels in about
  -log2 p(x) bits (lossless.py).
- Lossy (.glc): a codec run (or a folder of codec runs trained at several lambdas, from which `rate` picks)
  codes one RGB image of any size (lossy.py).
The format (header, fingerprint, checksums) is container.py; reading and writing images is images.py.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genlab.data.image_io import file_notes
from genlab.errors import UserError
from genlab.files import atomic_write, output_path
from genlab.runs import RunFolder

from genlab.coding import container
from .images import check_levels, read_inputs, write_outputs


@dataclass
class Report:
    """What a compress or decompress call did: sizes in bits/dim from the real file."""

    path: Path
    run: Path
    images: int
    dims: int  # sub-pixels coded, over all images
    file_bytes: int
    seconds: float
    model_bits: float | None = None  # lossless: the model's -log2 p(x) of the same images
    psnr: float | None = None  # lossy: of the decoded image against the original
    notes: list[str] = field(default_factory=list)  # what reading the images lost (alpha, 16 bits, ...)

    @property
    def bits_per_dim(self) -> float:
        return 8 * self.file_bytes / self.dims


def no_progress(total: int) -> Callable[[int], None]:
    """The default progress: given the number of images to code, a callback told how many were just coded."""
    return lambda n: None


def _run_folders(path: Path) -> list[Path]:
    """A run folder, or the run folders inside a folder (a family of codecs trained at several lambdas)."""
    path = Path(path)
    if RunFolder(path).holds_run():
        return [path]
    runs = sorted(p for p in path.iterdir() if RunFolder(p).holds_run()) if path.is_dir() else []
    if not runs:
        raise UserError(f"{path} is neither a run folder nor a folder of runs: pass what `genlab train --out` made.")
    return runs


def _load(path: Path, device: str = "cpu"):
    from genlab.models.loading import load_run

    return load_run(path, device=device)


def _check_lossless(run) -> None:
    model = run.model
    if not model.is_autoregressive or model.is_conditional:
        raise UserError(f"{run.path} holds a {'conditional ' if model.is_conditional else ''}{model.name}, which cannot "
                        "code losslessly: use an unconditional autoregressive run (genlab train --model pixelcnn), "
                        "or a codec run for lossy files.")


def compress(run_path: Path, source: Path, out: Path, *, rate: float | None = None, refine: int = 0,
             progress: Callable[[int], Callable[[int], None]] = no_progress) -> Report:
    """Code the images at `source` with the run at `run_path` into `out` (written whole or not at all).
    refine: lossy only, steps of encoder-side optimisation of the latents (Codec.refine).
    progress(total) is called once the amount of work is known and returns the callback told of each part done."""
    if refine < 0:
        raise UserError(f"--refine {refine} must be 0 (off) or a number of optimisation steps, e.g. 100.")
    runs = _run_folders(run_path)
    first = _load(runs[0])
    if first.model.is_codec:
        out = output_path(out, (".glc",), "a lossy file")
        return _compress_lossy([first] + [_load(p) for p in runs[1:]], source, out, rate, refine, progress)
    if len(runs) > 1:
        raise UserError(f"{run_path} holds several runs, and only codec runs come in families: pass one pixelcnn run "
                        "folder for a lossless file.")
    if rate is not None or refine:
        raise UserError("--rate and --refine are for lossy codec runs; a lossless file costs what the model says the "
                        f"images cost: drop them for {run_path}.")
    _check_lossless(first)
    return _compress_lossless(first, source, output_path(out, (".glz",), "a lossless file"), progress)


def _compress_lossless(run, source: Path, out: Path, progress) -> Report:
    from genlab.coding import lossless

    model, spec = run.model, run.spec
    lost: list = []
    images, names = read_inputs(source, spec.shape[0], lost)
    for image in images:
        if tuple(image.shape) != spec.shape:
            raise UserError(f"{source} has {'x'.join(map(str, image.shape))} images (CxHxW), but {run.path} codes "
                            f"{'x'.join(map(str, spec.shape))}: pass images of the model's shape.")
    x = check_levels(np.stack(images), spec.levels, source)
    started = time.perf_counter()
    words, log_p = lossless.compress(model, x, progress(len(x)))
    seconds = time.perf_counter() - started
    data = container.pack(container.Container("lossless", container.fingerprint(run.path), len(x), spec.shape,
                                              names if source.is_dir() else (), words.tobytes(), zlib.crc32(x.tobytes())))
    atomic_write(out, data)
    return Report(out, run.path, len(x), x.size, len(data), seconds, model_bits=-log_p / np.log(2),
                  notes=file_notes(lost))


def _compress_lossy(runs: list, source: Path, out: Path, rate: float | None, refine: int, progress) -> Report:
    from genlab.metrics.image_quality import psnr

    from genlab.coding import lossy

    lost: list = []
    images, _ = read_inputs(source, 3, lost)  # a lossy file keeps no name: decompress -o names the image
    if len(images) != 1 or images[0].shape[0] not in (1, 3):
        raise UserError(f"{source} holds {len(images)} image(s) of {images[0].shape[0]} channel(s): lossy compression "
                        "codes one image per file, grey or RGB.")
    image = check_levels(np.repeat(images[0], 3 // images[0].shape[0], axis=0), 256, source)  # (3, H, W)
    if rate is not None and rate <= 0:
        raise UserError(f"--rate {rate} must be positive bits/dim, e.g. 0.2.")
    if rate is None and len(runs) > 1:
        raise UserError(f"{len(runs)} codec runs are in that folder: pass --rate to pick one by bits/dim, e.g. 0.2.")
    for run in runs:
        if not run.model.is_codec:
            raise UserError(f"{run.path} holds a {run.model.name}, not a codec: a run family holds codec runs only.")
    advance = progress(len(runs) * (refine + 1))  # per run: each refinement step, then the coding
    candidates = []
    for run in runs:
        started = time.perf_counter()
        words, crc = lossy.compress(run.model, image, refine, on_step=lambda: advance(1))
        advance(1)
        seconds = time.perf_counter() - started
        data = container.pack(container.Container("lossy", container.fingerprint(run.path), 1, tuple(image.shape), (),
                                                  words.tobytes(), crc))
        candidates.append((8 * len(data) / image.size, run, data, words, seconds))
    fitting = [c for c in candidates if rate is None or c[0] <= rate]
    _, run, data, words, seconds = max(fitting, key=lambda c: c[0]) if fitting else min(candidates, key=lambda c: c[0])
    decoded, _ = lossy.decompress(run.model, words, tuple(image.shape))
    atomic_write(out, data)
    return Report(out, run.path, 1, image.size, len(data), seconds, psnr=psnr(image, decoded), notes=file_notes(lost))


def decompress(run_path: Path, path: Path, out: Path,
               progress: Callable[[int], Callable[[int], None]] = no_progress) -> Report:
    """Decode a .glz / .glc file with the run (or the run family) that wrote it into `out`."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"No file at {path}: pass a file `genlab compress` wrote.")
    box = container.unpack(path.read_bytes(), str(path))
    out = Path(out)
    if out.suffix:  # a name without a suffix is a new folder of PNGs
        out = output_path(out, (".npy", ".png") if box.count == 1 else (".npy",),
                          "the decoded images (or a folder, named without a suffix)")
    runs = _run_folders(run_path)
    marks = {container.fingerprint(p): p for p in runs}
    container.check_model(box, marks, str(path), str(run_path))
    run = _load(marks[box.fingerprint])
    words = np.frombuffer(box.payload, np.uint32) if len(box.payload) % 4 == 0 else None
    if words is None:
        raise UserError(f"{path} is damaged (payload of {len(box.payload)} bytes): re-create it from the original.")
    started = time.perf_counter()
    if box.kind == "lossless":
        from genlab.coding import lossless

        _check_lossless(run)
        images = lossless.decompress(run.model, words, box.count, progress(box.count))
        container.check_data(box, zlib.crc32(images.tobytes()), str(path))
    else:
        from genlab.coding import lossy

        if not run.model.is_codec:
            raise UserError(f"{path} is a lossy file, but {run.path} holds a {run.model.name}, not a codec: decompress "
                            "it with the codec run that wrote it.")
        image, crc = lossy.decompress(run.model, words, box.shape)
        container.check_data(box, crc, str(path))
        images = image[None]
    seconds = time.perf_counter() - started
    write_outputs(images, box.names, out)
    return Report(out, run.path, box.count, box.count * int(np.prod(box.shape)), path.stat().st_size, seconds)


@dataclass
class Coded:
    """One image coded one way: the codec, its setting, the file's bytes, bits/dim and PSNR, the decoded image."""

    codec: str
    setting: str
    size: int  # bytes
    bits_per_dim: float
    psnr: float
    decoded: np.ndarray  # (3, H, W) uint8


def against_classical(run, image: np.ndarray) -> list[Coded]:
    """An RGB image (3, H, W) uint8 coded by a codec run (a real .glc file), then by JPEG, JPEG 2000, WebP and AVIF
    each at the setting whose file comes closest to the codec's size: the comparison at the same rate."""
    from genlab.coding import lossy
    from genlab.metrics.image_quality import psnr

    from .classical import SWEEPS, encode

    if not run.model.is_codec:
        raise UserError(f"{run.path} holds a {run.model.name}, not a codec: compare with a codec run.")
    words, crc = lossy.compress(run.model, image, 0)
    data = container.pack(container.Container("lossy", container.fingerprint(run.path), 1, tuple(image.shape), (),
                                              words.tobytes(), crc))
    decoded, _ = lossy.decompress(run.model, words, tuple(image.shape))
    rows = [Coded(run.model.name, "its own rate", len(data), 8 * len(data) / image.size, psnr(image, decoded), decoded)]
    for codec, settings in SWEEPS.items():
        tried = [(setting, *encode(image, codec, setting)) for setting in settings]
        setting, coded, back = min(tried, key=lambda t: abs(len(t[1]) - len(data)))
        rows.append(Coded(codec, f"{setting:g}", len(coded), 8 * len(coded) / image.size, psnr(image, back), back))
    return rows
