"""Matplotlib figures for reports: training curves."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from genlab.files import atomic_write  # noqa: E402


def save_figure(fig, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    atomic_write(Path(path), buf.getvalue())


def loss_curve(records: list[dict], path: Path, title: str = "") -> None:
    """Training loss against step; validation bits/dim on the same axes when the units agree."""
    train = [r for r in records if r.get("split") == "train"]
    val = [r for r in records if r.get("split") == "val" and "val_bpd" in r]
    key = "bpd" if train and "bpd" in train[0] else "loss"
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([r["step"] for r in train], [r[key] for r in train], lw=1.2, label=f"train ({key})")
    ax.set(xlabel="step", ylabel="bits/dim" if key == "bpd" else "loss", title=title or "training")
    if val:
        other = ax if key == "bpd" else ax.twinx()
        other.plot([r["step"] for r in val], [r["val_bpd"] for r in val], "o-", color="tab:orange",
                   label=f"validation ({val[-1].get('bound', '')})")
        other.set_ylabel("validation bits/dim")
        if other is not ax:
            other.legend(loc="upper center")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    save_figure(fig, path)


def property_histograms(histograms: dict[str, dict[str, list[float]]], path: Path, model: str) -> None:
    """One panel per molecular property: the share of test molecules and of the model's per bin."""
    fig, axes = plt.subplots(1, len(histograms), figsize=(3.2 * len(histograms), 2.8))
    for ax, (name, h) in zip(np.atleast_1d(axes), histograms.items()):
        edges = np.asarray(h["edges"])
        for key, label, colour in (("test", "test molecules", "tab:gray"), ("model", model, "tab:blue")):
            if key in h:
                ax.stairs(h[key], edges, label=label, color=colour, fill=key == "test", alpha=0.5 if key == "test" else 1)
        ax.set(title=name, yticks=[])
    np.atleast_1d(axes)[0].legend(fontsize=8)
    save_figure(fig, path)
