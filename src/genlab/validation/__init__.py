"""What the trainer measures on the validation split every `eval_every` steps, and the preview it draws: one
validator per capability (likelihood, upscaling, decomposition, forecasting, classification, sampling), each
in its own file and one line of registry.py, chosen by the capabilities a family declares. The trainer calls
validate() and knows none of them, so training/ imports no application metric. A capability only one family
has brings its validator in the family's own module (GenerativeModel.own_validators).

Why validators by capability rather than a validation_step per family (Lightning's way): capabilities are
shared (four image families have a likelihood, srresnet and srgan both upscale), so a family gets its
validation from what it can do, with no code of its own and none repeated; a new capability brings its
validator, and its families need no change.
"""

from __future__ import annotations

from genlab.data.spec import Split
from genlab.models.base import GenerativeModel
from genlab.validation.base import Context
from genlab.validation.registry import validators

__all__ = ["Context", "describe", "validate"]


def validate(model: GenerativeModel, val: Split, context: Context) -> dict:
    """The validation figures of `model` (in eval mode) on `val`, under the keys the trainer has always logged
    (val_bpd, val_psnr_y, val_fg_ari, ...), from every validator that applies, in the registry's order; a
    fallback validator runs only when none before it recorded a figure. Previews go to context.preview."""
    record: dict = {}
    for validator in validators(model):
        if validator.applies(model) and not (validator.fallback and record):
            record.update(validator.validate(model, val, context))
    return record


def describe(record: dict, family: type[GenerativeModel] | None = None) -> list[str]:
    """A validation record's figures in words (what `genlab train` prints at the end), one line per validator
    (the shared ones and `family`'s own) whose figures are in it."""
    return [line for validator in validators(family) if (line := validator.describe(record)) is not None]
