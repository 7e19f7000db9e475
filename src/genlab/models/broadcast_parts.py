"""A spatial broadcast decoder (Watters et al. 2019) sized for a CPU: the code is tiled over a grid at half the
image's resolution beside two fixed coordinate channels (x and y in [-1, 1]), each cell maps (code, x, y)
through the same small ReLU network (1x1 convolutions), and one 4x4 stride-2 transposed convolution doubles
the grid to the parameters of a discrete head (models/likelihoods.py).

Why: a deconvolutional decoder must route an object's position through its upsampling, and the VAE's latents
for position x and y come out mixed (beta-TCVAE on 64x64 dSprites, seed 0: each latent following a tilted
blend of the two). Here every cell sees its own coordinates, so drawing an object at (x, y) is the same
function of (code - position) everywhere: Watters et al. report positional factors coming apart, most of all
for small objects. Their decoder runs four 3x3 convolutions of 64 channels at full resolution (about 3.6
GFLOP an image, forward and backward): 1x1 layers at half resolution cost about what the strided decoder
does (models/strided_parts.py); the transposed convolution adds the little spatial context left.
"""

from __future__ import annotations

import torch
from torch import nn

WIDTH = 64  # channels of each cell's network
LAYERS = 3  # ReLU layers of each cell's network


class BroadcastDecoder(nn.Module):
    """(B, in_features) -> head parameters (B, C * params_per_channel, H, W) for images of even H and W.

    Each first-layer unit is a half-plane n . (x, y) + b(z) whose offset the code sets; later layers intersect
    them, so a convex shape is drawn through its offsets. Linear in the code (the plain decoder), those offsets
    can follow position and size but not a turn or a change of shape, whose offsets are nonlinear in any
    code: it draws squares and hearts as round blobs. Two ways out:
    steered: the coordinates' weights also depend on the code (a (WIDTH, 2) matrix per image from a linear
    layer, zero at the start), so each half-plane's direction n(z) turns with the code;
    code_hidden > 0: the code reaches the first layer through a ReLU layer of that many units, so the offsets
    are any function of it."""

    def __init__(self, shape: tuple[int, int, int], in_features: int, params_per_channel: int, steered: bool = False,
                 code_hidden: int = 0):
        super().__init__()
        channels, h, w = shape
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h // 2), torch.linspace(-1, 1, w // 2), indexing="ij")
        self.register_buffer("coordinates", torch.stack([xs, ys])[None], persistent=False)  # (1, 2, H/2, W/2)
        # the code's part of the first layer, once per image
        self.from_code = (nn.Sequential(nn.Linear(in_features, code_hidden), nn.ReLU(), nn.Linear(code_hidden, WIDTH))
                          if code_hidden else nn.Linear(in_features, WIDTH))
        self.from_place = nn.Conv2d(2, WIDTH, 1, bias=False)  # the coordinates' part, the same for every image
        self.steer = nn.Linear(in_features, WIDTH * 2) if steered else None  # the code's turn of it
        if self.steer is not None:
            nn.init.zeros_(self.steer.weight)
            nn.init.zeros_(self.steer.bias)
        layers: list[nn.Module] = [nn.ReLU()]
        for _ in range(LAYERS - 1):
            layers += [nn.Conv2d(WIDTH, WIDTH, 1), nn.ReLU()]
        self.cells = nn.Sequential(*layers)
        self.up = nn.ConvTranspose2d(WIDTH, channels * params_per_channel, 4, stride=2, padding=1)  # doubles H, W

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        # the first layer on (code tiled, x, y), split so the code's product is taken once, not once per cell
        first = self.from_code(z)[:, :, None, None] + self.from_place(self.coordinates)  # (B, WIDTH, H/2, W/2)
        if self.steer is not None:
            turn = self.steer(z).view(len(z), WIDTH, 2)  # (B, WIDTH, 2)
            first = first + torch.einsum("bwk,khv->bwhv", turn, self.coordinates[0])  # (B, WIDTH, H/2, W/2)
        return self.up(self.cells(first))  # (B, C * P, H, W)
