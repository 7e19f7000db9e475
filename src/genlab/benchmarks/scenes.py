"""`genlab bench scenes`: Slot Attention on tetrominoes and multi-dsprites at a CPU budget, over seeds: FG-ARI,
ARI and mean best overlap mean ± std beside the k-means floor and the paper's figures, and one overview
picture (scenes split into slots) per dataset.

Each finished run leaves a record beside the page (OUT/scenes/NAME.json: its config and scores; seed 0's
overview picture too), so the benchmark continues run by run on a machine that no longer has the run
folders: a run with a record of the same config is neither trained nor scored again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from genlab.benchmarks.checks import positive
from genlab.benchmarks.runs import kept, train_or_reuse
from genlab.benchmarks.scene_settings import (ARCHITECTURE, BATCH, DATASETS, LR, SCENES, VARIANTS, WARMUP, scores,
                                              side)
from genlab.config import load_config
from genlab.errors import UserError
from genlab.evaluation.objects import METRICS, ObjectsResult
from genlab.files import atomic_write
from genlab.media.decomposition import overview_picture
from genlab.media.grids import save_png
from genlab.models.batched import decomposed
from genlab.tables import Table, mean_std


def _run_name(dataset: str, size: int, variant: str, seed: int) -> str:
    """The paper variant keeps the names its records were first kept under."""
    return f"{dataset}-{size}-slots-{'' if variant == 'paper' else variant + '-'}{seed}"


def _recorded(out: Path, name: str, config) -> ObjectsResult:
    """The scores of run `name`: from its record in OUT/scenes when that was made from the same config, else
    trained (or resumed, or reused from OUT/runs), scored and recorded, with the overview for seed 0."""

    def measure() -> dict:
        run = train_or_reuse(out / "runs" / name, config, same_settings=True)
        if config.seed == 0:
            _overview(run, out / "scenes" / f"{name}.png")
        return scores(run).model_dump(mode="json")

    return ObjectsResult(**kept(out / "scenes" / f"{name}.json", config.model_dump(mode="json"), measure))


def _overview(run, path: Path) -> None:
    """Eight test scenes of the run split into its slots, with their true objects."""
    test = run.dataset().test
    x = test.x[:8]
    recon, images, masks = decomposed(run.model, x)
    save_png(overview_picture(x, recon, images, masks, run.spec.levels, np.asarray(test.extras["masks"][:8])), path)


def scenes(out: Path, *, seeds: int = 3, steps: int = 3000, first_steps: int = 6000, size: int = 32,
           datasets: str = "tetrominoes,multi-dsprites", probe: bool = False, recipes: str = "") -> Path | list[Path]:
    """Train (or reuse) Slot Attention for `seeds` seeds on tetrominoes (35x35) and multi-dsprites (at `size`),
    seed 0 for `first_steps` and the others for `steps`, and write scenes.md with an overview per dataset and
    scenes.json beside it (each row's mean and std over seeds, the floor's and the paper's figures).
    `datasets` picks some of them (two processes can then train one each; the page lists those picked).
    probe: instead, the candidate `recipes`' (all when empty) learning curves at `steps` steps, a page per
    dataset (benchmarks/scenes_probe.py)."""
    positive("--seeds", seeds, "3")
    positive("--steps", steps, "3000")
    positive("--first-steps", first_steps, "6000")
    if size not in (32, 64):
        raise UserError(f"--size {size}: multi-dsprites is drawn at 32 or 64 pixels square; use one of them.")
    chosen = [name.strip() for name in datasets.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in DATASETS]
    if unknown or not chosen:
        raise UserError(f"--datasets {datasets!r}: choose from {', '.join(DATASETS)}, separated by commas.")
    out = Path(out)
    if probe:
        from genlab.benchmarks.scenes_probe import RECIPES, probe as probe_recipes

        return [probe_recipes(out, dataset=dataset, size=size, steps=steps, recipes=recipes or ",".join(RECIPES))
                for dataset in chosen]
    sides = {dataset: side(dataset, size) for dataset in chosen}
    scored: dict[tuple[str, str], list[ObjectsResult]] = {(d, v): [] for d in chosen for v in VARIANTS}
    for seed in range(seeds):  # seed by seed, so a benchmark stopped early has every dataset at its first seeds
        for variant, (_, options) in VARIANTS.items():
            for dataset in chosen:
                if seed > 0 and variant != DATASETS[dataset]["main"]:
                    continue
                data = {"source": dataset} | ({} if dataset == "tetrominoes" else {"size": [size, size]})
                budget = first_steps if seed == 0 else steps
                model = {"name": "slots", "slots": DATASETS[dataset]["slots"]} | ARCHITECTURE | options
                config = load_config(None, {"data": data, "model": model,
                                            "training": {"steps": budget, "batch_size": BATCH, "lr": LR,
                                                         "warmup_steps": WARMUP, "eval_every": min(budget, 1000)},
                                            "": {"seed": seed}})
                name = _run_name(dataset, sides[dataset], variant, seed)
                scored[dataset, variant].append(_recorded(out, name, config))
    rows, pictures, summary = [], [], []
    for dataset in chosen:
        name = f"{dataset} ({sides[dataset]}x{sides[dataset]})"
        for variant, (label, _) in VARIANTS.items():
            runs = scored[dataset, variant]
            seeds_used = f"{'seeds' if len(runs) > 1 else 'seed'} {', '.join(map(str, range(len(runs))))}"
            rows.append((f"{name}: {label} ({seeds_used})", *(mean_std([r.model[m] for r in runs], 1, 100)
                                                             for m in METRICS)))
            summary.append({"dataset": dataset, "method": label, "variant": variant, "seeds": len(runs),
                            **{m: _spread([r.model[m] for r in runs]) for m in METRICS}})
            pictures.append((f"{name}, {label}", f"scenes/{_run_name(dataset, sides[dataset], variant, 0)}.png"))
        floor = scored[dataset, DATASETS[dataset]["main"]][0].kmeans  # the same test scenes and k for every run
        rows.append((f"{name}: k-means, colour + position (floor)", *(f"{100 * floor[m]:.1f}" for m in METRICS)))
        summary.append({"dataset": dataset, "method": "k-means, colour + position (floor)", "variant": "floor",
                        "seeds": 1, **{m: _spread([floor[m]]) for m in METRICS}})
        summary.append({"dataset": dataset, "method": "Slot Attention (paper)", "variant": "paper-figure",
                        "fg_ari_percent": DATASETS[dataset]["paper"]})
        rows.append((f"{dataset}: Slot Attention (paper)", DATASETS[dataset]["paper"], "", ""))
        rows.append((f"{dataset}: IODINE (paper)", DATASETS[dataset]["iodine"], "", ""))
    arch = ", ".join(f"{k} {v}" for k, v in ARCHITECTURE.items())
    text = "\n".join([
        "# Object discovery: Slot Attention on tetrominoes and multi-dsprites", "",
        f"`genlab bench scenes --seeds {seeds} --steps {steps} --first-steps {first_steps} --size {size}`: seed 0 "
        f"trained {first_steps:,} steps{f', seeds 1-{seeds - 1} {steps:,}' if seeds > 1 else ''} (batch {BATCH}, Adam {LR:g} with {WARMUP:,} "
        f"warm-up steps then cosine decay; {arch}) on genlab's procedural scenes; scored on {SCENES:,} test scenes "
        f"each; mean ± std over the seeds (sample std), in percent. FG-ARI leaves the background out, ARI counts it, "
        "mBO is each true object's best IoU with a slot.", "",
        "Two ways to make the masks. The paper's: each slot's mask logits come from its decoder alone. "
        "genlab's (`--set model.masks=attention`): the logits are added to the log of the share of each pixel the "
        "slot won in the last round of attention, so the reconstruction's gradient reaches the grouping from the "
        "first step; with the paper's masks every slot first paints the background, a plateau that lasts longer "
        "than this budget on multi-dsprites. But masks from attention let a slot paint one colour wherever the "
        "attention puts it, and on tetrominoes two pieces of one colour then share a slot. So each dataset trains "
        "the variant that works on it for every seed (tetrominoes the paper's masks, multi-dsprites masks from "
        "attention) and the other at seed 0 beside it. Everything else is the paper's model.", "",
        "The floor clusters each test image on its own by pixel colour and position (k = the slots), learning nothing. "
        "The paper's rows are Locatello et al. 2020, Table 1: 500,000 steps at batch 64 on 8 GPUs, on DeepMind's "
        "multi_object_datasets (64x64 and 35x35), which genlab cannot download and draws its own way.", "",
        *Table(("scenes: method", *(f"{label} %" for label in METRICS.values())), rows).markdown(), "",
        "## Test scenes split into slots (seed 0)", "",
        "Each row: the scene, its reconstruction, the true objects, each pixel coloured by the slots' masks, and "
        "each slot alone (white where its mask is empty).", "",
        *[line for label, path in pictures for line in (f"**{label}**", "", f"![{label}]({path})", "")]])
    path = out / "scenes.md"
    atomic_write(out / "scenes.json", json.dumps({"scenes": SCENES, "rows": summary}, indent=1).encode())
    atomic_write(path, text.encode())
    return path


def _spread(values: list[float]) -> dict:
    """{"mean", "std"} of per-seed figures as fractions (sample std; 0 for one seed)."""
    return {"mean": float(np.mean(values)), "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0}
