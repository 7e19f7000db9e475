"""Families that sample: a seeded grid of GRID_SIZE samples as the preview (one row per class when
conditional); no figure."""

from __future__ import annotations

import torch

from genlab.data.spec import Split
from genlab.media import save_examples
from genlab.models.base import GenerativeModel
from genlab.validation.base import Context, Validator

GRID_SIZE = 64


class Samples(Validator):
    name = "samples"

    def applies(self, model: GenerativeModel) -> bool:
        return model.can_sample

    def validate(self, model: GenerativeModel, val: Split, context: Context) -> dict:
        labels, row = None, None
        if model.is_conditional:  # one row per class
            row = max(1, GRID_SIZE // model.num_classes)
            labels = torch.arange(model.num_classes, device=context.device).repeat_interleave(row)
        with torch.random.fork_rng(), torch.no_grad():
            torch.manual_seed(context.seed)
            x = model.sample(GRID_SIZE if labels is None else len(labels), labels).cpu().numpy()
        save_examples(context.spec, x, context.preview, nrow=row)
        return {}
