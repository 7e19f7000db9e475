"""`genlab bench scenes`: Slot Attention on tetrominoes and multi-dsprites at a CPU budget, over seeds: each
dataset's chosen recipe (the probe's winner, scene_settings.DATASETS) for every seed, earlier recipes at seed 0
beside it, FG-ARI, ARI and mean best overlap mean ± std with FG-ARI over the scenes where two objects
share a colour, beside the k-means floor and the paper's figures; the learning curves against steps and
CPU-minutes, and one overview picture (scenes split into slots) per dataset.

Each finished run leaves a record beside the page (OUT/scenes/NAME.json: its config, curve, scores and minutes;
seed 0's overview picture too), so the benchmark continues run by run on a machine that no longer has the run
folders: a run with a record of the same config is neither trained nor scored again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from genlab.benchmarks.checks import names_from, positive
from genlab.benchmarks.curves import plot_curves
from genlab.benchmarks.scenes_probe import probe as probe_recipes
from genlab.benchmarks.scene_settings import (ARCHITECTURE, BATCH, DATASETS, EVAL_EVERY, LR, RECIPES, SCENES,
                                              WARMUP, floor_scores, measured, run_name, side)
from genlab.errors import UserError
from genlab.evaluation.objects import METRICS
from genlab.files import atomic_write
from genlab.tables import Table, mean_std, spread


def scenes(out: Path, *, seeds: int = 3, steps: int = 10_000, size: int = 32,
           datasets: str = "tetrominoes,multi-dsprites", probe: bool = False, recipes: str = "") -> Path | list[Path]:
    """Train (or reuse) each dataset's chosen recipe for `seeds` seeds of `steps` steps on tetrominoes (35x35) and
    multi-dsprites (at `size`), earlier recipes at seed 0 beside it, and write scenes.md with the curves and
    an overview per dataset and scenes.json beside it (each row's mean and std over seeds, the floor's and the
    paper's figures). `datasets` picks some of them (two processes can then train one each; the page lists
    those picked). probe: instead, the candidate `recipes`' (all when empty) learning curves at `steps` steps,
    a page per dataset (benchmarks/scenes_probe.py)."""
    positive("--seeds", seeds, "3")
    positive("--steps", steps, "10000")
    if size not in (32, 64):
        raise UserError(f"--size {size}: multi-dsprites is drawn at 32 or 64 pixels square; use one of them.")
    chosen = names_from("--datasets", datasets, DATASETS)
    out = Path(out)
    if probe:
        return [probe_recipes(out, dataset=dataset, size=size, steps=steps, recipes=recipes or ",".join(RECIPES))
                for dataset in chosen]
    # (dataset, recipe, steps) -> the records of its seeds; seed by seed, so a benchmark stopped early has every
    # dataset at its first seeds
    found: dict[tuple[str, str, int], list[dict]] = {}
    for seed in range(seeds):
        for dataset in chosen:
            main = DATASETS[dataset]["main"]
            found.setdefault((dataset, main, steps), []).append(measured(out, dataset, size, main, steps, seed))
    for dataset in chosen:
        for recipe, budget in DATASETS[dataset]["beside"]:
            if (dataset, recipe, budget) not in found:  # a recipe beside the chosen one, at seed 0
                found[dataset, recipe, budget] = [measured(out, dataset, size, recipe, budget, 0)]
    rows, summary, figures = [], [], []
    for dataset in chosen:
        name = f"{dataset} ({side(dataset, size)}x{side(dataset, size)})"
        runs = {key: records for key, records in found.items() if key[0] == dataset}
        for (_, recipe, budget), records in runs.items():
            label = f"{name}: {RECIPES[recipe][0]}, {budget:,} steps"
            row, figures_of = _row(label, records)
            rows.append(row)
            summary.append({"dataset": dataset, "method": RECIPES[recipe][0], "recipe": recipe, "steps": budget,
                            **figures_of})
        floor = floor_scores(found[dataset, DATASETS[dataset]["main"], steps])
        same = floor.get("same_colour") or {}
        rows.append((f"{name}: k-means, colour + position (floor)", *(f"{100 * floor['kmeans'][m]:.1f}" for m in METRICS),
                     f"{100 * same['kmeans']:.1f}" if same.get("scenes") else "", "", ""))
        summary.append({"dataset": dataset, "method": "k-means, colour + position (floor)", "recipe": "floor",
                        "seeds": 1, **{m: spread([floor["kmeans"][m]]) for m in METRICS},
                        "same_colour_fg_ari": spread([same["kmeans"]]) if same.get("scenes") else None,
                        "same_colour_scenes": same.get("scenes", 0)})
        summary.append({"dataset": dataset, "method": "Slot Attention (paper)", "recipe": "paper-figure",
                        "fg_ari_percent": DATASETS[dataset]["paper"]})
        rows.append((f"{dataset}: Slot Attention (paper)", DATASETS[dataset]["paper"], "", "", "", "", ""))
        rows.append((f"{dataset}: IODINE (paper)", DATASETS[dataset]["iodine"], "", "", "", "", ""))
        figures.append(_figures(out, dataset, size, steps, runs, floor["kmeans"]["fg_ari"]))
    machine = next(iter(found.values()))[0]["machine"]
    arch = ", ".join(f"{k} {v}" for k, v in ARCHITECTURE.items())
    text = "\n".join([
        "# Object discovery: Slot Attention on tetrominoes and multi-dsprites", "",
        f"`OMP_NUM_THREADS=1 genlab bench scenes --seeds {seeds} --steps {steps} --size {size}`: each dataset's "
        f"chosen recipe trained {steps:,} steps for each seed, and beside it at seed 0 the paper's settings, the "
        f"benchmark's earlier recipe and the chosen one at the probe's budget (batch {BATCH}, Adam {LR:g} with "
        f"{WARMUP:,} warm-up steps then cosine decay over the run; {arch}), each run on {machine}, two runs side "
        f"by side; genlab's procedural scenes, validation FG-ARI every "
        f"{EVAL_EVERY} steps, the figures on {SCENES:,} test scenes each; mean ± std over the seeds (sample std), "
        "in percent. FG-ARI leaves the background out, ARI counts it, mBO is each true object's best IoU with a "
        "slot. The same-colour column is FG-ARI over the test scenes where two objects share one colour, which "
        "a split by colour cannot separate.", "",
        "The recipes were chosen by the probe (`genlab bench scenes --probe`, scenes-probe-*.md): BO-QSA (Jia et "
        "al. 2023: learnt starting slots, implicit differentiation with the start's gradient straight through) "
        "on both datasets, with the paper's masks on tetrominoes and masks from attention on multi-dsprites "
        "(`--set model.masks=attention`: each slot's mask logits plus the log of the share of each pixel it won "
        "in the last round of attention, so the reconstruction's gradient reaches the grouping from the first "
        "step; with the paper's masks every slot first paints the background). Masks from attention let a slot "
        "paint one colour wherever the attention puts it, so tetrominoes keeps the paper's masks.", "",
        "The floor clusters each test image on its own by pixel colour and position (k = the slots), learning "
        "nothing. The paper's rows are Locatello et al. 2020, Table 1: 500,000 steps at batch 64 on 8 GPUs, on "
        "DeepMind's multi_object_datasets (64x64 and 35x35), which genlab cannot download and draws its own way.", "",
        *Table(("scenes: method", *(f"{label} %" for label in METRICS.values()), "FG-ARI, same-colour scenes %",
                "lowest seed's FG-ARI %", "minutes a run"), rows).markdown(), "",
        "## Learning curves and test scenes split into slots (seed 0)", "",
        "Validation FG-ARI against steps and CPU-minutes; then eight test scenes, each row: the scene, its "
        "reconstruction, the true objects, each pixel coloured by the slots' masks, and each slot alone (white "
        "where its mask is empty).", "",
        *[line for label, curves, overview in figures
          for line in (f"**{label}**", "", f"![learning curves, {label}]({curves})", "",
                       *((f"![test scenes split into slots, {label}]({overview})", "") if overview else ()))]])
    path = out / "scenes.md"
    atomic_write(out / "scenes.json", json.dumps({"scenes": SCENES, "rows": summary}, indent=1).encode())
    atomic_write(path, text.encode())
    return path


def _row(label: str, records: list[dict]) -> tuple[tuple, dict]:
    """The page's row of a recipe's seeds and its figures for scenes.json."""
    scores = [r["scores"] for r in records]
    same = [s["same_colour"]["model"] for s in scores if (s.get("same_colour") or {}).get("scenes")]
    seeds = f"{'seeds' if len(records) > 1 else 'seed'} {', '.join(map(str, range(len(records))))}"
    fg_ari = [s["model"]["fg_ari"] for s in scores]
    minutes = float(np.mean([r["minutes"] for r in records]))
    def cell(values: list[float]) -> str:  # one seed: its figure alone
        return mean_std(values, 1, 100) if len(values) > 1 else f"{100 * values[0]:.1f}"

    row = (f"{label} ({seeds})", *(cell([s["model"][m] for s in scores]) for m in METRICS),
           cell(same) if same and len(same) == len(scores) else "", f"{100 * min(fg_ari):.1f}", f"{minutes:.0f}")
    return row, {"seeds": len(records), **{m: spread([s["model"][m] for s in scores]) for m in METRICS},
                 "same_colour_fg_ari": spread(same) if len(same) == len(scores) else None,
                 "fg_ari_per_seed": fg_ari, "minutes_per_run": minutes}


def _figures(out: Path, dataset: str, size: int, steps: int, runs: dict, floor: float) -> tuple[str, str, str]:
    """(label, curves picture, overview picture) of a dataset: every run's validation curve, and the chosen
    recipe's seed-0 run split into slots."""
    pixels = side(dataset, size)
    main = DATASETS[dataset]["main"]
    curves = {f"{RECIPES[recipe][0]}, {budget:,} steps, seed {seed}": record["curve"]
              for (_, recipe, budget), records in runs.items() for seed, record in enumerate(records)}
    picture = out / "scenes" / f"curves-{dataset}-{pixels}-{steps}.png"
    plot_curves(curves, floor, picture, title=f"{dataset} ({pixels}x{pixels})", figure="validation FG-ARI %",
                floor_label="k-means floor (test)")
    overview = out / "scenes" / f"{run_name(dataset, size, main, steps, 0)}.png"  # drawn when seed 0 was scored
    return (f"{dataset} ({pixels}x{pixels}), {RECIPES[main][0]}", f"scenes/{picture.name}",
            f"scenes/{overview.name}" if overview.exists() else None)

