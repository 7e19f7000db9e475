"""Fully connected encoder and decoder for small images, as Chen et al. 2018 (beta-TCVAE) use on dSprites:
the image flattened through two ReLU layers of `hidden` units, and back from the code through three tanh
layers to the parameters of a discrete head (models/likelihoods.py). At 64x64 their 1,200 units hold most
of the model's weights in the first and last layers; a step costs one matrix product per layer, which a CPU
runs near its peak at large batches (the conv pyramid's small convolutions do not)."""

from __future__ import annotations

import torch
from torch import nn


def mlp_encoder(shape: tuple[int, int, int], hidden: int) -> nn.Sequential:
    """(B, C, H, W) on the [-1, 1] scale -> (B, hidden) features."""
    c, h, w = shape
    return nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())


class MLPDecoder(nn.Module):
    """(B, in_features) -> head parameters (B, C * params_per_channel, H, W) through three tanh layers."""

    def __init__(self, shape: tuple[int, int, int], in_features: int, params_per_channel: int, hidden: int):
        super().__init__()
        self.shape = shape
        c, h, w = shape
        self.params_per_channel = params_per_channel
        self.layers = nn.Sequential(nn.Linear(in_features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                    nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, c * params_per_channel * h * w))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        c, h, w = self.shape
        return self.layers(z).view(len(z), c * self.params_per_channel, h, w)  # (B, C * P, H, W)
