"""comparison.md for several runs of one dataset: one table of every metric, a bits/dim chart, the sample
grids side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.files import atomic_write
from genlab.viz.grids import grid_image
from genlab.viz.plots import plt, save_figure
from genlab.viz.report import BASELINE_LABELS

COLUMNS = ("run", "bits/dim (bound)", "accuracy", "FD", "KID", "precision", "recall", "density", "coverage",
           "likely copies")


def _quality_cells(quality: dict | None) -> list[str]:
    if quality is None:
        return ["-"] * 6
    return [f"{quality['fd']:.2f}", f"{quality['kid']:.3f}", f"{quality['precision']:.3f}",
            f"{quality['recall']:.3f}", f"{quality['density']:.3f}", f"{quality['coverage']:.3f}"]


def _row(name: str, result: dict) -> list[str]:
    bpd = "n/a" if result.get("bits_per_dim") is None else f"{result['bits_per_dim']:.3f} ({result['bound']})"
    accuracy = next((f"{100 * result[k]:.1f} %" for k in ("accuracy", "bayes_accuracy") if k in result), "-")
    found = result.get("samples") or {}
    quality = found.get("quality", {}).get("model")
    novelty = found.get("novelty")
    copies = "-" if novelty is None else f"{100 * novelty['share_below_threshold']:.1f} % ({novelty['exact_copies']} exact)"
    return [name, bpd, accuracy, *_quality_cells(quality), copies]


def _floor_row(results: list[dict]) -> list[str] | None:
    measured = next((r["samples"] for r in results if "quality" in (r.get("samples") or {})), None)
    if measured is None:
        return None
    return [f"real {results[0]['split']} (floor)", "-", "-", *_quality_cells(measured["quality"]["real"]), "-"]


def bits_chart(names: list[str], results: list[dict], path: Path) -> None:
    """Bars of test bits/dim per run, the classical file formats as dashed lines."""
    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(names) + 2), 3.5))
    values = [r.get("bits_per_dim") or 0.0 for r in results]
    bars = ax.bar(names, values, color="tab:blue")
    for bar, result in zip(bars, results):
        label = "n/a" if result.get("bits_per_dim") is None else f"{result['bits_per_dim']:.3f}"
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    for (fmt, bpd), style in zip(results[0]["baselines"].items(), ("--", ":", "-.")):
        ax.axhline(bpd, ls=style, color="grey", lw=1, label=f"{BASELINE_LABELS.get(fmt, fmt)}: {bpd:.2f}")
    ax.set(ylabel="test bits/dim (lower is better)", title="likelihood")
    ax.legend(fontsize=7, loc="upper right")
    ax.tick_params(axis="x", labelrotation=20)
    save_figure(fig, path)


def grids_figure(names: list[str], grids: list[np.ndarray], levels: int, path: Path) -> None:
    """Each run's samples (N, C, H, W) as a grid, side by side under the run's name."""
    fig, axes = plt.subplots(1, len(grids), figsize=(3.2 * len(grids), 3.6))
    for ax, name, x in zip(np.atleast_1d(axes), names, grids):
        picture = np.asarray(grid_image(x, levels, min_cell=1))
        ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(name, fontsize=9)
        ax.axis("off")
    save_figure(fig, path)


def write_comparison(names: list[str], results: list[dict], grids: list[np.ndarray | None], levels: int,
                     out: Path) -> Path:
    """Write <out>/comparison.md with bits.png and samples.png beside it; returns the markdown's path."""
    out = Path(out)
    rows = [r for r in [_floor_row(results)] if r] + [_row(name, result) for name, result in zip(names, results)]
    lines = ["# Comparison", "",
             f"{len(names)} runs, measured on the same {results[0]['split']} split ({results[0]['examples']} images). "
             "Bits/dim: lower is better, bounds named. Sample metrics in the feature classifier's space, against the "
             "training split; the first row is real held-out data, the floor.", "",
             "| " + " | ".join(COLUMNS) + " |", "|---" + "|---:" * (len(COLUMNS) - 1) + "|",
             *["| " + " | ".join(row) + " |" for row in rows], ""]
    anchors = [f"{BASELINE_LABELS.get(fmt, fmt)}: {bpd:.3f} bits/dim" for fmt, bpd in results[0]["baselines"].items()]
    lines += ["Anchors on the same images: " + "; ".join(anchors) + ".", ""]
    if any(r.get("bits_per_dim") is not None for r in results):
        bits_chart(names, results, out / "bits.png")
        lines += ["![bits/dim](bits.png)", ""]
    sampled = [(name, grid) for name, grid in zip(names, grids) if grid is not None]
    if sampled:
        grids_figure([n for n, _ in sampled], [g for _, g in sampled], levels, out / "samples.png")
        lines += ["![samples](samples.png)", ""]
    path = out / "comparison.md"
    atomic_write(path, "\n".join(lines).encode())
    return path
