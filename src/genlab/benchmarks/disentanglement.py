"""`genlab bench disentanglement`: beta-VAE (beta 1 and 4), beta-TCVAE and FactorVAE on dSprites at one CPU
budget each, over seeds: the five metrics mean ± std beside the ceiling (the factors themselves) and the
floor (an untrained encoder), one traversal picture per model with its factor map (which factor each latent
carries), and the table as JSON beside the page."""

from __future__ import annotations

import json
from pathlib import Path

from genlab.benchmarks.checks import positive
from genlab.benchmarks.disentanglement_probe import RECIPES, probe as probe_recipes
from genlab.benchmarks.runs import train_or_reuse
from genlab.config import load_config
from genlab.errors import UserError
from genlab.evaluation import evaluate, read_evaluation
from genlab.evaluation.disentanglement import LABELS, DisentanglementResult
from genlab.files import atomic_write
from genlab.metrics.disentanglement import METRICS
from genlab.media.traversal import NAMED, carried
from genlab.reports.traversal import factor_map, write_traversal
from genlab.tables import Table, mean_std, spread

# label -> (family, its options). Chen et al. use beta = 6 for beta-TCVAE on dSprites; FactorVAE's gamma is
# in the best range of Kim & Mnih's dSprites sweep.
MODELS: dict[str, tuple[str, dict]] = {
    "VAE (beta-VAE, beta = 1)": ("vae", {"beta": 1.0}),
    "beta-VAE, beta = 4": ("vae", {"beta": 4.0}),
    "beta-TCVAE, beta = 6": ("tcvae", {"tc_weight": 6.0}),
    "FactorVAE, gamma = 35": ("factorvae", {"tc_weight": 35.0}),
}
# Every model: 10 latents, the conv pyramid without residual blocks at base width 16 (about 14 steps/s on
# one core at 32x32), Adam at 1e-3, batch 64.
ARCHITECTURE = {"latent_dim": 10, "channels": 16, "blocks": 0}
LR, BATCH = 1e-3, 64
# disentanglement_lib on dSprites (Locatello et al. 2019, 300k steps per model, over seeds and settings).
ANCHOR = {"beta_vae": "0.6-0.9", "factor_vae": "0.5-0.85", "mig": "0.05-0.35", "dci_disentanglement": "0.1-0.6"}


def _run_name(label: str, seed: int) -> str:
    family, options = MODELS[label]
    setting = "-".join(f"{k}{v:g}" for k, v in options.items())
    return f"dsprites-{family}-{setting}-{seed}"


def _scores(run, points: int) -> tuple[DisentanglementResult, float]:
    """The run's disentanglement result and test bits/dim (ELBO), reusing a current evaluation at `points`."""
    evaluation = read_evaluation(run)
    result = None if evaluation is None else evaluation.results.get("disentanglement")
    if result is None or result.fit_points != min(points, len(run.dataset().train)) or set(result.model) != set(METRICS):
        evaluation = evaluate(run, iwae_k=1, samples=0, factor_points=points)
    return evaluation["disentanglement"], evaluation["likelihood"].bits_per_dim


def disentanglement(out: Path, *, seeds: int = 3, steps: int = 10_000, size: int = 32, points: int = 10_000,
                    probe: bool = False, recipes: str = "") -> Path:
    """Train (or reuse) every model of MODELS for `seeds` seeds on dsprites at `size`, evaluate the five
    metrics on `points` examples, and write disentanglement-dsprites.md with a traversal per model and the
    table as JSON beside it. probe: instead, the candidate `recipes`' (all when empty) MIG curves at `steps`
    steps (benchmarks/disentanglement_probe.py)."""
    positive("--seeds", seeds, "3")
    positive("--steps", steps, "10000")
    positive("--points", points, "10000")
    if size not in (32, 64):
        raise UserError(f"--size {size}: dSprites is drawn at 32 or 64 pixels square; use one of them.")
    out = Path(out)
    if probe:
        return probe_recipes(out, size=size, steps=steps, recipes=recipes or ",".join(RECIPES))
    pictures = out / "disentanglement"
    labels = list(MODELS)
    runs = {}
    for seed in range(seeds):  # seed by seed, so a benchmark stopped early has every model at its first seeds
        for label in labels:
            family, options = MODELS[label]
            config = load_config(None, {"data": {"source": "dsprites", "size": [size, size]},
                                        "model": {"name": family} | ARCHITECTURE | options,
                                        "training": {"steps": steps, "batch_size": BATCH, "lr": LR,
                                                     "eval_every": steps},
                                        "": {"seed": seed}})
            runs[label, seed] = train_or_reuse(out / "runs" / _run_name(label, seed), config, same_settings=True)
    rows, reference, traversals, summary = [], None, [], []
    for label in labels:
        scored = [_scores(runs[label, seed], points) for seed in range(seeds)]
        # The reference rows are the same for every run: the factors, and an untrained encoder, which all
        # four models share (their VAE parts are built first, from the same evaluation seed).
        reference = scored[0][0]
        name = _run_name(label, 0) + ".png"
        factors = factor_map(runs[label, 0], runs[label, 0].dataset().test)  # once, for the picture and the text
        write_traversal(runs[label, 0], pictures / name, images=3, factors=factors)
        traversals.append((label, f"disentanglement/{name}", _carried(*factors)))
        rows.append((label, *(mean_std([result.model[m] for result, _ in scored]) for m in METRICS),
                     mean_std([bits for _, bits in scored])))
        summary.append({"model": label, "family": MODELS[label][0], "options": MODELS[label][1], "seeds": seeds,
                        **{m: spread([result.model[m] for result, _ in scored]) for m in METRICS},
                        "bits_per_dim": spread([bits for _, bits in scored])})
    rows.append(("ground-truth factors (ceiling)", *(f"{reference.ground_truth[m]:.3f}" for m in METRICS), ""))
    rows.append(("untrained encoder (floor)", *(f"{reference.untrained[m]:.3f}" for m in METRICS), ""))
    rows.append(("disentanglement_lib, dSprites (range)", *(ANCHOR.get(m, "") for m in METRICS), ""))
    summary += [{"model": "ground-truth factors (ceiling)", **{m: spread([reference.ground_truth[m]]) for m in METRICS}},
                {"model": "untrained encoder (floor)", **{m: spread([reference.untrained[m]]) for m in METRICS}},
                {"model": "disentanglement_lib, dSprites (range)", "range": ANCHOR}]
    arch = ", ".join(f"{k} {v}" for k, v in ARCHITECTURE.items())
    text = "\n".join([
        f"# Disentanglement on dSprites ({size}x{size})", "",
        f"`genlab bench disentanglement --seeds {seeds} --steps {steps} --size {size} --points {points}`: every model "
        f"trained {steps:,} steps (batch {BATCH}, Adam {LR:g}; {arch}) on genlab's dSprites (100,000 of the 737,280 "
        f"grid combinations); metrics fitted on {reference.fit_points:,} training and scored on "
        f"{reference.score_points:,} test examples with disentanglement_lib's procedures; mean ± std over {seeds} "
        "seeds (sample std). Higher is better for every metric; bits/dim is the test ELBO (lower is better).", "",
        "The ceiling row is each procedure's limit: MIG bins 40 orientations and 32 positions into 20 bins, and SAP's "
        "one-feature linear classifiers separate few of 32 or 40 ordered values, so even the factors themselves "
        "score below 1 there. The anchor row is disentanglement_lib's spread on dSprites over seeds and settings "
        "(Locatello et al. 2019: 64x64, 300,000 GPU steps per model).", "",
        *Table(("model", *(LABELS[m] for m in METRICS), "bits/dim"), rows).markdown(), "",
        "## Traversals (seed 0)", "",
        "One row per latent, the most used first (its KL to the prior at the left); each row sweeps that latent from "
        "-2 to +2 in three test images' codes. At the right, the factor map: each latent's share of each factor's "
        f"entropy (its mutual information with the factor over the factor's entropy, on 10,000 test images, binned "
        f"as MIG bins), the row named after the factor it carries most where that share is at least {NAMED:g}.", "",
        *[line for label, path, carried in traversals
          for line in (f"**{label}**: {carried}", "", f"![{label}]({path})", "")]])
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
