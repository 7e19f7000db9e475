"""What the super-resolution families share: paired training crops made on the fly, the SRResNet network,
and the protocol method `upscale`.

Training data are high-resolution (HR) images (the `photos` built-in's 128x128 crops, or an image folder
loaded at one size with --size); each step cuts a random `crop` x `crop` window from every image, flips and
turns it by a random multiple of 90 degrees, and makes its low-resolution (LR) partner by antialiased bicubic downscaling rounded to 8-bit
levels, as a photo file would be. torch's `interpolate(..., antialias=True)` matches PIL's BICUBIC (and so
MATLAB's `imresize`) to about 58 dB on photos; without `antialias` it scores 0.8-1.2 dB lower, so it is never
used for the degradation. Evaluation makes its LR images with PIL itself (data/degrade.py).

The network (Ledig et al. 2017, SRResNet): a 9x9 convolution, `blocks` residual blocks of two 3x3
convolutions, a convolution and a long skip, one pixel-shuffle x2 stage per factor of two, a 9x9 convolution
to RGB. Two departures, both for a CPU budget: no batch norm (EDSR, Lim et al. 2017: it costs time and
lowers PSNR in super-resolution), and the network predicts the residual over the bicubic upscaling of its
input (VDSR, Kim et al. 2016), so it starts from bicubic instead of from grey and converges far sooner.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.base import GenerativeModel, ModelConfig, to_unit_range


class SuperResolutionConfig(ModelConfig):
    scale: Literal[2, 4] = 4  # upscaling factor
    channels: int = Field(64, gt=0)  # width of the residual trunk
    blocks: int = Field(16, ge=0)  # residual blocks
    crop: int = Field(96, gt=0)  # side of the high-resolution training crops (SRGAN: 96)


def bicubic(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Antialiased bicubic resize of (B, C, H, W) floats to `size` (PIL's BICUBIC to about 58 dB)."""
    return F.interpolate(x, size=size, mode="bicubic", antialias=True, align_corners=False)


def degrade(high: torch.Tensor, scale: int, levels: int) -> torch.Tensor:
    """The low-resolution partner (B, C, H/s, W/s) of HR images (B, C, H, W) on the [-1, 1] scale: antialiased
    bicubic downscaling, rounded to the level grid (an LR photo is an 8-bit file too)."""
    h, w = high.shape[-2:]
    low = bicubic(high, (h // scale, w // scale)).clamp(-1, 1)
    step = 2.0 / (levels - 1)
    return torch.round((low + 1) / step) * step - 1


def augmented_crops(x: torch.Tensor, crop: int) -> torch.Tensor:
    """A random crop x crop window of every image (B, C, H, W), randomly flipped and turned by a multiple of
    90 degrees: (B, C, crop, crop). Uses torch's global RNG (the trainer seeds it every step)."""
    b, _, h, w = x.shape
    tops = torch.randint(0, h - crop + 1, (b,), device=x.device).tolist()
    lefts = torch.randint(0, w - crop + 1, (b,), device=x.device).tolist()
    turns = torch.randint(0, 4, (b,), device=x.device).tolist()
    flips = torch.randint(0, 2, (b,), device=x.device).tolist()
    out = []
    for image, top, left, turn, flip in zip(x, tops, lefts, turns, flips):
        window = image[:, top : top + crop, left : left + crop]  # (C, crop, crop)
        window = torch.rot90(window, turn, dims=(1, 2))
        out.append(window.flip(2) if flip else window)
    return torch.stack(out)


class ResidualBlock(nn.Module):
    """conv 3x3, PReLU, conv 3x3, plus the input: (B, C, h, w) -> same."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.PReLU(channels),
                                  nn.Conv2d(channels, channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SRResNetGenerator(nn.Module):
    """LR (B, C, h, w) on [-1, 1] -> HR (B, C, s*h, s*w): bicubic upscaling plus a learned residual."""

    def __init__(self, image_channels: int, channels: int, blocks: int, scale: int):
        super().__init__()
        self.scale = scale
        self.head = nn.Sequential(nn.Conv2d(image_channels, channels, 9, padding=4), nn.PReLU(channels))
        self.trunk = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks)],
                                   nn.Conv2d(channels, channels, 3, padding=1))
        self.upsample = nn.Sequential(*[
            nn.Sequential(nn.Conv2d(channels, 4 * channels, 3, padding=1), nn.PixelShuffle(2), nn.PReLU(channels))
            for _ in range(scale.bit_length() - 1)  # log2(scale) stages of x2
        ])
        self.tail = nn.Conv2d(channels, image_channels, 9, padding=4)
        nn.init.zeros_(self.tail.weight)  # starts as the bicubic upscaling exactly
        nn.init.zeros_(self.tail.bias)

    def forward(self, low: torch.Tensor) -> torch.Tensor:
        features = self.head(low)  # (B, channels, h, w)
        features = features + self.trunk(features)  # long skip
        residual = self.tail(self.upsample(features))  # (B, C, s*h, s*w)
        return F.interpolate(low, scale_factor=self.scale, mode="bicubic", align_corners=False) + residual


class SuperResolution(GenerativeModel):
    """Base of the super-resolution families: the generator network, paired crops, `upscale`. Subclasses
    implement `loss` on (low, high) pairs from `pairs`."""

    Config = SuperResolutionConfig
    can_condition = False

    def __init__(self, spec: DatasetSpec, config: SuperResolutionConfig):
        super().__init__(spec, config)
        c, h, w = spec.shape
        if config.crop % config.scale:
            raise UserError(f"model.crop={config.crop} is not a multiple of model.scale={config.scale}: use e.g. 96.")
        if min(h, w) < config.crop:
            raise UserError(f"Images of {spec.name} are {h}x{w}, smaller than model.crop={config.crop}: lower "
                            "model.crop or use larger images.")
        self.generator = SRResNetGenerator(c, config.channels, config.blocks, config.scale)

    @property
    def scale(self) -> int:
        return self.config.scale

    def pairs(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """(low (B, C, crop/s, crop/s), high (B, C, crop, crop)) on [-1, 1] from a batch of HR images."""
        high = augmented_crops(to_unit_range(batch["x"], self.spec.levels), self.config.crop)
        return degrade(high, self.scale, self.spec.levels), high

    def upscale(self, low: torch.Tensor) -> torch.Tensor:
        """Low-resolution images (B, C, h, w) on [-1, 1] -> (B, C, s*h, s*w) on the same scale (unclamped)."""
        return self.generator(low)
