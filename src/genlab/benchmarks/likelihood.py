"""`genlab bench likelihood`: the VAE's test bits/dim against the same test images as ordinary files."""

from __future__ import annotations

from pathlib import Path

from genlab.benchmarks.budget import Budget
from genlab.benchmarks.checks import positive
from genlab.benchmarks.machine import command, describe
from genlab.benchmarks.runs import train_or_reuse, training_minutes
from genlab.benchmarks.settings import VAE_SETTINGS, family_config
from genlab.evaluation import evaluate
from genlab.files import atomic_write
from genlab.media.grids import save_grid
from genlab.sampling import sample


LIKELIHOOD_STEPS = 4000  # the step budget: about 2 minutes on digits at 2 threads (30 ms a step)


def likelihood(data: str, out: Path, *, budget: Budget = Budget(), seed: int = 0, iwae_k: int = 100,
               retrain: bool = False) -> Path:
    """Train the VAE on `data` for LIKELIHOOD_STEPS (or `budget`), then report test bits/dim against PNG,
    WebP-lossless and xz files of the same test images. Writes <out>/likelihood-<data>.md and returns its
    path. A finished run of the same budget in <out>/runs is reused, unless `retrain`."""
    positive("--iwae", iwae_k, "100")
    out = Path(out)
    settings = {"model": VAE_SETTINGS.get(data, {}), "training": {"steps": LIKELIHOOD_STEPS}}
    config = family_config(data, "vae", settings, budget=budget, seed=seed)
    run = train_or_reuse(out / "runs" / f"vae-{data}", config, retrain=retrain, same_settings=True)
    evaluation = evaluate(run, iwae_k=iwae_k)
    save_grid(sample(run, 64, seed=seed), run.spec.levels, out / f"likelihood-{data}-samples.png", nrow=8)
    table = evaluation["likelihood"].section(evaluation.header).tables[0]  # the table report.md shows
    text = "\n".join([
        f"# VAE likelihood on {data}", "", *budget.warning(),
        f"`{command(f'genlab bench likelihood --data {data}{budget.option()}')}`: {run.step} steps in "
        f"{training_minutes(run):.1f} minutes of training on {describe()}, "
        f"{run.info.model.parameters:,} parameters, seed {seed}; test split of {evaluation.header.examples} "
        "images.", "",
        *table.markdown(), "",
        f"![samples](likelihood-{data}-samples.png)", "",
    ])
    path = out / f"likelihood-{data}.md"
    atomic_write(path, text.encode())
    return path
