"""Families with a posterior per latent (the VAEs) on data with ground-truth factors (dSprites): the mutual
information gap and the FactorVAE score of the posterior means of the first MIG_POINTS validation images, so a
run's learning curve shows whether its latents come apart, not only whether it reconstructs (the
disentanglement probe and benchmark plot them against steps)."""

from __future__ import annotations

import numpy as np

from genlab.data.spec import Split
from genlab.metrics.disentanglement import Pool, factor_vae_score, mig
from genlab.models.base import GenerativeModel
from genlab.models.batched import encoded
from genlab.validation.base import Context, Validator

MIG_POINTS = 5000  # validation images binned at each evaluation at most (disentanglement_lib's final MIG: 10,000)
FIT_SHARE = 0.6  # of those, the FactorVAE score's majority vote is fitted on this share and scored on the rest
VOTES = 2000, 1000  # its fitting and scoring votes (disentanglement_lib's final score: 10,000 and 5,000)


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
        if codes.shape[1] < 2:
            return {}
        pool, cut = Pool(codes, np.asarray(factors[:n])), int(n * FIT_SHARE)
        score = Pool(codes[cut:], pool.factors[cut:])
        return {"val_mig": mig(pool),
                "val_factor_vae": factor_vae_score(pool.first(cut), score, num_train=VOTES[0], num_eval=VOTES[1],
                                                   num_variance_estimate=cut)}

    def describe(self, record: dict) -> str | None:
        if record.get("val_mig") is None:
            return None
        words = f"validation MIG: {record['val_mig']:.3f}"
        if record.get("val_factor_vae") is not None:
            words += f", FactorVAE score {record['val_factor_vae']:.3f}"
        return words
