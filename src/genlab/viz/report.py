"""report.md for a run: what it learned (pictures) and how good it is (the bits/dim table)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from genlab import api
from genlab.files import atomic_write
from genlab.training.metrics import read_metrics
from genlab.units import nats_per_example
from genlab.viz.grids import save_grid
from genlab.viz.plots import loss_curve

SEED = 0
BASELINE_LABELS = {"png": "PNG, one file per image", "webp_lossless": "WebP-lossless, one file per image",
                   "jpeg2000_lossless": "JPEG 2000-lossless, one file per image",
                   "xz_blob": "xz (lzma), all test images in one blob"}


def _reconstructions(model, x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
    """Originals (first row) above their reconstructions (second row)."""
    xt = torch.from_numpy(x).long()
    cond = torch.from_numpy(y).long() if model.is_conditional else None
    recon = model.decode(model.encode(xt, cond), cond).numpy()
    return np.concatenate([x, recon])


def anchor_rows(result: dict) -> list[tuple[str, float, float]]:
    """(label, bits/dim, nats/image) of the classical files that store the same images."""
    return [(BASELINE_LABELS.get(fmt, fmt), bpd, nats_per_example(bpd, result["dims"]))
            for fmt, bpd in result["baselines"].items()]


def evaluation_rows(result: dict) -> list[tuple[str, float | None, float | None]]:
    """(label, bits/dim, nats/image) of every estimate in an evaluation.json, then the anchors."""
    rows = [(f"{result['model']} ({bound})", est["bits_per_dim"], est["nats_per_example"])
            for bound, est in result.get("estimates", {}).items()]
    if result.get("bits_per_dim") is None:
        rows.append((f"{result['model']} (no likelihood)", None, None))
    return rows + anchor_rows(result)


def markdown_rows(rows: list[tuple[str, float | None, float | None]]) -> list[str]:
    fmt = lambda v, spec: "n/a" if v is None else format(v, spec)  # noqa: E731
    return [f"| {label} | {fmt(bpd, '.3f')} | {fmt(nats, '.1f')} |" for label, bpd, nats in rows]


def evaluation_table(result: dict) -> list[str]:
    return ["| model / file format | bits/dim | nats/image |", "|---|---:|---:|", *markdown_rows(evaluation_rows(result))]


QUALITY_COLUMNS = ("images", "FD", "KID", "precision", "recall", "density", "coverage", "likely copies")


def quality_rows(result: dict) -> list[tuple[str, ...]]:
    """Rows under QUALITY_COLUMNS: the real held-out images (the floor), then the model's samples."""
    found = result["samples"]
    novelty = found["novelty"]
    copies = f"{100 * novelty['share_below_threshold']:.1f} % ({novelty['exact_copies']} exact)"
    rows = []
    for who, label, new in (("real", f"real {result['split']} (floor)", "-"), ("model", f"{result['model']} samples", copies)):
        q = found["quality"][who]
        rows.append((label, f"{q['fd']:.2f}", f"{q['kid']:.3f} ± {q['kid_std']:.3f}", f"{q['precision']:.3f}",
                     f"{q['recall']:.3f}", f"{q['density']:.3f}", f"{q['coverage']:.3f}", new))
    return rows


def quality_section(result: dict) -> list[str]:
    """report.md's part on sample quality and novelty (empty when no samples were measured)."""
    found = result.get("samples")
    if not found or "quality" not in found:
        return []
    novelty = found["novelty"]
    lines = ["## How good and how new: samples", "",
             f"{found['samples']} samples and {found['samples']} real {result['split']} images, each set measured "
             f"against the {found['reference']}. Features: {found['features']} (its {result['split']} accuracy "
             f"{100 * found['feature_classifier_accuracy']:.1f} %). Lower FD and KID are better; precision says how "
             "many samples look real, recall how much of the real data the samples cover. The real images' row is "
             "the floor: a model cannot be expected to beat it.", "",
             "| " + " | ".join(QUALITY_COLUMNS) + " |", "|---" + "|---:" * (len(QUALITY_COLUMNS) - 1) + "|",
             *["| " + " | ".join(row) + " |" for row in quality_rows(result)], ""]
    if "label_accuracy" in found:
        lines += [f"Samples drawn for a given class are classified as that class {100 * found['label_accuracy']:.1f} % "
                  "of the time.", ""]
    lines += ["### Novelty", "",
              f"Each sample's distance to its nearest training image (pixels scaled to [0, 1]): median "
              f"{novelty['median_sample_distance']:.3f}, against {novelty['median_test_distance']:.3f} for real "
              f"{result['split']} images. {100 * novelty['share_below_threshold']:.1f} % of samples lie closer to a "
              f"training image than 99 % of real {result['split']} images do (threshold {novelty['threshold']:.3f}); "
              f"{novelty['exact_copies']} are exact copies. The most copy-like samples beside their nearest training "
              "images:", "", "![nearest training images](novelty.png)", ""]
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
                 "the file rows store each test image on its own.", "", *evaluation_table(result), ""]
    for key, label in (("accuracy", "Test accuracy"), ("bayes_accuracy", "Test accuracy by Bayes' rule")):
        if key in result:
            sections += [f"{label}: {100 * result[key]:.2f} %.", ""]
    sections += quality_section(result)
    path = out / "report.md"
    atomic_write(path, "\n".join(sections).encode())
    return path
