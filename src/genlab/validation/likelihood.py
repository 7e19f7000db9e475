"""Families with a likelihood: the validation split's negative log-likelihood (its bound) per example and in
bits per dim (per token for sequences)."""

from __future__ import annotations

from genlab.data.spec import Split
from genlab.models.base import GenerativeModel
from genlab.models.batched import log_likelihood
from genlab.units import bits_per_dim
from genlab.validation.base import VAL_LIMIT, Context, Validator


class Likelihood(Validator):
    name = "likelihood"

    def applies(self, model: GenerativeModel) -> bool:
        return model.has_likelihood

    def validate(self, model: GenerativeModel, val: Split, context: Context) -> dict:
        x, y = val.x[:VAL_LIMIT], None if val.y is None else val.y[:VAL_LIMIT]
        nats, bound = log_likelihood(model, x, y, seed=context.seed)  # (N,) each example's log p (its bound)
        units = context.spec.units_per_example(x)  # dims, or tokens for sequences
        record = {"val_nll": -float(nats.mean()), "val_bpd": float(bits_per_dim(-nats.mean(), units)), "bound": bound}
        if context.spec.unit != "dim":  # val_bpd is then bits per token
            record["unit"] = context.spec.unit
        return record

    def describe(self, record: dict) -> str | None:
        if record.get("val_bpd") is None:  # a codec's val_bpd is its loss's rate term, logged with no bound
            return None
        bound = record.get("bound")
        figure = f"validation: {record['val_bpd']:.3f} bits/{record.get('unit', 'dim')}"
        return figure + (f" ({bound})" if bound else "")
