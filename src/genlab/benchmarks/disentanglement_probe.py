"""`genlab bench disentanglement --probe`: short runs of candidate recipes on dSprites, one torch thread each, so
the long budget goes to the recipe the evidence picks: validation MIG (on dSprites' 2,000 validation images,
every EVAL_EVERY steps) against steps and against CPU-minutes, and each run's MIG (fitted on 10,000 training
images) and FactorVAE score (fitted there, scored on test images), disentanglement_lib's procedures, beside the
untrained encoder and the factors.

Each recipe's curve and scores are kept beside the page (OUT/disentanglement/probe-dsprites-SIZE-RECIPE-STEPS-
SEED.json, keyed by the run's config), so the page is remade from the records on a machine without the run
folders; interrupted runs resume (benchmarks/runs.py)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from genlab.benchmarks.checks import names_from, positive
from genlab.benchmarks.curves import plot_curves, validation_curve
from genlab.benchmarks.machine import describe
from genlab.benchmarks.runs import kept, train_or_reuse, training_minutes
from genlab.config import load_config
from genlab.evaluation import evaluate
from genlab.files import atomic_write
from genlab.tables import Table

STRIDED = {"latent_dim": 10, "network": "strided"}  # disentanglement_lib's conv network (models/strided_parts.py)
BROADCAST = STRIDED | {"network": "broadcast"}  # its encoder, a spatial broadcast decoder (models/broadcast_parts.py)
MLP = {"latent_dim": 10, "network": "mlp", "hidden": 1200}  # Chen et al.'s (rtqichen/beta-tcvae) for dSprites


class Recipe(NamedTuple):
    """A candidate: what the page calls it, the family, its model options, and how it trains."""
    label: str
    family: str
    options: dict
    batch: int = 64
    lr: float = 1e-3
    precision: str = "fp32"  # "bf16": autocast, about 1.3x the steps a second on this CPU's AVX-512 BF16


# Candidates from the issue: disentanglement_lib's conv network at its batch (64) and at a larger one; Chen et
# al.'s MLP at a CPU-sized batch (theirs, 2,048, costs about 2.7 s a step on one thread here); FactorVAE on
# either network. Large batches suit the minibatch-weighted TC estimate. (The benchmark's earlier network,
# genlab's conv pyramid at blocks=0, stacks its convolutions linearly up to one SiLU: a near-linear VAE, left out.)
TCVAE, FACTORVAE = {"tc_weight": 6.0}, {"tc_weight": 35.0}
RECIPES: dict[str, Recipe] = {
    "strided": Recipe("beta-TCVAE 6, conv, batch 64", "tcvae", STRIDED | TCVAE),
    "strided-bf16": Recipe("beta-TCVAE 6, conv, batch 64, bf16", "tcvae", STRIDED | TCVAE, precision="bf16"),
    "strided-256": Recipe("beta-TCVAE 6, conv, batch 256", "tcvae", STRIDED | TCVAE, 256),
    "mlp": Recipe("beta-TCVAE 6, MLP 1,200, batch 256", "tcvae", MLP | TCVAE, 256),
    "factorvae-strided": Recipe("FactorVAE 35, conv, batch 64", "factorvae", STRIDED | FACTORVAE),
    "factorvae-strided-bf16": Recipe("FactorVAE 35, conv, batch 64, bf16", "factorvae", STRIDED | FACTORVAE,
                                     precision="bf16"),
    "factorvae-mlp": Recipe("FactorVAE 35, MLP 1,200, batch 256", "factorvae", MLP | FACTORVAE, 256),
    # the minibatch TC estimate of a batch of 64 caps the code near log 64 nats: a larger batch; or a large beta
    # on the whole KL, pressure towards one latent per factor without a TC estimate
    "strided-256-bf16": Recipe("beta-TCVAE 6, conv, batch 256, bf16", "tcvae", STRIDED | TCVAE, 256, precision="bf16"),
    "strided-512-bf16": Recipe("beta-TCVAE 6, conv, batch 512, bf16", "tcvae", STRIDED | TCVAE, 512, precision="bf16"),
    "betavae-16-bf16": Recipe("beta-VAE 16, conv, batch 64, bf16", "vae", STRIDED | {"beta": 16.0}, precision="bf16"),
    # beta-TCVAE at batch 256 splits position x and y each over two latents (seed 0, FactorVAE score 0.51): a
    # heavier TC weight, the only term that tells axis-aligned positions from rotated ones
    "tc10-256-bf16": Recipe("beta-TCVAE 10, conv, batch 256, bf16", "tcvae", STRIDED | {"tc_weight": 10.0}, 256,
                            precision="bf16"),
    # or a decoder that draws at coordinates (Watters et al.'s spatial broadcast), which separates positions
    "broadcast-256-bf16": Recipe("beta-TCVAE 6, broadcast decoder, batch 256, bf16", "tcvae",
                                 BROADCAST | TCVAE, 256, precision="bf16"),
    # the broadcast decoder draws squares and hearts as blobs: half-planes that turn with the code
    "steered-256-bf16": Recipe("beta-TCVAE 6, steered broadcast decoder, batch 256, bf16", "tcvae",
                               BROADCAST | TCVAE | {"network": "steered"}, 256, precision="bf16"),
    # or offsets that are any function of the code (the code through a ReLU layer of 256 units)
    "broadcast-mlp-256-bf16": Recipe("beta-TCVAE 6, broadcast decoder, code MLP, batch 256, bf16", "tcvae",
                                     BROADCAST | TCVAE | {"network": "broadcast-mlp"}, 256, precision="bf16"),
}
BATCH = 64  # --steps counts steps at this batch: a recipe at batch B trains steps x BATCH / B, the same images
EVAL_EVERY = 500  # steps between points of a curve
POINTS = 10_000  # training examples the final metrics are fitted on (disentanglement_lib's)
FINAL = ("mig", "factor_vae")  # the two targets, scored at the end of each run


def recipe_config(recipe: Recipe, size: int, steps: int, seed: int):
    """The run config of `recipe` on dSprites at `size`: `steps` steps at batch BATCH (as many images at its own
    batch), a validation MIG every EVAL_EVERY steps' worth of images."""
    return load_config(None, {"data": {"source": "dsprites", "size": [size, size]},
                              "model": {"name": recipe.family} | recipe.options,
                              "training": {"steps": max(1, steps * BATCH // recipe.batch), "batch_size": recipe.batch,
                                           "lr": recipe.lr, "precision": recipe.precision,
                                           "eval_every": max(1, EVAL_EVERY * BATCH // recipe.batch)},
                              "": {"seed": seed}})


def run_curves(run) -> dict:
    """{"curve": validation MIG, "factor_vae_curve": validation FactorVAE score} of a run, (step, minutes, value)
    at every evaluation (the second empty for runs validated before it was measured)."""
    return {"curve": validation_curve(run, "val_mig"), "factor_vae_curve": validation_curve(run, "val_factor_vae")}


def plot_both(curves: dict[str, dict], untrained: dict, stem: Path, title: str) -> list[str]:
    """The MIG curves of `curves` (label -> record) as STEM.png and, where any record has them, the FactorVAE
    score curves as STEM-factorvae.png, beside the untrained encoder's figures; markdown lines showing them."""
    lines = []
    for key, metric, suffix, figure in (("curve", "mig", "", "validation MIG"),
                                        ("factor_vae_curve", "factor_vae", "-factorvae", "validation FactorVAE score")):
        if not any(record.get(key) for record in curves.values()):
            continue
        picture = stem.with_name(f"{stem.name}{suffix}.png")
        plot_curves({label: record.get(key, []) for label, record in curves.items()}, untrained[metric], picture,
                    title=title, figure=figure, scale=1.0, floor_label="untrained encoder (test)")
        lines += [f"![{figure} against steps and minutes](disentanglement/{picture.name})", ""]
    return lines


def _measured(out: Path, size: int, recipe: str, steps: int, seed: int) -> dict:
    """{"curve", "factor_vae_curve", "model", "untrained", "ground_truth", "minutes", "machine"} of the recipe's run: from its record
    when kept from the same config, else trained (or resumed, or reused from OUT/runs), scored and kept."""
    config = recipe_config(RECIPES[recipe], size, steps, seed)
    name = f"probe-dsprites-{size}-{recipe}-{steps}-{seed}"

    def measure() -> dict:
        run = train_or_reuse(out / "runs" / name, config, same_settings=True)
        result = evaluate(run, iwae_k=1, samples=0, factor_points=POINTS, factor_metrics=FINAL)
        scores = result["disentanglement"]
        return {**run_curves(run), "model": scores.model, "untrained": scores.untrained,
                "ground_truth": scores.ground_truth, "minutes": training_minutes(run), "machine": describe()}

    return kept(out / "disentanglement" / f"{name}.json", config.model_dump(mode="json"), measure)


def probe(out: Path, *, size: int, steps: int, recipes: str = ",".join(RECIPES), seed: int = 0) -> Path:
    """Train (or reuse) the `recipes` of RECIPES (comma-separated) on dSprites at `size` for `steps` steps at one
    seed and write disentanglement-probe-SIZE-STEPS.md with the MIG curves and the test scores."""
    positive("--steps", steps, "5000")
    chosen = names_from("--recipes", recipes, RECIPES)
    out = Path(out)
    found = {recipe: _measured(out, size, recipe, steps, seed) for recipe in chosen}
    first = next(iter(found.values()))
    pictures = plot_both({RECIPES[r].label: f for r, f in found.items()}, first["untrained"],
                         out / "disentanglement" / f"probe-dsprites-{size}-{steps}", f"dSprites ({size}x{size}), seed {seed}")
    rows = [(RECIPES[r].label, *(f"{f['model'][m]:.3f}" for m in FINAL), f"{f['minutes']:.1f}",
             f"{max((p[2] for p in f['curve']), default=float('nan')):.3f}") for r, f in found.items()]
    rows += [(label, *(f"{first[key][m]:.3f}" for m in FINAL), "", "")
             for label, key in (("untrained encoder (floor)", "untrained"), ("ground-truth factors (ceiling)", "ground_truth"))]
    text = "\n".join([
        "# Disentanglement recipes on dSprites: a probe", "",
        f"`OMP_NUM_THREADS=1 genlab bench disentanglement --probe --size {size} --steps {steps} --recipes {recipes}`: "
        f"each recipe trained on {steps * BATCH:,} images ({steps:,} steps at batch {BATCH}, proportionally fewer "
        f"at a larger batch) at seed {seed} on genlab's dSprites ({size}x{size}; 10 latents), on {first['machine']}, two recipes "
        f"side by side; validation MIG on the 2,000 validation images every {EVAL_EVERY * BATCH:,} images (and, in "
        f"runs since it was added, the FactorVAE score fitted on 1,200 of them and scored on the other 800); at the end MIG on {POINTS:,} training images and the FactorVAE score fitted "
        f"there and scored on {POINTS // 2:,} test images (disentanglement_lib's procedures). One seed: a probe ranks recipes, it does not measure them.", "",
        *Table(("recipe", "MIG", "FactorVAE score", "training minutes", "best validation MIG"),
               rows).markdown(), "", *pictures])
    path = out / f"disentanglement-probe-{size}-{steps}.md"
    atomic_write(path, text.encode())
    return path
