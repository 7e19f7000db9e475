"""What `genlab bench scenes` and its probe share: the recipes, the datasets with their slots, chosen recipe and
the paper's figures, the CPU budget's network, the optimiser's settings, and how a recipe's run is trained,
scored and kept (its learning curve, test scores and minutes, in a record the pages are remade from)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.benchmarks.curves import validation_curve
from genlab.benchmarks.machine import describe
from genlab.benchmarks.runs import finished_run, kept, train_or_reuse, training_minutes
from genlab.config import load_config
from genlab.evaluation import evaluate, read_evaluation
from genlab.evaluation.objects import ObjectsResult
from genlab.files import read_json
from genlab.media.decomposition import overview_picture
from genlab.media.grids import save_png
from genlab.models.batched import decomposed

# The recipes, each a name -> (what it is, model options beyond ARCHITECTURE), stated in full so a run keeps its
# recipe when the family's defaults move. Candidates from the issue: the paper's masks; masks from attention,
# alone or fading into the paper's over the first steps (slots must then draw their own object's shape, so two
# pieces of one colour need two slots); BO-QSA (Jia et al. 2023): learnt starting slots and implicit
# differentiation with the start's gradient straight through, with either masks; slot-centric frames (Invariant
# Slot Attention, Biza et al. 2023), alone or with BO-QSA.
PAPER_START = {"init": "gaussian", "implicit": False}  # slots drawn from one Gaussian, gradient through the rounds
BO_QSA = {"init": "learnt", "implicit": True}
DECODER, ATTENTION = {"masks": "decoder"}, {"masks": "attention"}
RECIPES: dict[str, tuple[str, dict]] = {
    "paper": ("the paper's masks", PAPER_START | DECODER),
    "attention": ("masks from attention", ATTENTION | PAPER_START),
    "attention-fade": ("masks from attention, faded out over 2,000 steps", ATTENTION | {"attention_fade": 2000}
                       | PAPER_START),
    "bo-qsa": ("BO-QSA: learnt starting slots, implicit gradient", BO_QSA | DECODER),
    "bo-qsa-attention": ("BO-QSA with masks from attention", BO_QSA | ATTENTION),
    "isa": ("slot-centric frames (ISA)", {"frames": "slot"} | PAPER_START | DECODER),
    "isa-bo-qsa": ("slot-centric frames with BO-QSA", {"frames": "slot"} | BO_QSA | DECODER),
}
# dataset -> its slots (objects + background, as the paper), the recipe the benchmark trains for every seed (the
# probe's winner on it, benchmarks/results/scenes-probe-*.md), the recipes shown beside it at seed 0 with their
# steps (the paper's settings, the benchmark's earlier recipe and the chosen one at the probe's 3,000 steps: the
# same-step comparison), and the paper's FG-ARI % (Locatello et al. 2020, Table 1: mean ± std over 5 seeds, 500k
# steps at batch 64 on 8 GPUs, 64x64 / 35x35 scenes) with IODINE's.
DATASETS: dict[str, dict] = {
    # masks from attention merge pieces of one colour into one slot (75.0 against the paper's masks' 81.5 at
    # 6,000 steps), so tetrominoes keeps the paper's masks
    "tetrominoes": {"slots": 4, "main": "bo-qsa", "beside": (("paper", 3000), ("bo-qsa", 3000)),
                    "paper": "99.5 ± 0.2", "iodine": "99.2 ± 0.4"},
    # the paper's masks leave every slot on the background for thousands of steps (17.7 at 6,000 steps)
    "multi-dsprites": {"slots": 6, "main": "bo-qsa-attention",
                       "beside": (("paper", 3000), ("attention", 3000), ("bo-qsa-attention", 3000)),
                       "paper": "91.3 ± 0.3", "iodine": "76.7 ± 5.6"},
}
# The CPU budget's network: the family's defaults (the paper's layout) with 3x3 instead of 5x5 kernels, about
# half the cost of a step; slot size, iterations and MLP as the paper. Stated in full so the runs keep it.
ARCHITECTURE = {"kernel": 3, "decoder_layers": 2, "channels": 32}
LR, BATCH, WARMUP = 4e-4, 32, 1000  # the paper: Adam 4e-4, batch 64, 10k warm-up steps, then decay
SCENES = 1000  # test scenes scored
EVAL_EVERY = 250  # steps between validations, the points of a learning curve


def side(dataset: str, size: int) -> int:
    """The scenes' side in pixels: tetrominoes are drawn at 35, multi-dsprites at the --size asked (32 or 64)."""
    return 35 if dataset == "tetrominoes" else size


def scores(run) -> ObjectsResult:
    """The run's object scores, reusing a current evaluation of SCENES scenes."""
    evaluation = read_evaluation(run)
    result = None if evaluation is None else evaluation.results.get("objects")
    if result is None or result.scenes != min(SCENES, len(run.dataset().test)) or result.same_colour is None:
        evaluation = evaluate(run, samples=0, scenes=SCENES)
    return evaluation["objects"]


def run_config(dataset: str, size: int, recipe: str, steps: int, seed: int):
    """The config of `recipe` on `dataset` for `steps` steps at `seed`, validated every EVAL_EVERY steps."""
    data = {"source": dataset} | ({} if dataset == "tetrominoes" else {"size": [size, size]})
    model = {"name": "slots", "slots": DATASETS[dataset]["slots"]} | ARCHITECTURE | RECIPES[recipe][1]
    return load_config(None, {"data": data, "model": model,
                              "training": {"steps": steps, "batch_size": BATCH, "lr": LR, "warmup_steps": WARMUP,
                                           "eval_every": EVAL_EVERY}, "": {"seed": seed}})


def run_name(dataset: str, size: int, recipe: str, steps: int, seed: int) -> str:
    """probe-DATASET-SIDE-RECIPE-STEPS-SEED: the name of the run folder and of its record."""
    return f"probe-{dataset}-{side(dataset, size)}-{recipe}-{steps}-{seed}"


def measured(out: Path, dataset: str, size: int, recipe: str, steps: int, seed: int) -> dict:
    """{"curve", "scores", "minutes", "machine"} of `recipe`'s run: from its record (OUT/scenes/NAME.json) when
    kept from the same config, else trained (or resumed, or reused from OUT/runs/NAME), scored and kept, with
    seed 0's overview (OUT/scenes/NAME.png). A record kept before the same-colour figure existed is scored
    again where its finished run is still there (and kept as it is where not)."""
    config = run_config(dataset, size, recipe, steps, seed)
    name = run_name(dataset, size, recipe, steps, seed)
    record, folder = out / "scenes" / f"{name}.json", out / "runs" / name

    def measure() -> dict:
        run = train_or_reuse(folder, config, same_settings=True)
        if seed == 0:
            overview(run, out / "scenes" / f"{name}.png")
        return {"curve": validation_curve(run, "val_fg_ari"), "scores": scores(run).model_dump(mode="json"),
                "minutes": training_minutes(run), "machine": describe()}

    if record.exists() and not read_json(record)["result"]["scores"].get("same_colour") and \
            finished_run(folder, config) is not None:
        record.unlink()
    return kept(record, config.model_dump(mode="json"), measure)


def overview(run, path: Path) -> None:
    """Eight test scenes of the run split into its slots, with their true objects."""
    test = run.dataset().test
    x = test.x[:8]
    recon, images, masks = decomposed(run.model, x)
    save_png(overview_picture(x, recon, images, masks, run.spec.levels, np.asarray(test.extras["masks"][:8])), path)


def same_colour(scores: dict, who: str) -> str:
    """FG-ARI % of `who` ("model" or "kmeans") over the test scenes holding two objects of one colour, from a
    record's scores; empty where none do."""
    same = scores.get("same_colour") or {}
    return f"{100 * same[who]:.1f}" if same.get("scenes") else ""


def floor_scores(records: list[dict]) -> dict:
    """Scores holding the floor's figures for runs on one dataset's test scenes (the same k-means for all): the
    first record with the same-colour figure, else the first record (kept before that figure existed)."""
    return next((r["scores"] for r in records if (r["scores"].get("same_colour") or {}).get("scenes")),
                records[0]["scores"])
