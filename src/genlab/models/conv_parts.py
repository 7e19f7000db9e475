"""The convolutional parts the VAE, the semi-supervised VAE and the classifier are built from, written once.

A stride-2 pyramid of residual stages down to at most 4x4 (widths doubling per level, capped at 4x): the
`conv_trunk`. The encoder flattens its output (`conv_encoder`); the classifier pools it globally instead.
The decoder (`ConvDecoder`) mirrors it with nearest-neighbour upsampling and ends in the parameters of a
discrete head (models/likelihoods.py).

Parameters are created in the order the layers run, so a model's initial weights (the RNG draws at
construction) and its optimizer's parameter order follow from its layout alone.
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


def conv_trunk(pyramid: Pyramid, blocks: int, dropout: float = 0.0) -> list[nn.Module]:
    """The layers taking (B, C, H, W) on the [-1, 1] scale to (B, widths[-1], hs, ws) at the pyramid's bottom:
    a 3x3 stem, then per resolution `blocks` residual blocks and a stride-2 3x3 convolution to the next
    (none after the last), ending in a SiLU. A flat list, so callers append a head in the same Sequential
    and its state-dict keys stay "N.…"."""
    widths = pyramid.widths
    layers: list[nn.Module] = [nn.Conv2d(pyramid.in_channels, widths[0], 3, padding=1)]
    for i in range(len(widths) - 1):
        layers += [ResBlock(widths[i], dropout) for _ in range(blocks)]
        layers += [nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1)]
    layers += [ResBlock(widths[-1], dropout) for _ in range(blocks)]
    layers += [nn.SiLU()]
    return layers


def conv_encoder(pyramid: Pyramid, blocks: int, dropout: float = 0.0) -> nn.Sequential:
    """(B, C, H, W) on the [-1, 1] scale -> (B, pyramid.flat) features: the trunk, flattened."""
    return nn.Sequential(*conv_trunk(pyramid, blocks, dropout), nn.Flatten())


class ConvDecoder(nn.Module):
    """(B, in_features) -> head parameters (B, C * params_per_channel, H, W), mirroring conv_encoder: a
    linear map to the bottom grid, then per resolution from the bottom up residual blocks and a 3x3
    convolution to the next width (none at full resolution), upsampled (nearest) to each size."""

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
        """h (B, in_features) -> (B, C * params_per_channel, H, W)."""
        hs, ws = self.sizes[-1]
        h = self.from_latent(h).view(len(h), self.bottom_width, hs, ws)  # (B, C', hs, ws)
        for size, stage in zip(reversed(self.sizes), self.stages):
            if h.shape[-2:] != size:
                h = F.interpolate(h, size=size, mode="nearest")
            h = stage(h)
        return self.to_params(h)  # (B, C * params_per_channel, H, W)
