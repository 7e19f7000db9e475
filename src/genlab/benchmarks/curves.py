"""Learning curves of a benchmark's runs: a validation figure at every evaluation against steps and against
training minutes (a recipe with a cheaper step may win per minute and lose per step), read off a run's
metrics.jsonl and drawn side by side with the floor dashed. The probes of recipes plot them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from genlab.benchmarks.runs import training_minutes


def validation_curve(run, key: str) -> list[tuple[int, float, float]]:
    """(step, training minutes by then, the validation figure `key`) at every evaluation of the run; the
    minutes read off the training log (a line every log_every steps) and the last checkpoint, between them
    in proportion."""
    records = [json.loads(line) for line in run.folder.metrics.read_text().splitlines() if line.strip()]
    timed = sorted({r["step"]: r["elapsed"] for r in records if r.get("split") == "train" and "elapsed" in r}.items())
    timed.append((run.step, 60 * training_minutes(run)))
    steps, seconds = zip(*timed)
    return [(r["step"], float(np.interp(r["step"], steps, seconds)) / 60, r[key])
            for r in records if r.get("split") == "val" and key in r]


def plot_curves(curves: dict[str, list], floor: float, path: Path, *, title: str, figure: str, scale: float = 100.0,
                floor_label: str = "floor (test)") -> None:
    """Each curve's (step, minutes, value) points, times `scale`, against steps and against minutes, one line per
    label, the floor (its value unscaled) dashed; `figure` names the y axis."""
    from genlab.reports.plots import plt, save_figure

    rows = (len(curves) + 2) // 2  # legend rows under the plots
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6 + 0.22 * rows), sharey=True)
    for label, curve in curves.items():
        steps, minutes, values = zip(*curve) if curve else ((), (), ())
        axes[0].plot(steps, [scale * v for v in values], "o-", ms=3, label=label)
        axes[1].plot(minutes, [scale * v for v in values], "o-", ms=3, label=label)
    for ax, xlabel in zip(axes, ("training step", "CPU-minutes (one thread)")):
        ax.axhline(scale * floor, ls="--", color="grey", label=floor_label)
        ax.set(xlabel=xlabel)
        ax.grid(alpha=0.3)
    axes[0].set(ylabel=figure)
    fig.suptitle(title)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0.22 * rows / (3.6 + 0.22 * rows) + 0.02, 1, 1))
    save_figure(fig, path)
