"""Classifiers: accuracy on the validation split."""

from __future__ import annotations

from genlab.data.spec import Split
from genlab.models.base import GenerativeModel
from genlab.models.batched import predicted_labels
from genlab.validation.base import VAL_LIMIT, Context, Validator


class Classify(Validator):
    name = "classify"

    def applies(self, model: GenerativeModel) -> bool:
        return model.can_classify

    def validate(self, model: GenerativeModel, val: Split, context: Context) -> dict:
        return {"val_accuracy": float((predicted_labels(model, val.x[:VAL_LIMIT]) == val.y[:VAL_LIMIT]).mean())}

    def describe(self, record: dict) -> str | None:
        if record.get("val_accuracy") is None:
            return None
        return f"validation accuracy: {100 * record['val_accuracy']:.2f} %"
