"""Benchmarks that produce the README's tables: our figures with the anchors printed beside them."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from genlab import api
from genlab.config import load_config
from genlab.files import atomic_write
from genlab.viz.grids import save_grid
from genlab.viz.report import anchor_rows, evaluation_table

# Per-dataset VAE sizes that train well on a laptop CPU.
VAE_SETTINGS = {
    "digits": {"channels": 32, "latent_dim": 16},
    "mnist": {"channels": 16, "latent_dim": 32},
    "mnist-binary": {"channels": 16, "latent_dim": 32},
}

# Settings per family for a ten-CPU-minute budget on 28x28 data, from short tuning runs on a 2-core
# machine (gan, flow, diffusion); pixelcnn runs at its defaults until it is tuned.
FAMILY_SETTINGS: dict[str, dict] = {
    "vae": {"model": VAE_SETTINGS["mnist"], "training": {}},
    "gan": {"model": {}, "training": {"batch_size": 32, "ema": 0.99}},
    "pixelcnn": {"model": {}, "training": {}},
    "flow": {"model": {}, "training": {"batch_size": 32, "lr": 5e-3}},
    "diffusion": {"model": {}, "training": {"ema": 0.995}},
}


def _train(data: str, family: str, settings: dict, minutes: float, run_dir: Path, seed: int):
    if run_dir.exists():
        shutil.rmtree(run_dir)
    training = {"minutes": minutes, "eval_every": 1000} | settings.get("training", {})
    config = load_config(None, {"data": {"source": data}, "model": {"name": family, **settings.get("model", {})},
                                "training": training, "": {"seed": seed}})
    started = time.perf_counter()
    trained = api.train(config, run_dir, quiet=True)
    return trained, time.perf_counter() - started


def likelihood(data: str, minutes: float, out: Path, *, seed: int = 0, iwae_k: int = 100) -> Path:
    """Train the VAE on `data` for `minutes`, then report test bits/dim against PNG, WebP-lossless and xz files
    of the same test images. Writes <out>/likelihood-<data>.md and returns its path."""
    out = Path(out)
    run_dir = out / "runs" / f"vae-{data}"
    trained, wall = _train(data, "vae", {"model": VAE_SETTINGS.get(data, {})}, minutes, run_dir, seed)
    run = api.load_run(run_dir)
    result = api.evaluate(run, iwae_k=iwae_k)
    save_grid(api.sample(run, 64, seed=seed), run.spec.levels, out / f"likelihood-{data}-samples.png", nrow=8)
    text = "\n".join([
        f"# VAE likelihood on {data}", "",
        f"`genlab bench likelihood --data {data} --minutes {minutes:g}`: {trained.step} steps in {wall:.0f} s wall, "
        f"{run.info['model']['parameters']:,} parameters, seed {seed}; test split of {result['examples']} images.", "",
        *evaluation_table(result), "",
        f"![samples](likelihood-{data}-samples.png)", "",
    ])
    path = out / f"likelihood-{data}.md"
    atomic_write(path, text.encode())
    return path


def families(data: str, minutes: float, out: Path, *, names: list[str], seed: int = 0, iwae_k: int = 100) -> Path:
    """Train each family for the same wall-clock budget on `data`; one table of test bits/dim (bound named),
    parameters, steps and sampling time per image, with the file-format anchors, and a grid per family."""
    out = Path(out)
    rows, grids, result = [], [], None
    for family in names:
        trained, wall = _train(data, family, FAMILY_SETTINGS.get(family, {}), minutes, out / "runs" / f"{family}-{data}", seed)
        run = api.load_run(out / "runs" / f"{family}-{data}")
        result = api.evaluate(run, iwae_k=iwae_k)
        started = time.perf_counter()
        samples, row = api.sample_grid(run, 64, seed=seed)
        per_image = (time.perf_counter() - started) / len(samples)
        grid = f"families-{data}-{family}.png"
        save_grid(samples, run.spec.levels, out / grid, nrow=row)
        grids.append((family, grid))
        bpd = "n/a (no likelihood)" if result["bits_per_dim"] is None else f"{result['bits_per_dim']:.3f} ({result['bound']})"
        rows.append(f"| {family} | {bpd} | {run.info['model']['parameters']:,} | {trained.step} | {per_image * 1000:.1f} ms |")
    rows += [f"| {label} | {bpd:.3f} | | | |" for label, bpd, _ in anchor_rows(result)]
    text = "\n".join([
        f"# Model families on {data}, {minutes:g} minutes each", "",
        f"`genlab bench families --data {data} --minutes {minutes:g}`, seed {seed}; test split of "
        f"{result['examples']} images. Bounds are upper bounds on the true bits/dim (lower is better).", "",
        "| family | test bits/dim (bound) | parameters | steps | sampling time / image |", "|---|---:|---:|---:|---:|",
        *rows, "", *[f"**{family}**\n\n![{family}]({grid})\n" for family, grid in grids],
    ])
    path = out / f"families-{data}.md"
    atomic_write(path, text.encode())
    return path
