"""Pictures of lossy compression: every codec's output side by side, and rate-distortion curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.reports.plots import plt, save_figure


def save_side_by_side(original: np.ndarray, shown: list[tuple[str, float, np.ndarray, float]], path: Path,
                      title: str, zoom: int = 128) -> None:
    """The original and each (codec, bits/dim, decoded (3, H, W), PSNR) side by side, labelled with size and PSNR;
    below each, its central zoom x zoom pixels enlarged, where the codecs' artefacts show."""
    panels = [("original", None, original, None), *shown]
    h, w = original.shape[1:]
    top, left = max(0, (h - zoom) // 2), max(0, (w - zoom) // 2)
    fig, axes = plt.subplots(2, len(panels), figsize=(3.2 * len(panels), 3.2 * h / w + 4.2),
                             gridspec_kw={"height_ratios": [h / w, 1]}, layout="constrained")
    for column, (codec, bpd, image, quality) in enumerate(panels):
        full, crop = axes[0, column], axes[1, column]
        full.imshow(image.transpose(1, 2, 0))
        full.add_patch(plt.Rectangle((left, top), zoom, zoom, fill=False, color="yellow", lw=1))
        crop.imshow(image[:, top : top + zoom, left : left + zoom].transpose(1, 2, 0), interpolation="nearest")
        label = f"{title}: original" if bpd is None else \
            f"{codec}\n{bpd:.3f} bits/dim ({bpd * image.size / 8 / 1024:.1f} KiB)\nPSNR {quality:.2f} dB"
        full.set_title(label, fontsize=9)
        for ax in (full, crop):
            ax.axis("off")
    save_figure(fig, path)


def save_rd_curves(curves: dict[str, dict[str, list[tuple[float, float, float]]]], path: Path, target: float) -> None:
    """PSNR against bits/dim per photo: one panel per photo, one line per codec, the target rate marked."""
    photos = list(curves)
    columns = 3
    rows = -(-len(photos) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.6 * rows))
    for ax, photo in zip(np.ravel(axes), photos):
        for codec, points in curves[photo].items():
            points = sorted(points)
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", ms=3, lw=2 if "genlab" in codec else 1.2,
                    label=codec)
        ax.axvline(target, color="grey", ls=":", lw=1)
        ax.set(title=photo, xlabel="bits/dim (real files)", ylabel="PSNR (dB)", xlim=(0, 4 * target))
        ax.grid(alpha=0.3)
    np.ravel(axes)[0].legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
