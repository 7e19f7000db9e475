"""Families nothing else measures (tts, vocoder): the mean of each of the model's loss terms over up to VAL_LIMIT
validation examples, as val_<term> (no gradient, eval mode, seeded)."""

from __future__ import annotations

import numpy as np
import torch

from genlab.data.spec import Split
from genlab.models.base import GenerativeModel
from genlab.models.batched import make_batch
from genlab.validation.base import VAL_LIMIT, Context, Validator


class Loss(Validator):
    name = "loss"
    fallback = True

    def applies(self, model: GenerativeModel) -> bool:
        return not model.can_sample  # a sampling family is judged by its samples (the preview), not its loss

    def validate(self, model: GenerativeModel, val: Split, context: Context) -> dict:
        val, _ = model.training_examples(val)  # of the kind it trains on (the tts: not too long to attend to)
        n = min(VAL_LIMIT, len(val))
        totals: dict[str, float] = {}
        with torch.random.fork_rng(), torch.no_grad():
            torch.manual_seed(context.seed)
            for start in range(0, n, context.batch_size):
                idx = np.arange(start, min(n, start + context.batch_size))
                for name, value in model.loss(make_batch(val, idx, context.device)).items():
                    totals[name] = totals.get(name, 0.0) + float(value) * len(idx)
        return {f"val_{name}": total / n for name, total in totals.items()}
