"""report.md for a run: what it learned (pictures) and how good it is (the bits/dim table)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genlab import api
from genlab.files import atomic_write
from genlab.training.metrics import read_metrics
from genlab.viz.grids import save_grid
from genlab.viz.plots import loss_curve

SEED = 0
BASELINE_LABELS = {"png": "PNG, one file per image", "webp_lossless": "WebP-lossless, one file per image",
                   "xz_blob": "xz (lzma), all test images in one blob"}


def _reconstructions(model, x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
    """Originals (first row) above their reconstructions (second row)."""
    xt = torch.from_numpy(x).long()
    cond = torch.from_numpy(y).long() if model.is_conditional else None
    recon = model.decode(model.encode(xt, cond), cond).numpy()
    return np.concatenate([x, recon])


def _table(result: dict) -> list[str]:
    lines = ["| model / file format | bits/dim | nats/image |", "|---|---:|---:|"]
    for bound, est in result.get("estimates", {}).items():
        lines.append(f"| {result['model']} ({bound}) | {est['bits_per_dim']:.3f} | {est['nats_per_example']:.1f} |")
    if result.get("bits_per_dim") is None:
        lines.append(f"| {result['model']} | n/a (no likelihood) | |")
    for fmt, bpd in result["baselines"].items():
        lines.append(f"| {BASELINE_LABELS.get(fmt, fmt)} | {bpd:.3f} | {bpd * result['dims'] * np.log(2):.1f} |")
    return lines


def write_report(run, result: dict) -> Path:
    """Write <run>/report.md and its pictures under <run>/report/; returns the report's path."""
    out = Path(run.path)
    pics = out / "report"
    model, levels = run.model, run.spec.levels
    test = run.dataset().split(result["split"])
    sections = [f"# {model.name} on {run.spec.name}", "",
                f"{run.info['model']['parameters']:,} parameters, {run.step} training steps. "
                f"Test split: {result['examples']} images of {'x'.join(map(str, run.spec.shape))} with {levels} levels.", ""]
    if model.can_sample:
        samples, row = api.sample_grid(run, 64, seed=SEED)
        save_grid(samples, levels, pics / "samples.png", nrow=row)
        rows = "one row per class" if model.is_conditional else "seed 0"
        sections += ["## Samples", f"New images drawn from the model ({rows}).", "", "![samples](report/samples.png)", ""]
    if model.has_latent:
        with torch.random.fork_rng(), torch.no_grad():
            torch.manual_seed(SEED)
            save_grid(_reconstructions(model, test.x[:16], None if test.y is None else test.y[:16]), levels,
                      pics / "reconstructions.png", nrow=16)
            save_grid(api.interpolate(run, test.x[:8], test.y, seed=SEED), levels, pics / "interpolation.png", nrow=10)
            sections += ["## Reconstructions", "Test images (top) and the decoder's mean given their codes (bottom).", "",
                         "![reconstructions](report/reconstructions.png)", "",
                         "## Latent interpolation", "Walks in latent space between two test images' codes.", "",
                         "![interpolation](report/interpolation.png)", ""]
    records = read_metrics(out / "metrics.jsonl")
    if records:
        loss_curve(records, pics / "loss.png", title=f"{model.name} on {run.spec.name}")
        sections += ["## Training", "", "![loss curve](report/loss.png)", ""]
    sections += ["## How good: test-split bits/dim", "",
                 "Lower is better. The model's figure is the negative log-likelihood of the discrete images "
                 "(a bound is named as such: ELBO and IWAE-k are upper bounds on the true bits/dim); "
                 "the file rows store each test image on its own.", "", *_table(result), ""]
    path = out / "report.md"
    atomic_write(path, "\n".join(sections).encode())
    return path
