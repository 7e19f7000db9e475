"""A super-resolution run on the held-out split: every image downscaled by PIL's antialiased bicubic and
upscaled again by the model and by bicubic and Lanczos, scored by Y-PSNR, SSIM and detail restored (the
protocol of `genlab bench superres`, which measures on eleven whole photos instead of crops)."""

from __future__ import annotations

import numpy as np

from genlab.data.degrade import crop_to_multiple, downscale, upscale_classically
from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.metrics.superres import scores as score
from genlab.models.batched import upscaled
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.tables import Section, Table


class SuperResolutionResult(Result):
    scale: int
    scores: dict[str, dict[str, float]]  # method -> {"psnr_y", "ssim_y", "detail_restored"}, means over images

    def headline(self) -> tuple[str, float] | None:
        return "Y-PSNR dB", list(self.scores.values())[-1]["psnr_y"]  # the model's row comes last

    def section(self, header: EvaluationRecord) -> Section:
        rows = [(method, f"{s['psnr_y']:.2f}", f"{s['ssim_y']:.4f}", f"{s['detail_restored']:.3f}")
                for method, s in self.scores.items()]
        return Section("Super-resolution", [
            f"x{self.scale} on the {header.examples} {header.split} images (PIL bicubic downscaling; Y channel of "
            "BT.601, 4-pixel border). Detail restored: the share of the fine-detail energy lost in downscaling that "
            "the output puts back (1 as much as the original holds)."],
            [Table(("method", "Y-PSNR (dB)", "SSIM", "detail restored"), rows)])


class SuperResolutionScores(Evaluator):
    name = "superres"
    Result = SuperResolutionResult

    def applies(self, run: Run, options: Options) -> bool:
        return run.model.can_upscale

    def evaluate(self, context: Context) -> SuperResolutionResult:
        model, s = context.run.model, context.run.model.scale
        high = np.stack([crop_to_multiple(x, s) for x in context.held_out.x])  # (N, C, H, W)
        low = np.stack([downscale(x, s) for x in high])
        outputs = {"bicubic": [upscale_classically(x, s) for x in low],
                   "lanczos": [upscale_classically(x, s, "lanczos") for x in low],
                   model.name: list(upscaled(model, low))}
        scores = {}
        for method, images in outputs.items():
            values = np.array([score(h, o, b) for h, o, b in zip(high, images, outputs["bicubic"])]).mean(0)
            scores[method] = dict(zip(("psnr_y", "ssim_y", "detail_restored"), map(float, values)))
        return SuperResolutionResult(scale=s, scores=scores)
