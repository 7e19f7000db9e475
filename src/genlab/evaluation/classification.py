"""Test accuracy of a model that predicts labels (a classifier, the semi-supervised M2)."""

from __future__ import annotations

from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.models.batched import predicted_labels
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.tables import Section


class ClassificationResult(Result):
    accuracy: float

    def headline(self) -> tuple[str, float] | None:
        return "accuracy", self.accuracy

    def section(self, header: EvaluationRecord) -> Section:
        return Section("Classification", [f"{header.split.capitalize()} accuracy: {100 * self.accuracy:.2f} %."])


class Classification(Evaluator):
    name = "classification"
    Result = ClassificationResult

    def applies(self, run: Run, options: Options) -> bool:
        return run.model.can_classify

    def evaluate(self, context: Context) -> ClassificationResult:
        held_out = context.held_out
        return ClassificationResult(accuracy=float((predicted_labels(context.run.model, held_out.x) == held_out.y).mean()))
