"""Evaluators by name, in the order they run and show. Each entry names the module and class, imported only
when used. Bayes-rule classification comes first: a run that cannot be classified that way is refused
before any long computation."""

from __future__ import annotations

import importlib

from genlab.evaluation.base import Evaluator

EVALUATORS: dict[str, str] = {
    "bayes": "genlab.evaluation.bayes:BayesClassification",
    "likelihood": "genlab.evaluation.likelihood:Likelihood",
    "classification": "genlab.evaluation.classification:Classification",
    "codec": "genlab.evaluation.codec:CodecRateDistortion",
    "superres": "genlab.evaluation.superres:SuperResolutionScores",
    "disentanglement": "genlab.evaluation.disentanglement:Disentanglement",
    "objects": "genlab.evaluation.objects:Objects",
    "molecules": "genlab.evaluation.molecules:Molecules",
    "response": "genlab.evaluation.response:Response",
    "speech": "genlab.evaluation.speech:Speech",
    "forecast": "genlab.evaluation.forecast:Forecast",
    "samples": "genlab.evaluation.samples:SampleQuality",
    "clips": "genlab.evaluation.clips:ClipQuality",
    "inpainting": "genlab.evaluation.inpainting:Inpainting",
}


def evaluator(name: str) -> Evaluator:
    module, cls = EVALUATORS[name].split(":")
    return getattr(importlib.import_module(module), cls)()


def evaluators() -> list[Evaluator]:
    return [evaluator(name) for name in EVALUATORS]
