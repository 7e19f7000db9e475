"""How well a latent-variable model's codes line up with a dataset's ground-truth factors (dSprites): the
five disentanglement metrics of metrics/disentanglement.py, beside the factors themselves as the
representation (the ceiling each metric's procedure allows) and an untrained encoder of the same family
(the floor).

Metrics are fitted on `factor_points` training-split examples and scored on half as many of the held-out
split (disentanglement_lib's 10,000 and 5,000 by default). Scores are cached by a hash of the codes, so the
two reference rows, the same for every run of a dataset and architecture, are computed once.
"""

from __future__ import annotations

import numpy as np
import torch

from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.errors import UserError
from genlab.files import cached_json
from genlab.metrics.disentanglement import METRICS, Pool, all_metrics
from genlab.models.base import GenerativeModel
from genlab.models.batched import encoded
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.tables import Section, Table

LABELS = {"beta_vae": "BetaVAE", "factor_vae": "FactorVAE", "mig": "MIG", "dci_disentanglement": "DCI dis.",
          "dci_completeness": "DCI comp.", "dci_informativeness": "DCI info.", "sap": "SAP"}
CACHE_VERSION = 2  # bump when a metric's procedure changes


class DisentanglementResult(Result):
    fit_points: int
    score_points: int
    factors: list[str]
    model: dict[str, float]
    ground_truth: dict[str, float]
    untrained: dict[str, float]

    def headline(self) -> tuple[str, float] | None:
        return ("MIG", self.model["mig"]) if "mig" in self.model else None

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


def _scores(fit: Pool, score: Pool, options: Options, n_fit: int, n_score: int) -> dict[str, float]:
    """all_metrics of one representation, cached in $GENLAB_CACHE under a hash of the codes, the factors and
    the options: the metrics are a pure function of them, so the reference rows (the factors themselves, an
    untrained encoder, identical for every run of a dataset and architecture) are computed once."""
    return cached_json("disentanglement", [fit.codes, fit.factors, score.codes, score.factors],
                       [CACHE_VERSION, options.seed, n_fit, n_score, list(options.factor_metrics)],
                       lambda: all_metrics(fit, score, seed=options.seed, num_train=n_fit, num_eval=n_score,
                                           groups=options.factor_metrics))


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
        fit_f, score_f = train.extras["factors"][fit_rows], held_out.extras["factors"][score_rows]

        def scores_of(fit_codes: np.ndarray, score_codes: np.ndarray) -> dict[str, float]:
            return _scores(Pool(fit_codes, fit_f), Pool(score_codes, score_f), options, n_fit, n_score)

        def encoder_scores(model: GenerativeModel) -> dict[str, float]:
            return scores_of(encoded(model, fit_x), encoded(model, score_x))

        with torch.random.fork_rng():
            torch.manual_seed(options.seed)
            untrained = type(run.model)(run.spec, run.model.config).to(run.device)
        spec = run.spec.extra("factors")
        return DisentanglementResult(
            fit_points=n_fit, score_points=n_score, factors=list(spec.names or []),
            model=encoder_scores(run.model), untrained=encoder_scores(untrained),
            ground_truth=scores_of(fit_f.astype(np.float64), score_f.astype(np.float64)))
