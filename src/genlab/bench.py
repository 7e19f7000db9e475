"""Benchmarks that produce the README's tables: our figures with the anchors printed beside them."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from genlab import api
from genlab.config import load_config
from genlab.training.checkpoint import atomic_write
from genlab.viz.grids import save_grid
from genlab.viz.report import BASELINE_LABELS

# Per-dataset VAE sizes that train well on a laptop CPU.
VAE_SETTINGS = {
    "digits": {"channels": 32, "latent_dim": 16},
    "mnist": {"channels": 16, "latent_dim": 32},
    "mnist-binary": {"channels": 16, "latent_dim": 32},
}


def likelihood(data: str, minutes: float, out: Path, *, seed: int = 0, iwae_k: int = 100) -> Path:
    """Train the VAE on `data` for `minutes` of CPU time, then report test bits/dim against PNG, WebP-lossless
    and xz files of the same test images. Writes <out>/likelihood-<data>.md and returns its path."""
    out = Path(out)
    run_dir = out / "runs" / f"vae-{data}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    options = {"name": "vae", **VAE_SETTINGS.get(data, {})}
    config = load_config(None, {"data": {"source": data}, "model": options,
                                "training": {"minutes": minutes, "eval_every": 1000}, "": {"seed": seed}})
    started = time.perf_counter()
    trained = api.train(config, run_dir, quiet=True)
    wall = time.perf_counter() - started
    run = api.load_run(run_dir)
    result = api.evaluate(run, iwae_k=iwae_k)
    save_grid(api.sample(run, 64, seed=seed), run.spec.levels, out / f"likelihood-{data}-samples.png", nrow=8)
    rows = [f"| vae ({bound}) | {est['bits_per_dim']:.3f} | {est['nats_per_example']:.1f} |"
            for bound, est in result["estimates"].items()]
    rows += [f"| {BASELINE_LABELS[name]} | {bpd:.3f} | {bpd * result['dims'] * 0.693147:.1f} |"
             for name, bpd in result["baselines"].items()]
    text = "\n".join([
        f"# VAE likelihood on {data}", "",
        f"`genlab bench likelihood --data {data} --minutes {minutes:g}`: {trained.step} steps in {wall:.0f} s wall, "
        f"{run.info['model']['parameters']:,} parameters, seed {seed}; test split of {result['examples']} images.", "",
        "| model / anchor | test bits/dim | nats/image |", "|---|---:|---:|", *rows, "",
        f"![samples](likelihood-{data}-samples.png)", "",
    ])
    path = out / f"likelihood-{data}.md"
    atomic_write(path, text.encode())
    return path
