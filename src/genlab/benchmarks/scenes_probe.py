"""`genlab bench scenes --probe`: short runs of candidate Slot Attention recipes on one dataset, one torch thread
each, so a recipe is chosen by evidence before the long budget is spent: validation FG-ARI against steps and
against CPU-minutes (a recipe with a cheaper step may win per minute and lose per step), and each run's test
FG-ARI and mBO beside the k-means floor.

Each recipe's curve and scores are kept beside the page (OUT/scenes/probe-DATASET-SIDE-RECIPE-STEPS-SEED.json,
keyed by the run's config), so the page is remade from the records on a machine without the run folders;
interrupted runs resume (benchmarks/runs.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from genlab.benchmarks.checks import positive
from genlab.benchmarks.machine import describe
from genlab.benchmarks.runs import kept, train_or_reuse, training_minutes
from genlab.benchmarks.scene_settings import ARCHITECTURE, BATCH, DATASETS, LR, WARMUP, scores, side
from genlab.config import load_config
from genlab.errors import UserError
from genlab.evaluation.objects import METRICS
from genlab.files import atomic_write
from genlab.tables import Table

# recipe -> (what it is, model options beyond the benchmark's architecture). Candidates from the issue: the
# paper's masks; masks from attention (the benchmark's choice for multi-dsprites), alone or fading into the
# paper's over the first steps (slots must then draw their own object's shape, so two pieces of one colour need
# two slots); BO-QSA (Jia et al. 2023): learnt starting slots and implicit differentiation with the start's
# gradient straight through, with either masks; slot-centric frames (Invariant Slot Attention, Biza et al.
# 2023), alone or with BO-QSA.
RECIPES: dict[str, tuple[str, dict]] = {
    "paper": ("the paper's masks", {}),
    "attention": ("masks from attention", {"masks": "attention"}),
    "attention-fade": ("masks from attention, faded out over 2,000 steps", {"masks": "attention",
                                                                           "attention_fade": 2000}),
    "bo-qsa": ("BO-QSA: learnt starting slots, implicit gradient", {"init": "learnt", "implicit": True}),
    "bo-qsa-attention": ("BO-QSA with masks from attention", {"init": "learnt", "implicit": True,
                                                              "masks": "attention"}),
    # Invariant Slot Attention (Biza et al. 2023): slot-centric frames for the attention and the decoder
    "isa": ("slot-centric frames (ISA)", {"frames": "slot"}),
    "isa-bo-qsa": ("slot-centric frames with BO-QSA", {"frames": "slot", "init": "learnt", "implicit": True}),
}
EVAL_EVERY = 250  # steps between points of a curve


def _config(dataset: str, size: int, recipe: str, steps: int, seed: int):
    data = {"source": dataset} | ({} if dataset == "tetrominoes" else {"size": [size, size]})
    model = {"name": "slots", "slots": DATASETS[dataset]["slots"]} | ARCHITECTURE | RECIPES[recipe][1]
    return load_config(None, {"data": data, "model": model,
                              "training": {"steps": steps, "batch_size": BATCH, "lr": LR, "warmup_steps": WARMUP,
                                           "eval_every": EVAL_EVERY}, "": {"seed": seed}})


def _curve(run) -> list[tuple[int, float, float]]:
    """(step, training minutes by then, validation FG-ARI) at every evaluation of the run; the minutes read off
    the training log (a line every log_every steps) and the last checkpoint, between them in proportion."""
    records = [json.loads(line) for line in run.folder.metrics.read_text().splitlines() if line.strip()]
    timed = sorted({r["step"]: r["elapsed"] for r in records if r.get("split") == "train" and "elapsed" in r}.items())
    timed.append((run.step, 60 * training_minutes(run)))
    steps, seconds = zip(*timed)
    return [(r["step"], float(np.interp(r["step"], steps, seconds)) / 60, r["val_fg_ari"])
            for r in records if r.get("split") == "val" and "val_fg_ari" in r]


def _measured(out: Path, dataset: str, size: int, recipe: str, steps: int, seed: int) -> dict:
    """The recipe's curve, test scores and minutes: from its record when kept from the same config, else
    trained (or resumed, or reused from OUT/runs), scored and kept."""
    config = _config(dataset, size, recipe, steps, seed)
    name = f"probe-{dataset}-{side(dataset, size)}-{recipe}-{steps}-{seed}"  # budgets side by side

    def measure() -> dict:
        run = train_or_reuse(out / "runs" / name, config, same_settings=True)
        return {"curve": _curve(run), "scores": scores(run).model_dump(mode="json"),
                "minutes": training_minutes(run), "machine": describe()}

    return kept(out / "scenes" / f"{name}.json", config.model_dump(mode="json"), measure)


def _plot(curves: dict[str, list], floor: float, path: Path, title: str) -> None:
    """Validation FG-ARI against steps and against minutes, one line per recipe, the k-means floor dashed."""
    from genlab.reports.plots import plt, save_figure

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for label, curve in curves.items():
        steps, minutes, fg_ari = zip(*curve) if curve else ((), (), ())
        axes[0].plot(steps, [100 * v for v in fg_ari], "o-", ms=3, label=label)
        axes[1].plot(minutes, [100 * v for v in fg_ari], "o-", ms=3, label=label)
    for ax, xlabel in zip(axes, ("training step", "CPU-minutes (one thread)")):
        ax.axhline(100 * floor, ls="--", color="grey", label="k-means floor (test)")
        ax.set(xlabel=xlabel)
        ax.grid(alpha=0.3)
    axes[0].set(ylabel="validation FG-ARI %", title=title)
    axes[1].legend(fontsize=8, loc="lower right")
    save_figure(fig, path)


def probe(out: Path, *, dataset: str, size: int, steps: int, recipes: str = ",".join(RECIPES), seed: int = 0
          ) -> Path:
    """Train (or reuse) the `recipes` of RECIPES (comma-separated) on `dataset` for `steps` steps at one seed
    and write scenes-probe-DATASET-STEPS.md with the curves and the test scores beside the floor."""
    positive("--steps", steps, "3000")
    if dataset not in DATASETS:
        raise UserError(f"--datasets {dataset!r} for --probe: choose one of {', '.join(DATASETS)}.")
    chosen = [name.strip() for name in recipes.split(",") if name.strip()]
    if not chosen or any(name not in RECIPES for name in chosen):
        raise UserError(f"--recipes {recipes!r}: choose from {', '.join(RECIPES)}, separated by commas.")
    out = Path(out)
    pixels = side(dataset, size)
    found = {recipe: _measured(out, dataset, size, recipe, steps, seed) for recipe in chosen}
    floor = next(iter(found.values()))["scores"]["kmeans"]  # the same test scenes and k for every recipe
    picture = out / "scenes" / f"probe-{dataset}-{pixels}-{steps}.png"
    _plot({RECIPES[r][0]: f["curve"] for r, f in found.items()}, floor["fg_ari"], picture,
          f"{dataset} ({pixels}x{pixels}), seed {seed}")
    rows = [(RECIPES[r][0], *(f"{100 * f['scores']['model'][m]:.1f}" for m in METRICS), f"{f['minutes']:.1f}",
             f"{max((p[2] for p in f['curve']), default=float('nan')) * 100:.1f}") for r, f in found.items()]
    rows.append(("k-means, colour + position (floor)", *(f"{100 * floor[m]:.1f}" for m in METRICS), "", ""))
    machine = next(iter(found.values()))["machine"]
    text = "\n".join([
        f"# Slot Attention recipes on {dataset}: a probe", "",
        f"`OMP_NUM_THREADS=1 genlab bench scenes --probe --datasets {dataset} --steps {steps} --recipes {recipes}"
        f"{f' --size {size}' if dataset != 'tetrominoes' else ''}`: each recipe trained {steps:,} steps at seed {seed} "
        f"(the benchmark's network, batch and learning rate), one torch thread on {machine}, two recipes side by "
        f"side; validation FG-ARI on the validation scenes every {EVAL_EVERY} steps, the test figures on the "
        "benchmark's 1,000 test scenes at the end. One seed: a probe ranks recipes, it does not measure them.", "",
        *Table(("recipe", *(f"test {label} %" for label in METRICS.values()), "training minutes",
                "best validation FG-ARI %"), rows).markdown(), "",
        f"![validation FG-ARI against steps and minutes](scenes/{picture.name})", ""])
    path = out / f"scenes-probe-{dataset}-{steps}.md"
    atomic_write(path, text.encode())
    return path
