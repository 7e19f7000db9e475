"""The convolutional encoder and decoder of the VAE family, as parts other latent-variable models reuse.

Same construction as models/vae.py: a stride-2 pyramid of residual stages down to at most 4x4 (widths
doubling per level, capped at 4x), flattened; the decoder mirrors it with nearest-neighbour upsampling and
ends in the parameters of a discrete head (models/likelihoods.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genlab.models.layers import ResBlock, downsampled_sizes, pyramid_widths


class Pyramid:
    """Sizes and widths of the stride-2 pyramid for images (C, H, W) and a base width."""

    def __init__(self, shape: tuple[int, int, int], channels: int):
        c, h, w = shape
        self.in_channels = c
        self.sizes = downsampled_sizes(h, w)  # [(H, W), ..., (hs, ws)]
        self.widths = pyramid_widths(channels, len(self.sizes))
        hs, ws = self.sizes[-1]
        self.flat = self.widths[-1] * hs * ws  # features at the bottom, flattened


def conv_encoder(pyramid: Pyramid, blocks: int, dropout: float = 0.0) -> nn.Sequential:
    """(B, C, H, W) on the [-1, 1] scale -> (B, pyramid.flat) features."""
    widths = pyramid.widths
    layers: list[nn.Module] = [nn.Conv2d(pyramid.in_channels, widths[0], 3, padding=1)]
    for i in range(len(widths) - 1):
        layers += [ResBlock(widths[i], dropout) for _ in range(blocks)]
        layers += [nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1)]
    layers += [ResBlock(widths[-1], dropout) for _ in range(blocks)]
    layers += [nn.SiLU(), nn.Flatten()]
    return nn.Sequential(*layers)


class ConvDecoder(nn.Module):
    """(B, in_features) -> head parameters (B, C * params_per_channel, H, W), mirroring conv_encoder."""

    def __init__(self, pyramid: Pyramid, in_features: int, params_per_channel: int, blocks: int,
                 dropout: float = 0.0):
        super().__init__()
        widths, self.sizes = pyramid.widths, pyramid.sizes
        self.from_latent = nn.Linear(in_features, pyramid.flat)
        self.stages = nn.ModuleList()
        for i in reversed(range(len(self.sizes))):
            stage = [ResBlock(widths[i], dropout) for _ in range(blocks)]
            if i > 0:
                stage.append(nn.Conv2d(widths[i], widths[i - 1], 3, padding=1))
            self.stages.append(nn.Sequential(*stage))
        self.to_params = nn.Sequential(nn.SiLU(), nn.Conv2d(widths[0], pyramid.in_channels * params_per_channel, 1))
        self.bottom_width = widths[-1]

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        hs, ws = self.sizes[-1]
        h = self.from_latent(h).view(len(h), self.bottom_width, hs, ws)  # (B, C', hs, ws)
        for size, stage in zip(reversed(self.sizes), self.stages):
            if h.shape[-2:] != size:
                h = F.interpolate(h, size=size, mode="nearest")
            h = stage(h)
        return self.to_params(h)  # (B, C * params_per_channel, H, W)
