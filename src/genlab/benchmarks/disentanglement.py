"""`genlab bench disentanglement`: beta-VAE (beta 1 and 4), beta-TCVAE and FactorVAE on dSprites at one CPU
budget each, over seeds: the five metrics mean ± std beside the ceiling (the factors themselves) and the
floor (an untrained encoder), one traversal picture per model with its factor map (which factor each latent
carries), and the table as JSON beside the page."""

from __future__ import annotations

import json
from pathlib import Path

from genlab.benchmarks.checks import names_from, positive
from genlab.benchmarks.disentanglement_probe import (BATCH, BROADCAST, EVAL_EVERY, FACTORVAE, RECIPES, TCVAE, Recipe,
                                                     plot_both, recipe_config, run_curves)
from genlab.benchmarks.disentanglement_probe import probe as probe_recipes
from genlab.benchmarks.machine import describe
from genlab.benchmarks.runs import kept, train_or_reuse, training_minutes
from genlab.errors import UserError
from genlab.evaluation import evaluate
from genlab.evaluation.disentanglement import LABELS, DisentanglementResult
from genlab.files import atomic_write
from genlab.metrics.disentanglement import METRICS
from genlab.media.traversal import NAMED, carried
from genlab.reports.traversal import factor_map, write_traversal
from genlab.tables import Table, mean_std, spread

# name -> recipe: the probe's winner (benchmarks/disentanglement_probe.py), disentanglement_lib's strided conv
# encoder and a spatial broadcast decoder (models/broadcast_parts.py) with 10 latents, Adam 1e-3 at batch 256
# in bf16, for every family (a batch of 64 keeps beta-TCVAE's minibatch TC estimate from seeing more than
# about log 64 nats of code). Chen et al. use beta = 6 for beta-TCVAE on dSprites; FactorVAE's gamma is in
# the best range of Kim & Mnih's dSprites sweep.
MODELS: dict[str, Recipe] = {name: Recipe(label, family, BROADCAST | options, 256, precision="bf16")
                             for name, label, family, options in (
    ("vae", "VAE (beta-VAE, beta = 1)", "vae", {"beta": 1.0}),
    ("beta-vae", "beta-VAE, beta = 4", "vae", {"beta": 4.0}),
    ("tcvae", "beta-TCVAE, beta = 6", "tcvae", TCVAE),
    ("factorvae", "FactorVAE, gamma = 35", "factorvae", FACTORVAE))}
# disentanglement_lib on dSprites (Locatello et al. 2019, 300k steps per model, over seeds and settings).
ANCHOR = {"beta_vae": "0.6-0.9", "factor_vae": "0.5-0.85", "mig": "0.05-0.35", "dci_disentanglement": "0.1-0.6"}


def _run_name(name: str, size: int, seed: int) -> str:
    return f"dsprites-{size}-{name}-{seed}"


def _measured(out: Path, name: str, size: int, steps: int, seed: int, points: int) -> dict:
    """{"model", "ground_truth", "untrained" (metric -> score), "fit_points", "score_points", "bits_per_dim",
    "curve", "factor_vae_curve", "minutes", "machine"} of one model at one seed, and at seed 0 "carried" (which
    factor each latent carries) with its traversal picture beside the page: from its record when kept from the same config and
    points, else trained (or resumed, or reused from OUT/runs), scored and kept, so the page is remade from the
    records on a machine without the run folders."""
    config = recipe_config(MODELS[name], size, steps, seed)
    run_name = _run_name(name, size, seed)

    def measure() -> dict:
        run = train_or_reuse(out / "runs" / run_name, config, same_settings=True)
        evaluation = evaluate(run, iwae_k=1, samples=0, factor_points=points)
        scores: DisentanglementResult = evaluation["disentanglement"]
        record = {"model": scores.model, "ground_truth": scores.ground_truth, "untrained": scores.untrained,
                  "fit_points": scores.fit_points, "score_points": scores.score_points,
                  "bits_per_dim": evaluation["likelihood"].bits_per_dim, **run_curves(run),
                  "minutes": training_minutes(run), "machine": describe()}
        if seed == 0:  # the factor map once, for the picture and the text
            factors = factor_map(run, run.dataset().test)
            write_traversal(run, out / "disentanglement" / f"{run_name}.png", images=3, factors=factors)
            record["carried"] = _carried(*factors)
        return record

    return kept(out / "disentanglement" / f"{run_name}.json", {"config": config.model_dump(mode="json"), "points": points},
                measure)


def disentanglement(out: Path, *, seeds: int = 3, steps: int = 40_000, size: int = 64, points: int = 10_000,
                    models: str = "", probe: bool = False, recipes: str = "") -> Path:
    """Train (or reuse) the `models` of MODELS (comma-separated; all when empty) for `seeds` seeds on dsprites at
    `size`, on `steps` x 64 images each, evaluate the five metrics on `points` examples, and write
    disentanglement-dsprites.md with the validation MIG curves, a traversal per model and the table as JSON
    beside it. probe: instead, the candidate `recipes`' (all when
    empty) MIG curves at `steps` steps (benchmarks/disentanglement_probe.py)."""
    positive("--seeds", seeds, "3")
    positive("--steps", steps, "10000")
    positive("--points", points, "10000")
    if size not in (32, 64):
        raise UserError(f"--size {size}: dSprites is drawn at 32 or 64 pixels square; use one of them.")
    out = Path(out)
    if probe:
        return probe_recipes(out, size=size, steps=steps, recipes=recipes or ",".join(RECIPES))
    names = names_from("--models", models or ",".join(MODELS), MODELS)
    # seed by seed, so a benchmark stopped early has every model at its first seeds
    found = {(name, seed): _measured(out, name, size, steps, seed, points) for seed in range(seeds) for name in names}
    # The reference rows are the same for every run: the factors, and an untrained encoder, which all four
    # models share (their VAE parts are built first, from the same evaluation seed).
    reference = found[names[0], 0]
    rows, summary = [], []
    for name in names:
        scored = [found[name, seed] for seed in range(seeds)]
        rows.append((MODELS[name].label, *(mean_std([r["model"][m] for r in scored]) for m in METRICS),
                     mean_std([r["bits_per_dim"] for r in scored])))
        summary.append({"model": MODELS[name].label, "family": MODELS[name].family, "options": MODELS[name].options,
                        "seeds": seeds, **{m: spread([r["model"][m] for r in scored]) for m in METRICS},
                        "bits_per_dim": spread([r["bits_per_dim"] for r in scored]),
                        "minutes": spread([r["minutes"] for r in scored])})
    rows.append(("ground-truth factors (ceiling)", *(f"{reference['ground_truth'][m]:.3f}" for m in METRICS), ""))
    rows.append(("untrained encoder (floor)", *(f"{reference['untrained'][m]:.3f}" for m in METRICS), ""))
    rows.append(("disentanglement_lib, dSprites (range)", *(ANCHOR.get(m, "") for m in METRICS), ""))
    summary += [{"model": "ground-truth factors (ceiling)", **{m: spread([reference["ground_truth"][m]]) for m in METRICS}},
                {"model": "untrained encoder (floor)", **{m: spread([reference["untrained"][m]]) for m in METRICS}},
                {"model": "disentanglement_lib, dSprites (range)", "range": ANCHOR}]
    pictures = out / "disentanglement"
    curves = plot_both({f"{MODELS[name].label}, seed {seed}": found[name, seed] for name in names for seed in range(seeds)},
                       reference["untrained"], pictures / f"curves-dsprites-{size}-{steps}", f"dSprites ({size}x{size})")
    minutes = [record["minutes"] for record in found.values()]
    first = MODELS[names[0]]
    text = "\n".join([
        f"# Disentanglement on dSprites ({size}x{size})", "",
        f"`OMP_NUM_THREADS=1 genlab bench disentanglement --seeds {seeds} --steps {steps} --size {size} --points {points}`: every model "
        f"trained on {steps * BATCH:,} images ({max(1, steps * BATCH // first.batch):,} steps at batch {first.batch}; Adam "
        f"{first.lr:g}, {first.precision}; disentanglement_lib's strided conv encoder and a spatial broadcast decoder, "
        f"10 latents) on genlab's dSprites (100,000 of the 737,280 grid combinations), one torch "
        f"thread a run, two side by side, {min(minutes):.0f}-{max(minutes):.0f} training minutes a run on "
        f"{reference['machine']}; metrics fitted on {reference['fit_points']:,} training and scored on "
        f"{reference['score_points']:,} test examples with disentanglement_lib's procedures; mean ± std over {seeds} "
        "seeds (sample std). Higher is better for every metric; bits/dim is the test ELBO (lower is better).", "",
        "The ceiling row is each procedure's limit: MIG bins 40 orientations and 32 positions into 20 bins, and SAP's "
        "one-feature linear classifiers separate few of 32 or 40 ordered values, so even the factors themselves "
        "score below 1 there. The anchor row is disentanglement_lib's spread on dSprites over seeds and settings "
        "(Locatello et al. 2019: 64x64, 300,000 GPU steps per model).", "",
        *Table(("model", *(LABELS[m] for m in METRICS), "bits/dim"), rows).markdown(), "",
        f"Validation MIG (2,000 validation images) every {EVAL_EVERY * BATCH:,} images of every run, and the "
        "FactorVAE score (fitted on 1,200 of them, scored on the other 800) where the run measured it, against steps "
        "and CPU-minutes:", "", *curves,
        "## Traversals (seed 0)", "",
        "One row per latent, the most used first (its KL to the prior at the left); each row sweeps that latent from "
        "-2 to +2 in three test images' codes. At the right, the factor map: each latent's share of each factor's "
        f"entropy (its mutual information with the factor over the factor's entropy, on 10,000 test images, binned "
        f"as MIG bins), the row named after the factor it carries most where that share is at least {NAMED:g}.", "",
        *[line for name in names for line in (
            f"**{MODELS[name].label}**: {found[name, 0]['carried']}", "",
            f"![{MODELS[name].label}](disentanglement/{_run_name(name, size, 0)}.png)", "")]])
    stem = f"disentanglement-dsprites{'' if size == 64 else f'-{size}'}"
    atomic_write(out / f"{stem}.json", json.dumps({"size": size, "steps": steps, "points": points,
                                                  "rows": summary}, indent=1).encode())
    path = out / f"{stem}.md"
    atomic_write(path, text.encode())
    return path


def _carried(names: list[str], shares) -> str:
    """Which factor each active latent carries, from a factor map (its names, shares (D, K)), as the traversal's
    rows name them: "z3 position_x 0.62, ..." (largest share of a factor's entropy at least NAMED), or "none"."""
    found = sorted(((row.max(), f"z{d} {carried(names, row)} {row.max():.2f}") for d, row in enumerate(shares)
                    if carried(names, row)), reverse=True)
    return "latents carrying a factor: " + (", ".join(text for _, text in found) or "none")
