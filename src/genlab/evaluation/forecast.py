"""How well a run continues held-out clips (video data, models that forecast): MSE, MAE, SSIM and PSNR of the
predicted frames against the true ones (metrics/video.py, OpenSTL's conventions), beside the trivial
forecast that holds the last seen frame, which any model that learnt motion must beat. A picture: the first
clips' true continuation above the model's, as an animation (report/forecast.gif)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.media.video import save_clips, truth_above_forecast
from genlab.metrics.video import METRICS, copy_last_frame, prediction_scores
from genlab.models.batched import forecasts
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.tables import Section, Table, number

SHOWN = 4  # clips in the picture
PICTURE = Path("report/forecast.gif")


class ForecastResult(Result):
    clips: int
    context: int  # frames seen
    frames: int  # frames predicted
    model: dict[str, float]
    copy_last: dict[str, float]
    model_by_frame: list[float]  # MSE of each predicted frame, 1..frames ahead
    copy_last_by_frame: list[float]
    picture: bool = False

    def headline(self) -> tuple[str, float] | None:
        return "frame MSE", self.model["mse"]

    def section(self, header: EvaluationRecord) -> Section:
        rows = [(label, *(number(scores[m], 3 if m == "ssim" else 2) for m in METRICS)) for label, scores in
                ((header.model, self.model), ("copy the last seen frame (baseline)", self.copy_last))]
        ahead = ", ".join(f"{m:.1f}" for m in self.model_by_frame)
        return Section("Forecast: the next frames of held-out clips", [
            f"{self.clips:,} {header.split} clips: {self.context} frames seen, the next {self.frames} predicted. MSE "
            "and MAE sum a frame's errors on [0, 1] over its pixels (OpenSTL's convention), averaged over frames; "
            f"SSIM and PSNR per frame, averaged. The model's MSE 1..{self.frames} frames ahead: {ahead}."],
            [Table(("forecast", *METRICS.values()), rows)],
            pictures=[("true continuation (top) and the model's (bottom)", PICTURE)] if self.picture else [])


class Forecast(Evaluator):
    name = "forecast"
    Result = ForecastResult

    def applies(self, run: Run, options: Options) -> bool:
        return run.model.can_forecast and run.spec.modality == "video" and options.clips > 0

    def evaluate(self, context: Context) -> ForecastResult:
        run, options = context.run, context.options
        held_out = context.held_out
        seen = run.model.context_frames
        clips = np.asarray(held_out.x[: min(options.clips, len(held_out))])  # (N, T, C, H, W)
        frames = clips.shape[1] - seen
        predicted = forecasts(run.model, clips[:, :seen], frames, seed=options.seed)
        model, model_by_frame = prediction_scores(predicted, clips[:, seen:], run.spec.levels)
        copy_last, copy_last_by_frame = prediction_scores(copy_last_frame(clips[:, :seen], frames), clips[:, seen:],
                                                          run.spec.levels)
        if options.write:
            save_clips(truth_above_forecast(clips[:SHOWN], predicted[:SHOWN]), run.spec.levels,
                       run.folder.path / PICTURE, nrow=min(SHOWN, len(clips)))
        return ForecastResult(clips=len(clips), context=seen, frames=frames, model=model, copy_last=copy_last,
                              model_by_frame=model_by_frame, copy_last_by_frame=copy_last_by_frame,
                              picture=options.write)
