"""Validators by name, in the order they run (and write into the record); each names its module and class,
imported when used."""

from __future__ import annotations

from genlab.models.base import GenerativeModel
from genlab.targets import resolve
from genlab.validation.base import Validator

VALIDATORS: dict[str, str] = {
    "likelihood": "genlab.validation.likelihood:Likelihood",
    "upscale": "genlab.validation.upscale:Upscale",
    "decompose": "genlab.validation.decompose:Decompose",
    "forecast": "genlab.validation.forecast:Forecast",
    "classify": "genlab.validation.classify:Classify",
    "factors": "genlab.validation.factors:Factors",
    "loss": "genlab.validation.loss:Loss",
    "samples": "genlab.validation.samples:Samples",
}


def validators(model: GenerativeModel | type[GenerativeModel] | None = None) -> list[Validator]:
    """The shared validators in order, with `model`'s own (its family's `own_validators`) before the first
    fallback, so a figure of its own keeps the loss fallback from running."""
    shared = [resolve(target)() for target in VALIDATORS.values()]
    own = [resolve(target)() for target in getattr(model, "own_validators", ())]
    first_fallback = next((i for i, validator in enumerate(shared) if validator.fallback), len(shared))
    return shared[:first_fallback] + own + shared[first_fallback:]
