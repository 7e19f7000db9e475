"""SRResNet (Ledig et al. 2017): single-image super-resolution trained on a pixel loss alone, so it predicts
the mean of the plausible high-resolution images: the best PSNR, and the blur that comes with averaging.
The network and paired crops are models/superres.py; `genlab upscale RUN IMAGE` applies it."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

from genlab.models.superres import SuperResolution, SuperResolutionConfig


class SRResNetConfig(SuperResolutionConfig):
    pixel_loss: Literal["l1", "mse"] = "l1"  # L1 trains sharper and steadier than MSE (EDSR); MSE is the paper's


class SRResNet(SuperResolution):
    name = "srresnet"
    Config = SRResNetConfig

    def loss(self, batch: dict) -> dict:
        low, high = self.pairs(batch)  # (B, C, crop/s, crop/s), (B, C, crop, crop) on [-1, 1]
        output = self.upscale(low)
        mse = F.mse_loss(output, high)
        loss = F.l1_loss(output, high) if self.config.pixel_loss == "l1" else mse
        return {"loss": loss, "psnr": (10 * torch.log10(4.0 / mse)).detach()}  # [-1, 1]: peak-to-peak 2
