"""comparison.md for several runs of one dataset: one table of every metric, a bits/dim chart, the sample
grids side by side. Runs without a current evaluation.json are evaluated first."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.errors import UserError
from genlab.evaluation import Evaluation, evaluate, read_evaluation
from genlab.evaluation.likelihood import ANCHOR_LABELS
from genlab.files import atomic_write
from genlab.media.grids import grid_image
from genlab.models.loading import load_run
from genlab.reports.plots import plt, save_figure
from genlab.sampling import sample_grid
from genlab.tables import Table

COLUMNS = ("run", "bits/dim (bound)", "accuracy", "FD", "KID", "precision", "recall", "density", "coverage",
           "likely copies")


def _quality_cells(quality) -> list[str]:
    if quality is None:
        return ["-"] * 6
    return [f"{quality.fd:.2f}", f"{quality.kid:.3f}", f"{quality.precision:.3f}",
            f"{quality.recall:.3f}", f"{quality.density:.3f}", f"{quality.coverage:.3f}"]


def _bits(evaluation: Evaluation) -> float | None:
    found = evaluation.get("likelihood")
    return None if found is None else found.bits_per_dim


def _row(name: str, evaluation: Evaluation) -> tuple[str, ...]:
    likelihood = evaluation.get("likelihood")
    bpd = "n/a" if _bits(evaluation) is None else f"{likelihood.bits_per_dim:.3f} ({likelihood.bound})"
    accuracy = next((f"{100 * found.accuracy:.1f} %" for key in ("classification", "bayes")
                     if (found := evaluation.get(key)) is not None), "-")
    samples = evaluation.get("samples")
    measured = samples is not None and samples.novelty is not None
    copies = "-" if not measured else f"{100 * samples.novelty.share_below_threshold:.1f} % ({samples.novelty.exact_copies} exact)"
    return (name, bpd, accuracy, *_quality_cells(samples.quality["model"] if measured else None), copies)


def _floor_row(evaluations: list[Evaluation]) -> tuple[str, ...] | None:
    measured = next((s for e in evaluations if (s := e.get("samples")) is not None and s.novelty is not None), None)
    if measured is None:
        return None
    return (f"real {evaluations[0].header.split} (floor)", "-", "-", *_quality_cells(measured.quality["real"]), "-")


def _anchors(evaluation: Evaluation) -> dict[str, float]:
    found = evaluation.get("likelihood")
    return {} if found is None else found.anchors


def bits_chart(names: list[str], evaluations: list[Evaluation], path: Path) -> None:
    """Bars of test bits/dim per run, the classical file formats as dashed lines."""
    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(names) + 2), 3.5))
    values = [_bits(e) for e in evaluations]
    bars = ax.bar(names, [v or 0.0 for v in values], color="tab:blue")
    for bar, value in zip(bars, values):
        label = "n/a" if value is None else f"{value:.3f}"
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
    for (fmt, bpd), style in zip(_anchors(evaluations[0]).items(), ("--", ":", "-.")):
        ax.axhline(bpd, ls=style, color="grey", lw=1, label=f"{ANCHOR_LABELS.get(fmt, fmt)}: {bpd:.2f}")
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


def write_comparison(names: list[str], evaluations: list[Evaluation], grids: list[np.ndarray | None], levels: int,
                     out: Path) -> Path:
    """Write <out>/comparison.md with bits.png and samples.png beside it; returns the markdown's path."""
    out = Path(out)
    header = evaluations[0].header
    rows = [r for r in [_floor_row(evaluations)] if r] + [_row(name, e) for name, e in zip(names, evaluations)]
    lines = ["# Comparison", "",
             f"{len(names)} runs, measured on the same {header.split} split ({header.examples} examples). "
             "Bits/dim: lower is better, bounds named. Sample metrics in the feature classifier's space, against the "
             "training split; the first row is real held-out data, the floor.", "",
             *Table(COLUMNS, rows).markdown(), ""]
    anchors = [f"{ANCHOR_LABELS.get(fmt, fmt)}: {bpd:.3f} bits/dim" for fmt, bpd in _anchors(evaluations[0]).items()]
    if anchors:
        lines += ["Anchors on the same images: " + "; ".join(anchors) + ".", ""]
    if any(_bits(e) is not None for e in evaluations):
        bits_chart(names, evaluations, out / "bits.png")
        lines += ["![bits/dim](bits.png)", ""]
    sampled = [(name, grid) for name, grid in zip(names, grids) if grid is not None]
    if sampled:
        grids_figure([n for n, _ in sampled], [g for _, g in sampled], levels, out / "samples.png")
        lines += ["![samples](samples.png)", ""]
    path = out / "comparison.md"
    atomic_write(path, "\n".join(lines).encode())
    return path


def compare(paths: list[Path], out: Path, *, seed: int = 0, device: str = "cpu") -> Path:
    """comparison.md in `out` over runs of one dataset: each run's evaluation.json (evaluated now if it is
    missing or older than the run's weights), a bits/dim chart and the runs' sample grids side by side."""
    if not paths:
        raise UserError("genlab compare needs at least one run folder.")
    runs = [load_run(p, device=device) for p in paths]
    first = runs[0]
    for other in runs[1:]:
        if other.spec.to_dict() != first.spec.to_dict() or other.config.data.split_seed != first.config.data.split_seed:
            raise UserError(f"{other.path} models {other.spec.name} (split seed {other.config.data.split_seed}), "
                            f"{first.path} models {first.spec.name} (split seed {first.config.data.split_seed}): "
                            "compare runs of the same dataset and split.")
    evaluations = [read_evaluation(run) or evaluate(run, seed=seed) for run in runs]
    names = [run.path.name for run in runs]
    if len(set(names)) < len(names):
        names = [str(run.path) for run in runs]
    grids = [sample_grid(run, 64, seed=seed)[0] if run.model.can_sample else None for run in runs]
    return write_comparison(names, evaluations, grids, first.spec.levels, out)
