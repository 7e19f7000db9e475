"""`genlab bench molecules`: the molecule generators' MOSES report card, response prediction from few labels
with and without pre-training, and candidates designed for a wanted property, on one CPU budget.

1. Generators: charrnn on SMILES and on SELFIES and the smiles-vae, trained on a MOSES subset, each scored
   on `samples` samples against MOSES' test and scaffold test molecules, beside as many training molecules
   scored the same way (the floor) and the MOSES paper's rows (its full training set, on a GPU).
2. Response: the predictor on the ChEMBL assay's scaffold split with 25, 50, 100, 200 and all 813 measured
   training molecules, from scratch (supervised) and started from the smiles-vae's encoder (pre-trained on
   the unlabelled MOSES molecules, then fine-tuned), beside the random forest on Morgan fingerprints and the
   training mean fitted on the same labels; RMSE and Spearman mean ± std over seeds (each seed its own
   labelled molecules and initial weights).
3. Design: `genlab design` on the smiles-vae for QED and for the predicted activity (the pre-trained
   predictor with every label), beside the best of the training molecules themselves.

Every piece keeps its result beside the page (OUT/molecules/*.json, benchmarks/runs.py's `kept`), so the
benchmark continues piece by piece, on this machine or a fresh one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from genlab.benchmarks.checks import positive
from genlab.benchmarks.runs import kept, train_or_reuse
from genlab.config import RunConfig, load_config
from genlab.evaluation import evaluate, read_evaluation
from genlab.evaluation.molecules import LOWER_IS_BETTER
from genlab.files import atomic_write
from genlab.tables import MISSING, Table, mean_std, number

# label -> (family, tokens): the generators scored.
GENERATORS: dict[str, tuple[str, str]] = {
    "CharRNN (SMILES)": ("charrnn", "smiles"),
    "CharRNN (SELFIES)": ("charrnn", "selfies"),
    "VAE (SMILES)": ("smiles-vae", "smiles"),
}
CARD = {"valid": "Valid", "unique@10k": "Unique@10k", "novelty": "Novelty", "intdiv": "IntDiv",
        "filters": "Filters", "fcd": "FCD/Test", "snn": "SNN/Test", "frag": "Frag/Test", "scaf": "Scaf/Test",
        "fcd/sf": "FCD/TestSF", "snn/sf": "SNN/TestSF"}
# The MOSES paper (Polykovskiy et al. 2020, Tables 2-3: the full 1.58M training set, GPU training).
PAPER: dict[str, dict[str, str]] = {
    "CharRNN (MOSES paper)": {"valid": "0.975", "unique@10k": "0.999", "novelty": "0.842", "fcd": "0.073",
                              "snn": "0.601", "intdiv": "0.856"},
    "VAE (MOSES paper)": {"valid": "0.977", "novelty": "0.695", "fcd": "0.099"},
    "training set (MOSES paper)": {"fcd": "0.008", "snn": "0.642"},
}
BATCH, LR = 64, 1e-3
LABELS = (25, 50, 100, 200, None)  # measured training molecules the predictors learn from; None: all of them
PREDICTOR_BATCH = 32
DESIGN = {"rounds": 10, "batch": 25, "start": 100, "max_sa": 4.5}


def _generator_config(data: str, family: str, tokens: str, steps: int) -> RunConfig:
    return load_config(None, {"data": {"source": data, "tokens": tokens}, "model": {"name": family},
                              "training": {"steps": steps, "batch_size": BATCH, "lr": LR,
                                           "eval_every": min(steps, 2000)}})


def _card(run, samples: int) -> dict:
    """The run's report card ({"model": ..., "train": ...}), reusing a current evaluation of `samples`."""
    evaluation = read_evaluation(run)
    result = None if evaluation is None else evaluation.results.get("molecules")
    if result is None or result.samples != samples:
        result = evaluate(run, iwae_k=1, samples=samples)["molecules"]
    return {"model": result.model, "train": result.train, "reference": result.reference}


def _predictor_config(labels: int | None, seed: int, steps: int, features: Path | None) -> RunConfig:
    batch = PREDICTOR_BATCH if labels is None else min(PREDICTOR_BATCH, labels)
    model = {"name": "predictor"} | ({} if features is None else {"features": str(features)})
    return load_config(None, {"data": {"source": "chembl-assay", "labelled": labels}, "model": model,
                              "training": {"steps": steps, "batch_size": batch, "eval_every": steps},
                              "": {"seed": seed}})


def _portable(config: RunConfig) -> dict:
    """A predictor's config as a record's key: without the path of the VAE it starts from (the key names that
    VAE by its config), so records made under one --out folder are found from another."""
    dumped = config.model_dump(mode="json")
    dumped["model"].pop("features", None)
    return dumped


def _response(run) -> dict:
    evaluation = read_evaluation(run)
    result = None if evaluation is None else evaluation.results.get("response")
    if result is None:
        result = evaluate(run, samples=0)["response"]
    return {"model": result.model, "forest": result.forest, "mean": result.mean, "labels": result.measured_train}


def _best_training(out: Path, vae_run: Callable, config: RunConfig, objective: str, score) -> float:
    """The best score among the training molecules of the VAE (`config`) themselves, the anchor a design
    must beat."""
    from genlab.data.molecule_encoding import smiles_of
    from genlab.metrics.molecules import properties, valid_molecules

    def measure() -> float:
        run = vae_run()
        molecules = valid_molecules(smiles_of(run.spec, run.dataset().train.x))
        return float(np.nanmax(score(molecules, properties(molecules))))

    return kept(out / "molecules" / f"training-best-{objective.split(':')[0]}.json",
                {"data": config.data.model_dump(mode="json"), "objective": objective}, measure)


def molecules(out: Path, *, data: str = "moses:100k", steps: int = 10_000, vae_steps: int = 8_000,
              predictor_steps: int = 300, seeds: int = 3, samples: int = 10_000) -> Path:
    """Train (or reuse) the generators on `data` and the predictors on the assay, design candidates, and
    write molecules.md with the three tables (see the module's docstring)."""
    from genlab.apps.design import design, objective_function

    for option, value, example in (("--steps", steps, "10000"), ("--vae-steps", vae_steps, "8000"),
                                   ("--predictor-steps", predictor_steps, "300"), ("--seeds", seeds, "3"),
                                   ("--samples", samples, "10000")):
        positive(option, value, example)
    out = Path(out)
    records = out / "molecules"

    # 1. the generators' report card
    cards, configs = {}, {}
    for label, (family, tokens) in GENERATORS.items():
        name = f"{data.replace(':', '-')}-{family}-{tokens}"
        config = configs[label] = _generator_config(data, family, tokens, vae_steps if family == "smiles-vae" else steps)
        cards[label] = kept(records / f"{name}.json", {"config": config.model_dump(mode="json"), "samples": samples},
                            lambda: _card(train_or_reuse(out / "runs" / name, config, same_settings=True), samples))
    vae_label = "VAE (SMILES)"
    vae_folder = out / "runs" / f"{data.replace(':', '-')}-smiles-vae-smiles"

    def vae_run():  # trained only when a piece still needs it
        return train_or_reuse(vae_folder, configs[vae_label], same_settings=True)

    # 2. response prediction from few labels
    response: dict[tuple, list[dict]] = {}
    for labels in LABELS:
        for seed in range(seeds):
            for start, features in (("scratch", None), ("pre-trained", vae_folder)):
                name = f"assay-{labels or 'all'}-{start}-{seed}"
                config = _predictor_config(labels, seed, predictor_steps, features)
                key = {"config": _portable(config),
                       "features": None if features is None else configs[vae_label].model_dump(mode="json")}

                def measure(config=config, features=features, name=name) -> dict:
                    if features is not None:
                        vae_run()
                    return _response(train_or_reuse(out / "runs" / name, config, same_settings=True))

                response.setdefault((labels, start), []).append(kept(records / f"{name}.json", key, measure))

    # 3. design for QED and for the predicted activity
    most = LABELS[-1]  # the predictor with the most labels (all of them), pre-trained, seed 0
    predictor = out / "runs" / f"assay-{most or 'all'}-pre-trained-0"
    designs = {}
    for objective in ("qed", f"predicted:{predictor}"):
        short = objective.split(":")[0]
        key = {"vae": configs[vae_label].model_dump(mode="json"), "objective": short, "settings": DESIGN,
               "predictor": None if short == "qed" else response[(most, "pre-trained")][0]}

        def measure(objective=objective, short=short) -> dict:
            if short != "qed" and not predictor.exists():  # the folder went with another machine: train it again
                train_or_reuse(predictor, _predictor_config(most, 0, predictor_steps, vae_folder), same_settings=True)
            result = design(vae_run(), objective, records / f"design-{short}.csv", n=100, seed=0, **DESIGN)
            novel = [c.novel for c in result.candidates]
            return {"top": [c.score for c in result.candidates[:3]], "valid": result.valid / result.decoded,
                    "counted": result.counted / result.decoded, "novel": float(np.mean(novel)) if novel else None,
                    "start_best": result.start_best, "top_smiles": [c.smiles for c in result.candidates[:3]]}

        designs[short] = kept(records / f"design-{short}.json", key, measure)
        if short == "qed":
            designs[short]["training_best"] = _best_training(out, vae_run, configs[vae_label], objective,
                                                             objective_function("qed"))

    return _write(out, data, steps, vae_steps, predictor_steps, seeds, samples, cards, response, designs)


def _write(out: Path, data: str, steps: int, vae_steps: int, predictor_steps: int, seeds: int, samples: int,
           cards: dict, response: dict, designs: dict) -> Path:
    card_rows = [(label, *(number(card["model"].get(m)) for m in CARD)) for label, card in cards.items()]
    first = next(iter(cards.values()))
    card_rows.append((f"{samples:,} training molecules (floor)", *(number(first["train"].get(m)) for m in CARD)))
    card_rows += [(label, *(row.get(m, "") for m in CARD)) for label, row in PAPER.items()]
    columns = [f"{name}{' ↓' if m in LOWER_IS_BETTER else ''}" for m, name in CARD.items()]

    response_rows = []
    for labels in LABELS:
        scratch, pretrained = response[(labels, "scratch")], response[(labels, "pre-trained")]
        shown = scratch[0]["labels"]
        cells = []
        for metric in ("rmse", "spearman"):
            cells += [mean_std([r["model"][metric] for r in scratch]), mean_std([r["model"][metric] for r in pretrained]),
                      mean_std([r["forest"][metric] for r in scratch])]
        response_rows.append((f"{shown}" if labels else f"all ({shown})", *cells,
                              mean_std([r["mean"]["rmse"] for r in scratch])))

    def design_row(label: str, result: dict) -> tuple[str, ...]:
        top = [number(v) for v in result["top"]] + [MISSING] * (3 - len(result["top"]))
        return (f"{label} (SA ≤ {DESIGN['max_sa']:g})", *top, *(number(result.get(k)) for k in
                                                                 ("valid", "novel", "start_best", "training_best")))

    qed = designs["qed"]
    design_rows = [design_row("QED", qed), design_row("predicted activity", designs["predicted"])]
    decodes = DESIGN["start"] + DESIGN["rounds"] * DESIGN["batch"]
    text = "\n".join([
        "# Molecules: the MOSES report card, response from few labels, designed candidates", "",
        f"`genlab bench molecules --data {data} --steps {steps} --vae-steps {vae_steps} --predictor-steps "
        f"{predictor_steps} --seeds {seeds} --samples {samples}`", "",
        "## Generators", "",
        f"charrnn trained {steps:,} steps and the smiles-vae {vae_steps:,} (batch {BATCH}, Adam {LR:g}) on {data}; "
        f"{samples:,} samples each, scored against {first['reference']:,} held-out test molecules (for MOSES data, "
        "drawn from MOSES' 176,074 test molecules, and as many from its scaffold test set: TestSF). ↓: lower is better. The floor row scores as many "
        "training molecules the same way: every metric here is biased at small sample sizes, so the generators read "
        "against it. The paper's rows come from the full 1.58M training molecules and 30,000 samples.", "",
        *Table(("model", *columns), card_rows).markdown(), "",
        "## Response prediction from few labels", "",
        f"RDKit's ChEMBL assay CHEMBL2321810 (1,017 measured activities) on a Bemis-Murcko scaffold split "
        f"(813 / 102 / 102); each predictor trained {predictor_steps:,} steps on that many measured training molecules "
        f"(batch {PREDICTOR_BATCH} or fewer), scored on the 102 test molecules; mean ± std over {seeds} "
        f"seed{'s' if seeds > 1 else ''} (each its own labelled molecules). Scratch: the bi-GRU predictor alone; pre-trained: started from the VAE's encoder "
        "above (learnt from the unlabelled MOSES molecules), then fine-tuned; forest: a random forest on Morgan "
        "fingerprints fitted on the same labels (the field's strong baseline).", "",
        *Table(("labels", "RMSE scratch", "RMSE pre-trained", "RMSE forest", "Spearman scratch",
                "Spearman pre-trained", "Spearman forest", "RMSE training mean"), response_rows).markdown(), "",
        "## Designed candidates", "",
        f"`genlab design` on the VAE above: {DESIGN['start']} encoded training molecules, then {DESIGN['rounds']} "
        f"rounds of {DESIGN['batch']} Bayesian-optimisation proposals ({decodes} decodings); the top three distinct "
        "candidates' scores, the share of decodings that are valid, the share of the 100 best candidates that are "
        "novel, and the best score among the encoded training molecules and among every training molecule. The "
        "predicted activity is the pre-trained predictor's (the most labels, seed 0): a model's opinion, not a "
        "measurement.",
        "", *Table(("objective", "#1", "#2", "#3", "valid", "novel", "best start molecule", "best training molecule"),
                   design_rows).markdown(), "",
        f"Top QED candidates: {', '.join(f'`{s}`' for s in qed['top_smiles']) or 'none'}.", ""])
    path = out / "molecules.md"
    atomic_write(path, text.encode())
    return path
