"""`genlab bench scenes --probe`: short runs of candidate Slot Attention recipes on one dataset, one torch thread
each, so a recipe is chosen by evidence before the long budget is spent: validation FG-ARI against steps and
against CPU-minutes (a recipe with a cheaper step may win per minute and lose per step), and each run's test
FG-ARI and mBO beside the k-means floor.

Each recipe's curve and scores are kept beside the page (OUT/scenes/probe-DATASET-SIDE-RECIPE-STEPS-SEED.json,
keyed by the run's config), so the page is remade from the records on a machine without the run folders;
interrupted runs resume (benchmarks/runs.py)."""

from __future__ import annotations

from pathlib import Path

from genlab.benchmarks.checks import names_from, positive
from genlab.benchmarks.curves import plot_curves
from genlab.benchmarks.scene_settings import (DATASETS, EVAL_EVERY, RECIPES, floor_scores, measured, same_colour,
                                              side)
from genlab.errors import UserError
from genlab.evaluation.objects import METRICS
from genlab.files import atomic_write
from genlab.tables import Table


def probe(out: Path, *, dataset: str, size: int, steps: int, recipes: str = ",".join(RECIPES), seed: int = 0
          ) -> Path:
    """Train (or reuse) the `recipes` of RECIPES (comma-separated) on `dataset` for `steps` steps at one seed
    and write scenes-probe-DATASET-STEPS.md with the curves and the test scores beside the floor."""
    positive("--steps", steps, "3000")
    if dataset not in DATASETS:
        raise UserError(f"--datasets {dataset!r} for --probe: choose one of {', '.join(DATASETS)}.")
    chosen = names_from("--recipes", recipes, RECIPES)
    out = Path(out)
    pixels = side(dataset, size)
    found = {recipe: measured(out, dataset, size, recipe, steps, seed) for recipe in chosen}
    floor_of = floor_scores(list(found.values()))  # the same test scenes and k for every recipe
    floor = floor_of["kmeans"]
    picture = out / "scenes" / f"probe-{dataset}-{pixels}-{steps}.png"
    plot_curves({RECIPES[r][0]: f["curve"] for r, f in found.items()}, floor["fg_ari"], picture,
                title=f"{dataset} ({pixels}x{pixels}), seed {seed}", figure="validation FG-ARI %",
                floor_label="k-means floor (test)")
    rows = [(RECIPES[r][0], *(f"{100 * f['scores']['model'][m]:.1f}" for m in METRICS),
             same_colour(f["scores"], "model"), f"{f['minutes']:.1f}",
             f"{max((p[2] for p in f['curve']), default=float('nan')) * 100:.1f}") for r, f in found.items()]
    rows.append(("k-means, colour + position (floor)", *(f"{100 * floor[m]:.1f}" for m in METRICS),
                 same_colour(floor_of, "kmeans"), "", ""))
    machine = next(iter(found.values()))["machine"]
    text = "\n".join([
        f"# Slot Attention recipes on {dataset}: a probe", "",
        f"`OMP_NUM_THREADS=1 genlab bench scenes --probe --datasets {dataset} --steps {steps} --recipes {recipes}"
        f"{f' --size {size}' if dataset != 'tetrominoes' else ''}`: each recipe trained {steps:,} steps at seed {seed} "
        f"(the benchmark's network, batch and learning rate), one torch thread on {machine}, two recipes side by "
        f"side; validation FG-ARI on the validation scenes every {EVAL_EVERY} steps, the test figures on the "
        "benchmark's 1,000 test scenes at the end. One seed: a probe ranks recipes, it does not measure them.", "",
        *Table(("recipe", *(f"test {label} %" for label in METRICS.values()), "FG-ARI, same-colour scenes %",
                "training minutes",
                "best validation FG-ARI %"), rows).markdown(), "",
        f"![validation FG-ARI against steps and minutes](scenes/{picture.name})", ""])
    path = out / f"scenes-probe-{dataset}-{steps}.md"
    atomic_write(path, text.encode())
    return path
