"""Building blocks shared by the convolutional families."""

from __future__ import annotations

import torch
from torch import nn


class ResBlock(nn.Module):
    """Two 3x3 convolutions with a skip; keeps (B, C, H, W)."""

    def __init__(self, channels: int, dropout: float = 0.0):
        super().__init__()
        self.body = nn.Sequential(
            nn.SiLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Conv2d(channels, channels, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def pyramid_widths(base: int, levels: int) -> list[int]:
    """Channel widths down a stride-2 pyramid: doubling per level, capped at 4x the base."""
    return [min(base * 2**i, base * 4) for i in range(levels)]


def downsampled_sizes(height: int, width: int, smallest: int = 4) -> list[tuple[int, int]]:
    """Spatial sizes a stride-2 pyramid passes through, from (H, W) down to at most `smallest`."""
    sizes = [(height, width)]
    while min(sizes[-1]) > smallest:
        h, w = sizes[-1]
        sizes.append(((h + 1) // 2, (w + 1) // 2))
    return sizes
