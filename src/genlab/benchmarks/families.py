"""`genlab bench families`: every family trained its own step budget on one dataset, in one table with the anchors."""

from __future__ import annotations

import time
from pathlib import Path

from genlab.benchmarks.budget import Budget
from genlab.benchmarks.checks import positive
from genlab.benchmarks.machine import describe
from genlab.benchmarks.runs import train_or_reuse, training_minutes
from genlab.benchmarks.settings import FAMILY_SETTINGS, family_config
from genlab.errors import UserError
from genlab.evaluation import evaluate
from genlab.evaluation.likelihood import ANCHOR_LABELS
from genlab.evaluation.samples import Quality
from genlab.files import atomic_write
from genlab.media.grids import save_grid
from genlab.models.registry import MODELS
from genlab.sampling import sample_grid
from genlab.tables import Table

COLUMNS = ("family", "test bits/dim (bound)", "FD", "precision", "recall", "coverage", "likely copies", "parameters",
           "steps", "training minutes", "sampling time / image")


def _quality_cells(quality: Quality | None) -> tuple[str, ...]:
    if quality is None:
        return ("",) * 4
    return tuple(f"{v:.2f}" for v in (quality.fd, quality.precision, quality.recall, quality.coverage))


def _check_names(names: list[str]) -> None:
    unknown = [name for name in names if name not in MODELS]
    if unknown or not names:
        raise UserError(f"--families {','.join(names)!r} names no known family ({', '.join(unknown)}): use "
                        f"{', '.join(MODELS)}.")


def families(data: str, out: Path, *, names: list[str], budget: Budget = Budget(), seed: int = 0,
             iwae_k: int = 100, retrain: bool = False) -> Path:
    """Train each family on `data` for its step budget (FAMILY_SETTINGS; `budget` may name other steps, or
    minutes for an exploratory page); one table of test bits/dim (bound named), sample quality against the
    real test split's floor, parameters, steps, training minutes and sampling time per image, with the
    file-format anchors, and a grid per family. A finished run of the same budget in <out>/runs is reused and
    an interrupted one resumed, unless `retrain`."""
    _check_names(names)
    positive("--iwae", iwae_k, "100")
    out = Path(out)
    rows, grids, evaluation, floor = [], [], None, []
    for family in names:
        config = family_config(data, family, FAMILY_SETTINGS.get(family, {}), budget=budget, seed=seed)
        run = train_or_reuse(out / "runs" / f"{family}-{data}", config, retrain=retrain, same_budget=True)
        evaluation = evaluate(run, iwae_k=iwae_k if family == "vae" else 1)
        started = time.perf_counter()
        samples, row = sample_grid(run, 64, seed=seed)
        per_image = (time.perf_counter() - started) / len(samples)
        grid = f"families-{data}-{family}.png"
        save_grid(samples, run.spec.levels, out / grid, nrow=row)
        grids.append((family, grid))
        likelihood, found = evaluation["likelihood"], evaluation.get("samples")
        bpd = "n/a (no likelihood)" if likelihood.bits_per_dim is None else \
            f"{likelihood.bits_per_dim:.3f} ({likelihood.bound})"
        quality = found.quality if found else {}
        if quality and not floor:  # the real images' row is the same for every family: write it once
            floor = [("real test images (floor)", "", *_quality_cells(quality["real"]), *[""] * 5)]
        copies = found.novelty.share_below_threshold if found and found.novelty else None
        rows.append((family, bpd, *_quality_cells(quality.get("model")),
                     "" if copies is None else f"{100 * copies:.1f} %", f"{run.info.model.parameters:,}",
                     f"{run.step}", f"{training_minutes(run):.1f}", f"{per_image * 1000:.1f} ms"))
    anchors = [(ANCHOR_LABELS.get(fmt, fmt), f"{bpd:.3f}", *[""] * (len(COLUMNS) - 2))
               for fmt, bpd in evaluation["likelihood"].anchors.items()]
    found = evaluation.get("samples")
    text = "\n".join([
        f"# Model families on {data}", "", *budget.warning(),
        f"`genlab bench families --data {data}{budget.option()}`, seed {seed}, on {describe()}. "
        + ("Each family trained for the same time; the steps it reached are in the table. " if budget.minutes else
           "Each family trained the steps in the table (its step budget), whatever the machine; the minutes it "
           "took beside them. ") + f"Test split of "
        f"{evaluation.header.examples} images. Bits/dim: bounds are upper bounds on the true bits/dim (lower is "
        f"better). FD (Fréchet distance), precision, recall and coverage: {found.samples if found else 0:,} samples "
        "against the training split in the features of genlab's classifier for this dataset; the real test images' "
        "row is the floor. Likely copies: samples closer to a training image than 99 % of test images are.", "",
        *Table(COLUMNS, floor + rows + anchors).markdown(),
        "", *[f"**{family}**\n\n![{family}]({grid})\n" for family, grid in grids],
    ])
    path = out / f"families-{data}.md"
    atomic_write(path, text.encode())
    return path
