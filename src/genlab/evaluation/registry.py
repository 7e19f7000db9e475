"""Evaluators by name, in the order they run and show. Each entry names the module and class, imported only
when used, and declares the evaluator's options (genlab/options.py): `evaluate()`'s keywords, their checks and
`genlab evaluate`'s flags all follow from them. An option several evaluators read (the number of samples) is
declared once, by the first that needs it. Bayes-rule classification comes first: a run that cannot be
classified that way is refused before any long computation.

Free of torch, so the command line builds its flags from here without it."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from genlab.options import Option
from genlab.targets import resolve

if TYPE_CHECKING:
    from genlab.evaluation.base import Evaluator


class Entry(NamedTuple):
    target: str  # "module:Class"
    options: tuple[Option, ...] = ()


# metrics/disentanglement.GROUPS, named here so this registry stays free of numpy (a test checks they agree)
FACTOR_METRICS = ("beta_vae", "factor_vae", "mig", "dci", "sap")

EVALUATORS: dict[str, Entry] = {
    "bayes": Entry("genlab.evaluation.bayes:BayesClassification", (
        Option("classify", False, "Also classify the test split by Bayes' rule, argmax_y log p(x|y) + log p(y) "
               "(class-conditional likelihood models)."),)),
    "likelihood": Entry("genlab.evaluation.likelihood:Likelihood", (
        Option("iwae_k", 100, "Importance samples for the IWAE bound (latent models; 1 = ELBO only).", flag="--iwae",
               minimum=1),)),
    "classification": Entry("genlab.evaluation.classification:Classification"),
    "codec": Entry("genlab.evaluation.codec:CodecRateDistortion"),
    "superres": Entry("genlab.evaluation.superres:SuperResolutionScores"),
    "disentanglement": Entry("genlab.evaluation.disentanglement:Disentanglement", (
        Option("factor_points", 10_000, "Data with factors (dsprites): training examples the disentanglement metrics "
               "fit on, half as many test examples scored (disentanglement_lib's sizes; 0 skips them).", minimum=0),
        Option("factor_metrics", ",".join(FACTOR_METRICS), "Which disentanglement metrics (comma-separated). DCI's "
               "gradient-boosted trees are the slow one: minutes per representation at 10,000 points on one core.",
               kind="names", choices=FACTOR_METRICS))),
    "objects": Entry("genlab.evaluation.objects:Objects", (
        Option("scenes", 1000, "Data with object masks (tetrominoes, multi-dsprites): test scenes a decomposing model "
               "(slots) is scored on, FG-ARI beside the k-means floor (0 skips them).", minimum=0),)),
    "molecules": Entry("genlab.evaluation.molecules:Molecules"),
    "response": Entry("genlab.evaluation.response:Response"),
    "speech": Entry("genlab.evaluation.speech:Speech", (
        Option("utterances", 20, "Speech runs (tts, vocoder): test sentences said and scored against their "
               "recordings, MCD, log-F0 RMSE, V/UV error, real-time factor (0 skips them).", minimum=0),)),
    "forecast": Entry("genlab.evaluation.forecast:Forecast", (
        Option("clips", 1000, "Video runs that forecast (video-predict): test clips continued from their first frames "
               "and scored, MSE, MAE, SSIM, PSNR beside holding the last seen frame (0 skips them).", minimum=0),)),
    "samples": Entry("genlab.evaluation.samples:SampleQuality", (
        Option("samples", 1000, "Samples for the quality and novelty metrics of images, clips and molecules (at most "
               "the test split's size; 0 skips them).", minimum=0),)),
    "clips": Entry("genlab.evaluation.clips:ClipQuality"),
    "inpainting": Entry("genlab.evaluation.inpainting:Inpainting", (
        Option("inpaint", 0, "Runs that inpaint (diffusion, pixelcnn): test images whose lower half is hidden and "
               "filled, scored as samples are beside the originals, and their bits/dim (0, the default, skips it: "
               "RePaint takes minutes).", minimum=0),)),
}


def evaluator(name: str) -> Evaluator:
    return resolve(EVALUATORS[name].target)()


def evaluators() -> list[Evaluator]:
    return [evaluator(name) for name in EVALUATORS]


def declared_options() -> list[Option]:
    """Every evaluator's options, in the registry's order."""
    return [option for entry in EVALUATORS.values() for option in entry.options]
