"""Super-resolution families: the Y-PSNR of the whole validation images from PIL's bicubic downscaling, and
a preview of four (bicubic | model | original)."""

from __future__ import annotations

import numpy as np

from genlab.data.degrade import downscale, upscale_classically
from genlab.data.spec import Split
from genlab.media import save_examples
from genlab.metrics.superres import psnr_y
from genlab.models.base import GenerativeModel
from genlab.models.batched import upscaled
from genlab.validation.base import VAL_LIMIT, Context, Validator


class Upscale(Validator):
    name = "upscale"

    def applies(self, model: GenerativeModel) -> bool:
        return model.can_upscale

    def validate(self, model: GenerativeModel, val: Split, context: Context) -> dict:
        high = val.x[:VAL_LIMIT]  # (N, C, H, W) each
        low = np.stack([downscale(image, model.scale) for image in high])
        outputs = upscaled(model, low)
        psnr = float(np.mean([psnr_y(a[:, :b.shape[1], :b.shape[2]], b) for a, b in zip(high, outputs)]))
        shown = [(upscale_classically(lo, model.scale), out, hi[:, :out.shape[1], :out.shape[2]])
                 for lo, out, hi in zip(low[:4], outputs[:4], high[:4])]
        save_examples(context.spec, np.stack([v for row in shown for v in row]), context.preview, nrow=3)
        return {"val_psnr_y": psnr}

    def describe(self, record: dict) -> str | None:
        if record.get("val_psnr_y") is None:
            return None
        return f"validation: Y-PSNR {record['val_psnr_y']:.2f} dB (whole images, from PIL bicubic downscaling)"
