"""`genlab bench families`: every family trained its own step budget on one dataset, in one table with the anchors."""

from __future__ import annotations

import time
from pathlib import Path

from genlab.benchmarks.budget import Budget
from genlab.benchmarks.checks import positive
from genlab.benchmarks.machine import command, describe
from genlab.benchmarks.runs import kept, train_or_reuse, training_minutes
from genlab.benchmarks.settings import FAMILY_SETTINGS, family_config
from genlab.errors import UserError
from genlab.evaluation import evaluate
from genlab.evaluation.features import FEATURE_CLASSIFIER_VERSION
from genlab.evaluation.likelihood import ANCHOR_LABELS
from genlab.evaluation.samples import Quality
from genlab.files import atomic_write
from genlab.media.grids import save_grid
from genlab.models.registry import MODELS
from genlab.sampling import sample_grid
from genlab.tables import Table

COLUMNS = ("family", "test bits/dim (bound)", "FD", "precision", "recall", "coverage", "likely copies", "parameters",
           "steps", "training minutes", "sampling time / image")


def _quality_cells(quality: Quality | None) -> list[str]:
    if quality is None:
        return [""] * 4
    return [f"{v:.2f}" for v in (quality.fd, quality.precision, quality.recall, quality.coverage)]


def _measure(family: str, data: str, config, out: Path, *, iwae_k: int, seed: int, retrain: bool) -> dict:
    """Train (or reuse) one family's run, evaluate it and draw its grid: the cells of its row, the real
    images' floor and the file-format anchors, as JSON."""
    run = train_or_reuse(out / "runs" / f"{family}-{data}", config, retrain=retrain, same_settings=True)
    evaluation = evaluate(run, iwae_k=iwae_k if family == "vae" else 1)
    started = time.perf_counter()
    samples, row = sample_grid(run, 64, seed=seed)
    per_image = (time.perf_counter() - started) / len(samples)
    save_grid(samples, run.spec.levels, out / _grid(family, data), nrow=row)
    likelihood, found = evaluation["likelihood"], evaluation.get("samples")
    bpd = "n/a (no likelihood)" if likelihood.bits_per_dim is None else \
        f"{likelihood.bits_per_dim:.3f} ({likelihood.bound})"
    quality = found.quality if found else {}
    copies = found.novelty.share_below_threshold if found and found.novelty else None
    return {"row": [family, bpd, *_quality_cells(quality.get("model")),
                    "" if copies is None else f"{100 * copies:.1f} %", f"{run.info.model.parameters:,}",
                    f"{run.step}", f"{training_minutes(run):.1f}", f"{per_image * 1000:.1f} ms"],
            "floor": _quality_cells(quality["real"]) if quality else None,
            "anchors": {ANCHOR_LABELS.get(fmt, fmt): f"{v:.3f}" for fmt, v in likelihood.anchors.items()},
            "examples": evaluation.header.examples, "samples": found.samples if found else 0, "machine": describe()}


def _grid(family: str, data: str) -> str:
    return f"families-{data}-{family}.png"


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
    measured = {}
    for family in names:
        config = family_config(data, family, FAMILY_SETTINGS.get(family, {}), budget=budget, seed=seed)
        record = out / "families" / f"{family}-{data}.json"  # kept beside the page: another machine reuses it
        if retrain or not (out / _grid(family, data)).exists():
            record.unlink(missing_ok=True)
        key = {"config": config.model_dump(mode="json"), "iwae": iwae_k, "features": FEATURE_CLASSIFIER_VERSION}
        measured[family] = kept(record, key, lambda: _measure(family, data, config, out, iwae_k=iwae_k, seed=seed,
                                                              retrain=retrain))
    first = next(iter(measured.values()))
    real = next((m["floor"] for m in measured.values() if m["floor"]), None)
    floor = [["real test images (floor)", "", *real, *[""] * 5]] if real else []
    machines = sorted({m["machine"] for m in measured.values()})
    anchors = [[label, bpd, *[""] * (len(COLUMNS) - 2)] for label, bpd in first["anchors"].items()]
    text = "\n".join([
        f"# Model families on {data}", "", *budget.warning(),
        f"`{command(f'genlab bench families --data {data}{budget.option()}')}`, seed {seed}; trained and timed on "
        f"{' and '.join(machines)}. "
        + ("Each family trained for the same time; the steps it reached are in the table. " if budget.minutes else
           "Each family trained the steps in the table whatever the machine (" + (
               "the steps asked for" if budget.steps else "its step budget: the steps it reached in the ten "
               "minutes of the old time budget on the fastest machine measured") + "); the minutes it took beside "
           "them. ") + f"Test split of "
        f"{first['examples']} images. Bits/dim: bounds are upper bounds on the true bits/dim (lower is "
        f"better). FD (Fréchet distance), precision, recall and coverage: {first['samples']:,} samples "
        "against the training split in the features of genlab's classifier for this dataset; the real test images' "
        "row is the floor. Likely copies: samples closer to a training image than 99 % of test images are.", "",
        *Table(COLUMNS, floor + [m["row"] for m in measured.values()] + anchors).markdown(),
        "", *[f"**{family}**\n\n![{family}]({_grid(family, data)})\n" for family in measured],
    ])
    path = out / f"families-{data}.md"
    atomic_write(path, text.encode())
    return path
