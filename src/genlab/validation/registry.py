"""Validators by name, in the order they run (and write into the record); each names its module and class,
imported when used."""

from __future__ import annotations

from genlab.targets import resolve
from genlab.validation.base import Validator

VALIDATORS: dict[str, str] = {
    "likelihood": "genlab.validation.likelihood:Likelihood",
    "upscale": "genlab.validation.upscale:Upscale",
    "decompose": "genlab.validation.decompose:Decompose",
    "forecast": "genlab.validation.forecast:Forecast",
    "classify": "genlab.validation.classify:Classify",
    "loss": "genlab.validation.loss:Loss",
    "samples": "genlab.validation.samples:Samples",
}


def validators() -> list[Validator]:
    return [resolve(target)() for target in VALIDATORS.values()]
