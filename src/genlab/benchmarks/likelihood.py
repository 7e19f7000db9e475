"""`genlab bench likelihood`: the VAE's test bits/dim against the same test images as ordinary files."""

from __future__ import annotations

import time
from pathlib import Path

from genlab.benchmarks.checks import positive
from genlab.benchmarks.runs import train_or_reuse
from genlab.benchmarks.settings import VAE_SETTINGS, family_config
from genlab.evaluation import evaluate
from genlab.files import atomic_write
from genlab.media.grids import save_grid
from genlab.sampling import sample


def likelihood(data: str, minutes: float, out: Path, *, seed: int = 0, iwae_k: int = 100) -> Path:
    """Train the VAE on `data` for `minutes`, then report test bits/dim against PNG, WebP-lossless and xz files
    of the same test images. Writes <out>/likelihood-<data>.md and returns its path. The run is trained anew
    each time: the page reports its wall time."""
    positive("--minutes", minutes, "5")
    positive("--iwae", iwae_k, "100")
    out = Path(out)
    config = family_config(data, "vae", {"model": VAE_SETTINGS.get(data, {})}, minutes=minutes, seed=seed)
    started = time.perf_counter()
    run = train_or_reuse(out / "runs" / f"vae-{data}", config, retrain=True)
    wall = time.perf_counter() - started
    evaluation = evaluate(run, iwae_k=iwae_k)
    save_grid(sample(run, 64, seed=seed), run.spec.levels, out / f"likelihood-{data}-samples.png", nrow=8)
    table = evaluation["likelihood"].section(evaluation.header).tables[0]  # the table report.md shows
    text = "\n".join([
        f"# VAE likelihood on {data}", "",
        f"`genlab bench likelihood --data {data} --minutes {minutes:g}`: {run.step} steps in {wall:.0f} s wall, "
        f"{run.info.model.parameters:,} parameters, seed {seed}; test split of {evaluation.header.examples} "
        "images.", "",
        *table.markdown(), "",
        f"![samples](likelihood-{data}-samples.png)", "",
    ])
    path = out / f"likelihood-{data}.md"
    atomic_write(path, text.encode())
    return path
