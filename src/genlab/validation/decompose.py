"""Decomposing families (slots): the reconstruction error (and FG-ARI on data with masks) of the first
DECOMPOSE_LIMIT validation scenes, and an overview of four of them as the preview."""

from __future__ import annotations

import numpy as np

from genlab.data.spec import Split
from genlab.media.decomposition import overview_picture
from genlab.media.grids import save_png
from genlab.metrics.segmentation import ari_per_image
from genlab.models.base import GenerativeModel
from genlab.models.batched import decomposed
from genlab.validation.base import Context, Validator

DECOMPOSE_LIMIT = 256  # validation scenes a decomposing model splits at each evaluation


class Decompose(Validator):
    name = "decompose"

    def applies(self, model: GenerativeModel) -> bool:
        return model.can_decompose

    def validate(self, model: GenerativeModel, val: Split, context: Context) -> dict:
        x = val.x[:DECOMPOSE_LIMIT]
        recon, images, masks = decomposed(model, x, seed=context.seed)
        levels = context.spec.levels
        error = (recon.astype(np.float64) - x) * (2.0 / (levels - 1))  # on the [-1, 1] scale of the training loss
        record = {"val_mse": float(np.mean(error**2))}
        true = val.extras.get("masks")
        if true is not None:
            record["val_fg_ari"] = float(np.nanmean(ari_per_image(true[:DECOMPOSE_LIMIT], masks.argmax(1),
                                                                  foreground_only=True)))
        picture = overview_picture(x[:4], recon[:4], images[:4], masks[:4], levels,
                                   None if true is None else np.asarray(true[:4]))
        save_png(picture, context.preview.with_suffix(".png"))
        return record
