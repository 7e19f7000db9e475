"""The convolutional encoder and decoder disentanglement_lib trains its VAEs with on dSprites (Locatello et al.
2019, after Higgins et al. 2017 and Burgess et al. 2018): 4x4 stride-2 convolutions with ReLU halving the
image down to 4x4 (widths 32, 32, 64, 64), a 256-unit ReLU layer, and the mirror image back through 4x4
stride-2 transposed convolutions to the parameters of a discrete head (models/likelihoods.py).

Every layer is followed by a nonlinearity, so the network is as deep as its stride count; genlab's shared
conv pyramid (models/conv_parts.py) at `blocks=0` is not (its convolutions stack linearly up to one SiLU).
"""

from __future__ import annotations

import torch
from torch import nn

from genlab.errors import UserError

WIDTHS = (32, 32, 64, 64)  # per halving, from full resolution down; repeated 64s below 4 halvings
HIDDEN = 256  # units of the fully connected layer between the 4x4 grid and the code


def _halvings(shape: tuple[int, int, int]) -> int:
    """How many stride-2 layers take (C, H, W) to 4x4; H = W = 4 x a power of two of at least 8 pixels."""
    _, h, w = shape
    n = (h // 4).bit_length() - 1
    if h != w or h < 8 or h != 4 * 2 ** n:
        raise UserError(f"Model options network=strided, broadcast, steered and broadcast-mlp need square images of 8, 16, 32, 64, ... "
                        f"pixels, not {h}x{w}: use --set model.network=conv for this data.")
    return n


def _widths(n: int) -> list[int]:
    return [WIDTHS[min(i, len(WIDTHS) - 1)] for i in range(n)]


def strided_encoder(shape: tuple[int, int, int]) -> nn.Sequential:
    """(B, C, H, W) on the [-1, 1] scale -> (B, HIDDEN) features."""
    widths = _widths(_halvings(shape))
    layers: list[nn.Module] = []
    for before, after in zip([shape[0], *widths], widths):
        layers += [nn.Conv2d(before, after, 4, stride=2, padding=1), nn.ReLU()]  # halves H and W
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(widths[-1] * 16, HIDDEN), nn.ReLU())


class StridedDecoder(nn.Module):
    """(B, in_features) -> head parameters (B, C * params_per_channel, H, W): two ReLU layers to a 4x4 grid,
    then 4x4 stride-2 transposed convolutions doubling it back to full resolution."""

    def __init__(self, shape: tuple[int, int, int], in_features: int, params_per_channel: int):
        super().__init__()
        widths = _widths(_halvings(shape))[::-1]  # from the 4x4 grid up
        self.bottom = widths[0]
        self.to_grid = nn.Sequential(nn.Linear(in_features, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, widths[0] * 16),
                                     nn.ReLU())
        layers: list[nn.Module] = []
        for before, after in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(before, after, 4, stride=2, padding=1), nn.ReLU()]  # doubles H and W
        layers.append(nn.ConvTranspose2d(widths[-1], shape[0] * params_per_channel, 4, stride=2, padding=1))
        self.up = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        grid = self.to_grid(z).view(len(z), self.bottom, 4, 4)  # (B, 64, 4, 4)
        return self.up(grid)  # (B, C * P, H, W)
