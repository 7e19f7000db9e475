"""How well a predictor predicts a measured response on held-out molecules: RMSE and Spearman's rank
correlation (metrics/response.py), beside the field's strong baseline — a random forest on Morgan
fingerprints fitted on the same measured training molecules — and the training mean (the trivial floor)."""

from __future__ import annotations

import numpy as np

from genlab.data.molecule_encoding import smiles_of
from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.files import cached_json
from genlab.metrics.response import fingerprint_forest, response_scores
from genlab.models.batched import predictions
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.tables import Section, Table, number


class ResponseResult(Result):
    target: str
    measured_train: int  # training molecules whose property the model saw
    scored: int
    model: dict[str, float]
    forest: dict[str, float]
    mean: dict[str, float]

    def headline(self) -> tuple[str, float] | None:
        return "RMSE", self.model["rmse"]

    def section(self, header: EvaluationRecord) -> Section:
        rows = [(label, number(s["rmse"]), number(s["spearman"]))
                for label, s in ((header.model, self.model),
                                 ("random forest on Morgan fingerprints (baseline)", self.forest),
                                 ("the training mean (floor)", self.mean))]
        return Section(f"Response: predicted {self.target}", [
            f"{self.scored} {header.split} molecules; every row learnt from the same {self.measured_train} measured "
            "training molecules. RMSE: lower is better; Spearman: rank correlation with the measurements."],
            [Table(("predictor", "RMSE", "Spearman"), rows)])


class Response(Evaluator):
    name = "response"
    Result = ResponseResult

    def applies(self, run: Run, options: Options) -> bool:
        return run.model.can_predict

    def evaluate(self, context: Context) -> ResponseResult:
        run, train, held_out = context.run, context.data.train, context.held_out
        column = run.model.column
        measured = np.isfinite(train.extras["properties"][:, column])
        truth = held_out.extras["properties"][:, column]
        scored = np.isfinite(truth)
        values = train.extras["properties"][measured, column]
        train_smiles, test_smiles = smiles_of(run.spec, train.x[measured]), smiles_of(run.spec, held_out.x[scored])
        # a pure function of the labelled molecules: fitted once per label set, not once per predictor run
        forest = np.asarray(cached_json("response", [values], ["forest", train_smiles, test_smiles, context.options.seed],
                                        lambda: fingerprint_forest(train_smiles, values, test_smiles,
                                                                   seed=context.options.seed).tolist()))
        return ResponseResult(
            target=run.spec.extra("properties").names[column], measured_train=int(measured.sum()),
            scored=int(scored.sum()), model=response_scores(truth[scored], predictions(run.model, held_out.x[scored])),
            forest=response_scores(truth[scored], forest),
            mean=response_scores(truth[scored], np.full(int(scored.sum()), values.mean())))
