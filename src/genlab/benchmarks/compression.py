"""`genlab bench compression`: our files against the classical ones, sizes always from real files.

- Lossless: a pixelcnn codes each dataset's test split into one .glz (every image coded on its own, no shared
  context; one header for the file) and a few images into one file each; beside the model's -log2 p and the
  same images as PNG, WebP-lossless and JPEG 2000-lossless files, one per image.
- Lossy: codec runs trained on `photos` at several lambdas against JPEG, JPEG 2000, WebP and AVIF on the six
  evaluation photos: rate-distortion curves, PSNR / MS-SSIM at 0.2 bits/dim, and one picture per photo.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from genlab.apps import compression
from genlab.apps.compression.classical import SWEEPS, encode
from genlab.benchmarks.checks import at_least_zero, positive
from genlab.benchmarks.budget import Budget
from genlab.benchmarks.machine import command, describe
from genlab.benchmarks.runs import train_or_reuse, training_minutes
from genlab.benchmarks.settings import FAMILY_SETTINGS, family_config
from genlab.config import load_config
from genlab.data.photos import EVALUATION_PHOTOS, evaluation_photo
from genlab.files import atomic_write
from genlab.metrics.baselines import file_bits_per_dim
from genlab.metrics.image_quality import ms_ssim, psnr
from genlab.tables import Table

# The pixelcnn each lossless row uses when OUT/runs has none: MNIST as in `bench families` (the same run folder);
# on the 1,257 training digits that network overfits within 1,000 steps (validation 2.01 bits/dim at step
# 1,000, 4.95 at 3,000), so digits gets a shallower one for 800 steps (validation 1.769; 32 channels and
# 4 layers gave 1.820, 16 and 4 gave 1.874).
LOSSLESS_SETTINGS = {
    "mnist": FAMILY_SETTINGS["pixelcnn"],
    "digits": {"model": {"channels": 48, "layers": 3}, "training": {"batch_size": 32, "steps": 800, "eval_every": 100}},
}
TARGET_BPD = 0.2
CODEC_LAMBDAS = (0.005, 0.013, 0.025, 0.05)
# bf16 transforms, for CPUs with bf16 units (the rates stay fp32, see Codec.rate_distortion).
CODEC_TRAINING = {"batch_size": 8, "lr": 1e-3, "eval_every": 1000, "precision": "bf16"}
SINGLE_FILES = 10  # images stored one per file, to show the header's cost on small images
LOSSLESS_COLUMNS = ("test split", "model -log2 p", "our file", "overhead", "our file, one per image", "PNG",
                    "WebP-lossless", "JPEG 2000-lossless", "encode / decode images/s")
OURS = "genlab codec"


# --- lossless -----------------------------------------------------------------------------------------
def _lossless_row(data: str, out: Path, budget: Budget, seed: int) -> tuple[str, ...]:
    run_dir = out / "runs" / f"pixelcnn-{data}"
    settings = LOSSLESS_SETTINGS.get(data, FAMILY_SETTINGS["pixelcnn"])
    run = train_or_reuse(run_dir, family_config(data, "pixelcnn", settings, budget=budget, seed=seed), same_settings=True)
    test = run.dataset().test.x  # (N, C, H, W)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        np.save(work / "test.npy", test)
        coded = compression.compress(run_dir, work / "test.npy", work / "test.glz")
        decoded = compression.decompress(run_dir, work / "test.glz", work / "decoded.npy")
        if not np.array_equal(np.load(work / "decoded.npy"), test):
            raise RuntimeError(f"lossless round trip on {data} was not exact")  # a genlab bug, never a user error
        single_bytes = 0
        for i in range(SINGLE_FILES):
            np.save(work / "one.npy", test[i : i + 1])
            single_bytes += compression.compress(run_dir, work / "one.npy", work / "one.glz").file_bytes
    dims = test[0].size
    anchors = [f"{file_bits_per_dim(test, run.spec.levels, fmt):.3f}"
               for fmt in ("png", "webp_lossless", "jpeg2000_lossless")]
    model_bpd = coded.model_bits / coded.dims
    return (f"{data} ({len(test)} test images; {run.step} steps, {training_minutes(run):.1f} min)", f"{model_bpd:.4f}",
            f"**{coded.bits_per_dim:.4f}**",
            f"{100 * (coded.bits_per_dim / model_bpd - 1):.2f} %", f"{8 * single_bytes / SINGLE_FILES / dims:.3f}",
            *anchors, f"{len(test) / coded.seconds:.1f} / {len(test) / decoded.seconds:.1f}")


def lossless_section(out: Path, datasets: list[str], budget: Budget, seed: int) -> list[str]:
    rows = [_lossless_row(data, out, budget, seed) for data in datasets]
    return [
        "## Lossless", "",
        "A pixelcnn (a finished run of the same budget in the output folder's runs/ is reused; else MNIST trains with "
        "the `genlab bench families` settings and step budget, the same run folder, digits a shallower one for 800 "
        "steps; the minutes each took beside its steps) codes each test split into one .glz file: every image is "
        "coded on its own (no context shared between images), the file has one header. Bits/dim from the file's "
        f"size; overhead against the model's -log2 p. \"One file per image\": the first {SINGLE_FILES} images stored "
        f"one per .glz, header included. Speeds in images per second with {torch.get_num_threads()} torch thread(s) on "
        "this machine.", "",
        *Table(LOSSLESS_COLUMNS, rows).markdown(), "",
    ]


# --- lossy --------------------------------------------------------------------------------------------
def _codec_runs(out: Path, steps: int, seed: int) -> tuple[list[Path], str]:
    """One codec run per lambda (trained when missing, finished when interrupted) and how they were trained.
    A finished run is reused as it is, whatever `steps` says."""
    run_dirs, trained = [], set()
    for lam in CODEC_LAMBDAS:
        run_dir = out / "runs" / "codec-photos" / f"lambda-{lam}"
        config = load_config(None, {"data": {"source": "photos"}, "model": {"name": "codec", "rd_lambda": lam},
                                    "training": {"steps": steps, **CODEC_TRAINING}, "": {"seed": seed}})
        run = train_or_reuse(run_dir, config)
        training = run.config.training
        trained.add(f"{run.step} steps at batch {training.batch_size} ({training.precision} transforms)")
        run_dirs.append(run_dir)
    return run_dirs, "; ".join(sorted(trained))


def _ours(run_dirs: list[Path], image: np.ndarray, work: Path, refine: int) -> list[tuple[float, np.ndarray, str]]:
    """(bits/dim of the real .glc file, decoded image, run name) for every codec run."""
    from PIL import Image

    source = work / "photo.png"
    Image.fromarray(image.transpose(1, 2, 0)).save(source)
    points = []
    for run_dir in run_dirs:
        coded = compression.compress(run_dir, source, work / "photo.glc", refine=refine)
        compression.decompress(run_dir, work / "photo.glc", work / "decoded.png")
        with Image.open(work / "decoded.png") as decoded:
            points.append((coded.bits_per_dim, np.asarray(decoded.convert("RGB")).transpose(2, 0, 1), run_dir.name))
    return points


def _at_target(points: list[tuple[float, float]]) -> float | None:
    """A curve's value at TARGET_BPD by linear interpolation between the settings around it; None outside."""
    points = sorted(points)
    for (r0, v0), (r1, v1) in zip(points, points[1:]):
        if r0 <= TARGET_BPD <= r1:
            return v0 if r1 == r0 else v0 + (v1 - v0) * (TARGET_BPD - r0) / (r1 - r0)
    return None


def lossy_section(out: Path, steps: int, refine: int, seed: int) -> list[str]:
    from genlab.reports.compression import save_rd_curves, save_side_by_side

    run_dirs, trained = _codec_runs(out, steps, seed)
    curves: dict[str, dict[str, list]] = {}  # photo -> codec -> [(bpd, psnr, ms_ssim)]
    pictures = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in EVALUATION_PHOTOS:
            image = evaluation_photo(name)
            coded = {codec: [(8 * len(data) / image.size, decoded, f"{setting:g}") for setting in settings
                             for data, decoded in [encode(image, codec, setting)]]
                     for codec, settings in SWEEPS.items()}
            coded[OURS] = _ours(run_dirs, image, Path(tmp), refine)
            curves[name] = {codec: [(bpd, psnr(image, dec), ms_ssim(image, dec)) for bpd, dec, _ in points]
                            for codec, points in coded.items()}
            # The picture: each codec's largest file within the target (or its smallest when none is).
            shown = []
            for codec, points in [(OURS, coded[OURS]), *((c, coded[c]) for c in SWEEPS)]:
                within = [p for p in points if p[0] <= TARGET_BPD]
                bpd, decoded, _ = max(within, key=lambda p: p[0]) if within else min(points, key=lambda p: p[0])
                shown.append((codec, bpd, decoded, psnr(image, decoded)))
            path = out / f"compression-{name}.png"
            save_side_by_side(image, shown, path, title=name)
            pictures.append((name, path.name))
    save_rd_curves(curves, out / "compression-rd.png", TARGET_BPD)

    rows = []
    for codec in [OURS, *SWEEPS]:
        at = [(_at_target([(b, p) for b, p, _ in curves[n][codec]]), _at_target([(b, s) for b, _, s in curves[n][codec]]))
              for n in EVALUATION_PHOTOS]
        cells = [f"{p:.2f} / {s:.4f}" if p is not None else "n/a" for p, s in at]
        known = [p for p, _ in at if p is not None]
        mean = f"**{np.mean(known):.2f}**" if len(known) == len(at) else f"n/a ({len(known)} of {len(at)} photos)"
        rows.append((codec, mean, *cells))
    lambdas = ", ".join(f"{lam:g}" for lam in CODEC_LAMBDAS)
    return [
        "## Lossy: six photos never seen in training", "",
        f"Our codec: the mean-scale hyperprior (`--model codec`), one run per lambda ({lambdas}), trained "
        f"{trained} on the `photos` crops; "
        + (f"each photo's latents refined for {refine} steps before coding (`genlab compress --refine {refine}`). "
           if refine else "latents straight from the analysis transform (no --refine). ")
        + "Files are real .glc files (header included). Classical codecs through Pillow, each swept over its "
        "quality setting. PSNR (dB) and MS-SSIM at "
        f"{TARGET_BPD} bits/dim ({3 * TARGET_BPD:.1f} bits/pixel), interpolated between the two settings around it; "
        "n/a: the codec's settings do not reach both sides of it on that photo.", "",
        *Table(("codec", "mean PSNR", *EVALUATION_PHOTOS), rows).markdown(), "",
        "![rate-distortion curves](compression-rd.png)", "",
        *[f"**{name}**\n\n![{name}]({picture})\n" for name, picture in pictures],
    ]


def compression_bench(out: Path, *, datasets: list[str], codec_steps: int, refine: int, budget: Budget = Budget(),
                      lossless: bool = True, lossy: bool = True, seed: int = 0) -> list[Path]:
    """Write compression-lossless.md and/or compression-lossy.md (each part on its own, so one can be rerun).
    `budget`: the lossless pixelcnns' (their own step budgets unless it names others)."""
    positive("--codec-steps", codec_steps, "16000")
    at_least_zero("--refine", refine, "200")
    out = Path(out)
    line = command(f"genlab bench compression --data {','.join(datasets)}{budget.option()} --codec-steps "
                   f"{codec_steps} --refine {refine}")
    parts = [("lossless", lambda: lossless_section(out, datasets, budget, seed)) if lossless else None,
             ("lossy", lambda: lossy_section(out, codec_steps, refine, seed)) if lossy else None]
    paths = []
    for name, section in filter(None, parts):
        path = out / f"compression-{name}.md"
        atomic_write(path, "\n".join([f"# Compression, {name}", "", *(budget.warning() if name == "lossless" else []),
                                       f"`{line}`, seed {seed}, on {describe()}.", "", *section()]).encode())
        paths.append(path)
    return paths
