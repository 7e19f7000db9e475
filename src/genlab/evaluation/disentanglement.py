"""How well a latent-variable model's codes line up with a dataset's ground-truth factors (dSprites): the
five disentanglement metrics of metrics/disentanglement.py, beside the factors themselves as the
representation (the ceiling each metric's procedure allows) and an untrained encoder of the same family
(the floor).

Metrics are fitted on `factor_points` training-split examples and scored on half as many of the held-out
split (disentanglement_lib's 10,000 and 5,000 by default). The two reference rows depend only on the data
(and the family's untrained weights), so they are cached in $GENLAB_CACHE and computed once per dataset.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import torch

from genlab.data.spec import Split
from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.errors import UserError
from genlab.files import cache_root, read_json, write_json
from genlab.metrics.disentanglement import METRICS, Pool, all_metrics
from genlab.models.base import GenerativeModel
from genlab.models.batched import encoded
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.tables import Section, Table

LABELS = {"beta_vae": "BetaVAE", "factor_vae": "FactorVAE", "mig": "MIG", "dci_disentanglement": "DCI dis.",
          "dci_completeness": "DCI comp.", "dci_informativeness": "DCI info.", "sap": "SAP"}
CACHE_VERSION = 1  # bump when a metric's procedure changes


class DisentanglementResult(Result):
    fit_points: int
    score_points: int
    factors: list[str]
    model: dict[str, float]
    ground_truth: dict[str, float]
    untrained: dict[str, float]

    def section(self, header: EvaluationRecord) -> Section:
        rows = [(label, *(f"{scores[m]:.3f}" if m in scores else "—" for m in METRICS)) for label, scores in
                ((header.model, self.model), ("ground-truth factors (ceiling)", self.ground_truth),
                 (f"untrained {header.model} encoder (floor)", self.untrained))]
        return Section("Disentanglement: do the latents line up with the factors?", [
            f"Factors: {', '.join(self.factors)}. Fitted on {self.fit_points:,} training examples, scored on "
            f"{self.score_points:,} {header.split} examples (disentanglement_lib's procedures). Higher is better; "
            "the ceiling row is each procedure's own limit (MIG bins a factor with more than 20 values into 20; "
            "SAP's one-feature linear classifiers separate few of 32 or 40 ordered values)."],
            [Table(("representation", *(LABELS[m] for m in METRICS)), rows)])


def _pool(codes: np.ndarray, split: Split, rows: np.ndarray) -> Pool:
    return Pool(codes, split.extras["factors"][rows])


def _cached(key: dict, compute) -> dict[str, float]:
    """compute() stored under a hash of `key` in the cache, so reference rows are computed once."""
    digest = hashlib.sha256(json.dumps(key | {"version": CACHE_VERSION}, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_root() / "disentanglement" / f"{digest}.json"
    if path.exists():
        return read_json(path)
    scores = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, scores)
    return scores


class Disentanglement(Evaluator):
    name = "disentanglement"
    Result = DisentanglementResult

    def applies(self, run: Run, options: Options) -> bool:
        names = {e.name for e in run.spec.extras}
        return run.model.has_latent and "factors" in names and options.factor_points > 0

    def evaluate(self, context: Context) -> DisentanglementResult:
        run, options = context.run, context.options
        train, held_out = context.data.train, context.held_out
        n_fit = min(options.factor_points, len(train))
        n_score = min(max(1, options.factor_points // 2), len(held_out))
        if n_fit < 2 or n_score < 2:
            raise UserError(f"--factor-points {options.factor_points} leaves too few examples to fit the metrics: "
                            "use at least 4.")
        rng = np.random.default_rng(options.seed)
        fit_rows = np.sort(rng.permutation(len(train))[:n_fit])
        score_rows = np.sort(rng.permutation(len(held_out))[:n_score])
        fit_x, score_x = train.x[fit_rows], held_out.x[score_rows]

        def scores_of(model: GenerativeModel) -> dict[str, float]:
            return all_metrics(_pool(encoded(model, fit_x), train, fit_rows),
                               _pool(encoded(model, score_x), held_out, score_rows),
                               seed=options.seed, num_train=n_fit, num_eval=n_score, groups=options.factor_metrics)

        def ground_truth() -> dict[str, float]:
            fit_f, score_f = train.extras["factors"][fit_rows], held_out.extras["factors"][score_rows]
            return all_metrics(Pool(fit_f.astype(np.float64), fit_f), Pool(score_f.astype(np.float64), score_f),
                               seed=options.seed, num_train=n_fit, num_eval=n_score, groups=options.factor_metrics)

        def untrained() -> dict[str, float]:
            with torch.random.fork_rng():
                torch.manual_seed(options.seed)
                fresh = type(run.model)(run.spec, run.model.config).to(run.device)
            return scores_of(fresh)

        key = {"data": run.config.data.model_dump(mode="json"), "spec": run.spec.to_dict(),
               "split": options.split, "points": options.factor_points, "seed": options.seed,
               "metrics": list(options.factor_metrics)}
        spec = run.spec.extra("factors")
        return DisentanglementResult(
            fit_points=n_fit, score_points=n_score, factors=list(spec.names or []),
            model=scores_of(run.model), ground_truth=_cached(key | {"row": "ground truth"}, ground_truth),
            untrained=_cached(key | {"row": "untrained", "model": run.model.name,
                                     "config": run.model.config.model_dump(mode="json")}, untrained))
