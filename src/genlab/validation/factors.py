"""Families with a posterior per latent (the VAEs) on data with ground-truth factors (dSprites): the mutual
information gap of the posterior means of the first MIG_POINTS validation images, so a run's learning curve shows whether its latents
come apart, not only whether it reconstructs (the disentanglement probe plots it against steps)."""

from __future__ import annotations

import numpy as np

from genlab.data.spec import Split
from genlab.metrics.disentanglement import Pool, mig
from genlab.models.base import GenerativeModel
from genlab.models.batched import encoded
from genlab.validation.base import Context, Validator

MIG_POINTS = 5000  # validation images binned at each evaluation at most (disentanglement_lib's final MIG: 10,000)


class Factors(Validator):
    name = "factors"

    def applies(self, model: GenerativeModel) -> bool:
        return model.has_latent_kl

    def validate(self, model: GenerativeModel, val: Split, context: Context) -> dict:
        factors = val.extras.get("factors")
        if factors is None:
            return {}
        n = min(MIG_POINTS, len(val))
        codes = encoded(model, val.x[:n])  # (n, D)
        return {"val_mig": mig(Pool(codes, np.asarray(factors[:n])))} if codes.shape[1] > 1 else {}

    def describe(self, record: dict) -> str | None:
        if record.get("val_mig") is None:
            return None
        return f"validation MIG: {record['val_mig']:.3f}"
