"""Forecasting families: the frame MSE (OpenSTL's: a frame's squared errors on [0, 1] summed) of the first
FORECAST_LIMIT validation clips' continuations beside holding the last seen frame, and four of them as the
preview (true clips above the forecasts)."""

from __future__ import annotations

import numpy as np

from genlab.data.spec import Split
from genlab.media import save_examples
from genlab.media.video import truth_above_forecast
from genlab.metrics.video import copy_last_frame, frame_scores
from genlab.models.base import GenerativeModel
from genlab.models.batched import forecasts
from genlab.validation.base import Context, Validator

FORECAST_LIMIT = 256  # validation clips a forecasting model continues at each evaluation


class Forecast(Validator):
    name = "forecast"

    def applies(self, model: GenerativeModel) -> bool:
        return model.can_forecast

    def validate(self, model: GenerativeModel, val: Split, context: Context) -> dict:
        clips = np.asarray(val.x[:FORECAST_LIMIT])  # (N, T, C, H, W)
        seen = model.context_frames
        predicted = forecasts(model, clips[:, :seen], clips.shape[1] - seen, seed=context.seed)
        held = copy_last_frame(clips[:, :seen], len(predicted[0]))
        levels = context.spec.levels
        record = {f"val_{name}": float(frame_scores(guess, clips[:, seen:], levels, ("mse",))["mse"].mean())
                  for name, guess in (("frame_mse", predicted), ("copy_last_mse", held))}
        save_examples(context.spec, truth_above_forecast(clips[:4], predicted[:4]), context.preview,
                      nrow=min(4, len(clips)))
        return record
