"""Multi-scale normalizing flow: RealNVP's architecture (Dinh et al. 2017) with Glow's steps (Kingma &
Dhariwal 2018): squeeze, then per step actnorm -> invertible 1x1 convolution -> affine coupling, and at
the end of each scale half the channels leave the flow under a Gaussian predicted from the other half.

A flow is an exact density on continuous values, so integer levels are first dequantised: v = (x + u) / L
with noise u in [0, 1)^D, uniform (default) or drawn from a learned q(u | x) (Ho et al. 2019, Flow++).
Jensen's inequality turns the flow's exact density into a lower bound on the discrete likelihood,

    log P(x) >= E_u[log p_flow(v) - D log L - log q(u | x)],

so the bits/dim reported are an honest upper bound on the code length of the integer images. Before the
first layer v goes through RealNVP's logit (Dinh et al. 2017 §4.1), whose log-det is part of the bound.

The latent space is the flow's output whitened by each Gaussian prior, so a latent is one (D,) vector
of standard normal noise: sampling decodes temperature * N(0, I), and encode/decode are exact inverses.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.distributed as dist
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from genlab.data.spec import DatasetSpec
from genlab.models.base import GenerativeModel, LogLikelihood, ModelConfig, to_unit_range
from genlab.models.bounds import importance_weighted
from genlab.units import bits_per_dim

LOG_2PI = math.log(2 * math.pi)
SCALE_OFFSET = 2.0  # Glow's sigmoid(raw + 2): couplings start close to the identity (scale 0.88)
# Sampling runs every layer backwards, and a layer whose log-scale is unbounded can overflow there for a
# latent in the prior's tail: 4 of 1,000 MNIST samples at temperature 1 (a 10-minute run) became NaN. The
# overflow was traced to a split prior, whose log-std a convolution computes from the kept half (grown to
# ~300 by then), so exp(log std) reached inf; Glow's sigmoid coupling scale is likewise unbounded below, so
# its inverse could stretch without limit. Both log-scales are squashed by a tanh (as RealNVP's): a split
# or top prior's std stays within e^(+-6), a coupling's inverse stretches at most e^3 = 20x.
MAX_LOG_STD = 6.0
MAX_LOG_SHRINK = 3.0


def bounded(raw: torch.Tensor, bound: float) -> torch.Tensor:
    """bound * tanh(raw / bound): the identity near 0 (zero-initialised layers start as before), within
    (-bound, bound) everywhere."""
    return bound * torch.tanh(raw / bound)
DEQUANTIZER_STEPS = 4  # couplings in the variational dequantiser's own small flow
DEQUANTIZER_WIDTH = 0.5  # its hidden width, as a fraction of `channels`: it runs at full resolution
LOGIT_ALPHA = 1e-6  # keeps the logit finite at v = 0 and 1 (RealNVP's value for MNIST)


class FlowConfig(ModelConfig):
    """Sizes of the flow. Measured on MNIST (one CPU thread): the defaults with --batch-size 32 --lr 5e-3
    reach 1.23 test bits/dim in 10 minutes; small batches and many steps beat a wider or deeper flow."""

    channels: int = Field(64, gt=0)  # hidden width of every coupling network
    scales: int = Field(3, gt=0)  # levels of the multi-scale flow; each squeezes when H and W are both even
    steps_per_scale: int = Field(8, gt=0)  # actnorm -> 1x1 convolution -> coupling, repeated per scale
    dequantization: Literal["uniform", "variational"] = "uniform"


# --- small helpers --------------------------------------------------------------------------------
def squeeze(x: torch.Tensor) -> torch.Tensor:
    """Trade space for channels: (B, C, H, W) -> (B, 4C, H/2, W/2); each 2x2 block becomes 4 channels."""
    b, c, h, w = x.shape
    x = x.view(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)  # (B, C, 2, 2, H/2, W/2)
    return x.reshape(b, 4 * c, h // 2, w // 2)


def unsqueeze(x: torch.Tensor) -> torch.Tensor:
    """Inverse of `squeeze`: (B, 4C, H, W) -> (B, C, 2H, 2W)."""
    b, c, h, w = x.shape
    x = x.view(b, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3)  # (B, C, H, 2, W, 2)
    return x.reshape(b, c // 4, 2 * h, 2 * w)


def zero_conv(in_channels: int, out_channels: int, kernel: int) -> nn.Conv2d:
    """A convolution that starts at exactly zero, so every coupling and prior starts as a fixed map."""
    conv = nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


def standard_normal_log_pdf(z: torch.Tensor) -> torch.Tensor:
    """Sum of log N(z; 0, 1) over all but the batch dimension: (B,)."""
    return (-0.5 * (z.pow(2) + LOG_2PI)).flatten(1).sum(1)


def with_context(h: torch.Tensor, context: torch.Tensor | None) -> torch.Tensor:
    """Append a conditioning map (B, K, H, W) to the channels of h, if there is one."""
    return h if context is None else torch.cat([h, context], dim=1)


def label_map(one_hot: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor | None:
    """One-hot labels (B, K) broadcast to a (B, K, H, W) map at the resolution of `like`."""
    if one_hot is None:
        return None
    return one_hot[:, :, None, None].expand(-1, -1, *like.shape[-2:])


def checkerboard(height: int, width: int, parity: int, device: torch.device) -> torch.Tensor:
    """(1, 1, H, W) boolean mask, true on the squares the coupling keeps, alternating with parity."""
    rows = torch.arange(height, device=device)[:, None]
    cols = torch.arange(width, device=device)[None, :]
    return ((rows + cols + parity) % 2 == 0)[None, None]


def logit(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """v (B, C, H, W) in [0, 1] -> (logit(alpha + (1 - 2 alpha) v), its log|det| (B,)) (Dinh et al. 2017 §4.1).

    Near the ends of [0, 1] the logit stretches each level's bin into a width the flow can fit: on
    MNIST, where most pixels are 0, it reached 1.64 bits/dim in 400 steps (batch 64, lr 1e-3) against 4.46
    for Glow's v - 0.5.
    """
    s = LOGIT_ALPHA + (1 - 2 * LOGIT_ALPHA) * v
    log_s, log_1ms = torch.log(s), torch.log1p(-s)
    logdet = v[0].numel() * math.log(1 - 2 * LOGIT_ALPHA) - (log_s + log_1ms).flatten(1).sum(1)
    return log_s - log_1ms, logdet


def inverse_logit(h: torch.Tensor) -> torch.Tensor:
    """Inverse of `logit`: back to v in [0, 1] (up to float rounding at the ends)."""
    return (torch.sigmoid(h) - LOGIT_ALPHA) / (1 - 2 * LOGIT_ALPHA)


# --- invertible layers: forward(x) -> (y, log|det dy/dx| (B,)), inverse(y) -> x -------------------
class ActNorm(nn.Module):
    """Per-channel affine y = (x + b) * exp(s) (Glow §3.1), initialised from data: the first training
    batch leaves it with zero mean and unit variance per channel.

    The "initialised" flag is a buffer, so a resumed run does not initialise again. Under DDP every
    process sees a different shard, so rank 0's values are broadcast: rank 0 always holds global shard 0,
    which is exactly what a single process initialises from, so 1 and N processes start identically.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.log_scale = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.register_buffer("initialised", torch.tensor(False))

    @torch.no_grad()
    def _initialise(self, x: torch.Tensor) -> None:
        self.bias.copy_(-x.mean((0, 2, 3), keepdim=True))
        self.log_scale.copy_(-torch.log(x.std((0, 2, 3), keepdim=True, correction=0).clamp(min=1e-3)))
        if dist.is_available() and dist.is_initialized():
            dist.broadcast(self.bias.data, src=0)
            dist.broadcast(self.log_scale.data, src=0)
        self.initialised.fill_(True)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if self.training and not bool(self.initialised):
            self._initialise(x)
        logdet = self.log_scale.sum() * x.shape[2] * x.shape[3]
        return (x + self.bias) * torch.exp(self.log_scale), logdet.expand(x.shape[0])

    def inverse(self, y: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return y * torch.exp(-self.log_scale) - self.bias


class InvConv1x1(nn.Module):
    """Invertible 1x1 convolution (Glow §3.2), a learned channel permutation. W = P L (U + diag(sign * e^s))
    with P fixed, so log|det W| = sum(s) costs nothing and W is invertible by construction."""

    def __init__(self, channels: int):
        super().__init__()
        rotation = torch.linalg.qr(torch.randn(channels, channels))[0]  # random orthogonal start
        perm, lower, upper = torch.linalg.lu(rotation)
        diagonal = torch.diagonal(upper)
        self.register_buffer("perm", perm)
        self.register_buffer("sign", torch.sign(diagonal))
        self.register_buffer("strict_lower", torch.tril(torch.ones(channels, channels), -1), persistent=False)
        self.lower = nn.Parameter(lower)
        self.upper = nn.Parameter(torch.triu(upper, 1))
        self.log_diag = nn.Parameter(torch.log(diagonal.abs()))

    def weight(self) -> torch.Tensor:
        eye = torch.eye(len(self.sign), device=self.sign.device, dtype=self.lower.dtype)
        lower = self.lower * self.strict_lower + eye
        upper = self.upper * self.strict_lower.T + torch.diag(self.sign * torch.exp(self.log_diag))
        return self.perm @ lower @ upper  # (C, C)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        logdet = self.log_diag.sum() * x.shape[2] * x.shape[3]
        return F.conv2d(x, self.weight()[:, :, None, None]), logdet.expand(x.shape[0])

    def inverse(self, y: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return F.conv2d(y, torch.linalg.inv(self.weight())[:, :, None, None])


class AffineCoupling(nn.Module):
    """Affine coupling (Dinh et al. 2017) with Glow's sigmoid scale, bounded below: the kept entries feed a
    small CNN that sets a shift and a scale in (e^-3, 1] for the others, y = (x + shift) * scale, so the
    inverse is exact, stretches at most e^3, and log|det| = sum(log scale).

    "channel" keeps the first half of the channels (the 1x1 convolutions before it choose which);
    "checkerboard" keeps alternate pixels, which works for any number of channels (one, for grey images)
    and any H x W (odd sizes cannot be squeezed). `context` channels (labels, image features) are appended
    to the CNN's input.
    """

    def __init__(self, channels: int, hidden: int, kind: Literal["channel", "checkerboard"], parity: int = 0,
                 context: int = 0):
        super().__init__()
        self.kind, self.parity = kind, parity
        self.kept = channels // 2 if kind == "channel" else channels
        inputs = self.kept + (1 if kind == "checkerboard" else 0) + context  # checkerboard also sees its mask
        self.net = nn.Sequential(
            nn.Conv2d(inputs, hidden, 3, padding=1), nn.ReLU(),
            nn.Conv2d(hidden, hidden, 1), nn.ReLU(),
            zero_conv(hidden, 2 * channels, 3),
        )

    def _mask(self, x: torch.Tensor) -> torch.Tensor:
        """Ones where entries pass unchanged: (1, C, 1, 1) for channels, (1, 1, H, W) for a checkerboard."""
        if self.kind == "checkerboard":
            return checkerboard(x.shape[2], x.shape[3], self.parity, x.device).to(x.dtype)
        mask = torch.zeros(1, x.shape[1], 1, 1, device=x.device, dtype=x.dtype)
        mask[:, : self.kept] = 1.0
        return mask

    def _shift_and_log_scale(self, x: torch.Tensor, mask: torch.Tensor,
                             context: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """From the kept entries of x alone; both (B, C, H, W) and zero on the kept entries."""
        if self.kind == "checkerboard":
            kept = torch.cat([x * mask, mask.expand(x.shape[0], -1, -1, -1)], dim=1)  # (B, C + 1, H, W)
        else:
            kept = x[:, : self.kept]  # (B, C/2, H, W)
        shift, raw = self.net(with_context(kept, context)).chunk(2, dim=1)  # (B, C, H, W) each
        free = 1.0 - mask
        log_scale = -bounded(-F.logsigmoid(raw + SCALE_OFFSET), MAX_LOG_SHRINK)  # in (-MAX_LOG_SHRINK, 0]
        return shift * free, log_scale * free

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        mask = self._mask(x)
        shift, log_scale = self._shift_and_log_scale(x, mask, context)
        return (x + shift) * torch.exp(log_scale), log_scale.flatten(1).sum(1)

    def inverse(self, y: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        mask = self._mask(y)
        shift, log_scale = self._shift_and_log_scale(y, mask, context)  # kept entries of y are those of x
        return y * torch.exp(-log_scale) - shift


class FlowStep(nn.Module):
    """One Glow step: actnorm -> invertible 1x1 convolution -> affine coupling."""

    def __init__(self, channels: int, hidden: int, kind: Literal["channel", "checkerboard"], parity: int,
                 context: int):
        super().__init__()
        self.layers = nn.ModuleList([ActNorm(channels), InvConv1x1(channels),
                                     AffineCoupling(channels, hidden, kind, parity, context)])

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        logdet = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x, context)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, y: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        for layer in reversed(self.layers):
            y = layer.inverse(y, context)
        return y


# --- priors: whiten what leaves the flow, z -> eps = (z - mean) / std --------------------------------
class SplitPrior(nn.Module):
    """Glow's split: the last half of the channels leaves the flow, modelled by a Gaussian whose mean
    and log-std a zero-initialised convolution computes from the half that stays (and the labels)."""

    def __init__(self, channels: int, context: int):
        super().__init__()
        self.kept = channels - channels // 2
        self.net = zero_conv(self.kept + context, 2 * (channels // 2), 3)

    def _gaussian(self, kept: torch.Tensor, context: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = self.net(with_context(kept, context)).chunk(2, dim=1)  # (B, C/2, H, W) each
        return mean, bounded(log_std, MAX_LOG_STD)

    def forward(self, h: torch.Tensor, context: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """-> (kept half, whitened leaving half, log|det| (B,) of the whitening)."""
        kept, leaving = h[:, : self.kept], h[:, self.kept :]  # (B, C - C/2, H, W), (B, C/2, H, W)
        mean, log_std = self._gaussian(kept, context)
        return kept, (leaving - mean) * torch.exp(-log_std), -log_std.flatten(1).sum(1)

    def inverse(self, kept: torch.Tensor, eps: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        mean, log_std = self._gaussian(kept, context)
        return torch.cat([kept, mean + torch.exp(log_std) * eps], dim=1)


class TopPrior(nn.Module):
    """The Gaussian of what is left after the last scale: a learned mean and log-std per entry, shifted
    per class by a zero-initialised 1x1 convolution of the label map."""

    def __init__(self, shape: tuple[int, int, int], context: int):
        super().__init__()
        c, h, w = shape
        self.params = nn.Parameter(torch.zeros(1, 2 * c, h, w))
        self.by_label = zero_conv(context, 2 * c, 1) if context else None

    def _gaussian(self, context: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        params = self.params if self.by_label is None else self.params + self.by_label(context)
        mean, log_std = params.chunk(2, dim=1)  # (1 or B, C, H, W) each
        return mean, bounded(log_std, MAX_LOG_STD)

    def forward(self, h: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = self._gaussian(context)
        logdet = -log_std.flatten(1).sum(1).expand(h.shape[0])
        return (h - mean) * torch.exp(-log_std), logdet

    def inverse(self, eps: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        mean, log_std = self._gaussian(context)
        return mean + torch.exp(log_std) * eps


class Scale(nn.Module):
    """One level of the multi-scale flow: squeeze (when H and W are even), `steps` flow steps, then a
    split that whitens half the channels (`split`; never at the last level or with one channel)."""

    def __init__(self, channels: int, hidden: int, steps: int, context: int, squeeze: bool, split: bool):
        super().__init__()
        self.squeeze = squeeze
        kind = "channel" if channels >= 2 else "checkerboard"
        self.steps = nn.ModuleList([FlowStep(channels, hidden, kind, i % 2, context) for i in range(steps)])
        self.split = SplitPrior(channels, context) if split else None

    def forward(self, h: torch.Tensor, one_hot: torch.Tensor | None
                ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """-> (what continues, whitened latent leaving here or None, log|det| (B,))."""
        if self.squeeze:
            h = squeeze(h)  # (B, 4C, H/2, W/2)
        context = label_map(one_hot, h)
        logdet = h.new_zeros(h.shape[0])
        for step in self.steps:
            h, ld = step(h, context)
            logdet = logdet + ld
        if self.split is None:
            return h, None, logdet
        h, eps, ld = self.split(h, context)
        return h, eps, logdet + ld

    def inverse(self, h: torch.Tensor, eps: torch.Tensor | None, one_hot: torch.Tensor | None) -> torch.Tensor:
        context = label_map(one_hot, h)
        if self.split is not None:
            h = self.split.inverse(h, eps, context)
        for step in reversed(self.steps):
            h = step.inverse(h, context)
        return unsqueeze(h) if self.squeeze else h


class VariationalDequantizer(nn.Module):
    """q(u | x) on (0, 1)^D (Ho et al. 2019, Flow++ §3.1): Gaussian noise through checkerboard couplings
    that see features of the image, then a sigmoid. Learning where in its bin each value sits closes
    the gap that uniform noise leaves between the flow's density and the discrete likelihood."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, hidden, 3, padding=1), nn.ReLU(),
            nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(),
        )
        self.couplings = nn.ModuleList([AffineCoupling(channels, hidden, "checkerboard", i % 2, context=hidden)
                                        for i in range(DEQUANTIZER_STEPS)])

    def forward(self, x_unit: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Image in [-1, 1] (B, C, H, W) -> (noise u in (0, 1) of the same shape, log q(u | x) (B,))."""
        eps = torch.randn_like(x_unit)
        u, logdet = self.transform(eps, self.features(x_unit))
        return u, standard_normal_log_pdf(eps) - logdet

    def transform(self, eps: torch.Tensor, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """eps (B, C, H, W) -> (u in (0, 1), log|det du/d eps| (B,)) given image features (B, hidden, H, W)."""
        h, logdet = eps, eps.new_zeros(eps.shape[0])
        for coupling in self.couplings:
            h, ld = coupling(h, context)
            logdet = logdet + ld
        sigmoid_logdet = (F.logsigmoid(h) + F.logsigmoid(-h)).flatten(1).sum(1)
        return torch.sigmoid(h), logdet + sigmoid_logdet


# --- the family -----------------------------------------------------------------------------------
class Flow(GenerativeModel):
    """Glow-style multi-scale flow with a dequantisation bound on the discrete likelihood.

    log_prob names its bound "dequantized" (uniform noise) or "variational-dequantized"; with k > 1
    noise draws it is the importance-weighted "iwae-k", the name evaluation uses for every k-sample bound.
    """

    name = "flow"
    Config = FlowConfig
    has_importance_bound = True

    def __init__(self, spec: DatasetSpec, config: FlowConfig):
        super().__init__(spec, config)
        context = self.num_classes if config.conditional else 0
        c, h, w = spec.shape
        self.scales = nn.ModuleList()
        self.latent_shapes: list[tuple[int, int, int]] = []  # what leaves the flow, in order
        for i in range(config.scales):
            can_squeeze = h % 2 == 0 and w % 2 == 0
            if can_squeeze:
                c, h, w = 4 * c, h // 2, w // 2
            split = i < config.scales - 1 and c >= 2
            self.scales.append(Scale(c, config.channels, config.steps_per_scale, context, can_squeeze, split))
            if split:
                self.latent_shapes.append((c // 2, h, w))
                c -= c // 2
        self.latent_shapes.append((c, h, w))
        self.top = TopPrior((c, h, w), context)
        self.dequantizer = (VariationalDequantizer(spec.shape[0], max(1, int(config.channels * DEQUANTIZER_WIDTH)))
                            if config.dequantization == "variational" else None)

    # --- the bijection: dequantised image v in [0, 1]^D <-> whitened latent eps in R^D ------------
    def to_latent(self, v: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """v (B, C, H, W) in [0, 1] -> (eps (B, D), log|det d eps / d v| (B,)); log p(v) = log N(eps) + logdet."""
        one_hot = self.one_hot_labels(y, v.dtype)
        h, logdet = logit(v)
        latents = []
        for scale in self.scales:
            h, eps, ld = scale(h, one_hot)
            logdet = logdet + ld
            if eps is not None:
                latents.append(eps.flatten(1))
        eps, ld = self.top(h, label_map(one_hot, h))
        latents.append(eps.flatten(1))
        return torch.cat(latents, dim=1), logdet + ld

    def from_latent(self, eps: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Inverse of `to_latent`: eps (B, D) -> v (B, C, H, W)."""
        one_hot = self.one_hot_labels(y, eps.dtype)
        sizes = [math.prod(shape) for shape in self.latent_shapes]
        parts = [p.view(-1, *shape) for p, shape in zip(eps.split(sizes, dim=1), self.latent_shapes)]
        h = parts.pop()  # (B, C', H', W') whitened top
        h = self.top.inverse(h, label_map(one_hot, h))
        for scale in reversed(self.scales):
            h = scale.inverse(h, parts.pop() if scale.split is not None else None, one_hot)
        return inverse_logit(h)

    # --- dequantisation -------------------------------------------------------------------------
    def _dequantize(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Integer levels -> (v = (x + u) / L in [0, 1] (B, C, H, W), log q(u | x) (B,))."""
        if self.dequantizer is None:
            u, log_q = torch.rand(x.shape, device=x.device), torch.zeros(x.shape[0], device=x.device)
        else:
            u, log_q = self.dequantizer(to_unit_range(x, self.spec.levels))
        return (x.float() + u) / self.spec.levels, log_q

    def _quantize(self, v: torch.Tensor) -> torch.Tensor:
        """Dequantised values -> integer levels. inverse_logit gives v within LOGIT_ALPHA of [0, 1]; the ends go
        to the outer levels. The bounded couplings keep v finite (see MAX_LOG_SHRINK)."""
        levels = self.spec.levels
        return torch.floor(v * levels).clamp(0, levels - 1).long()

    def _log_bound(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """One-sample estimate of log p(v) - D log L - log q(u | x), a lower bound on log P(x): (B,) nats."""
        v, log_q = self._dequantize(x)
        eps, logdet = self.to_latent(v, y)
        return standard_normal_log_pdf(eps) + logdet - self.spec.dims * math.log(self.spec.levels) - log_q

    @property
    def _bound_name(self) -> str:
        return "dequantized" if self.dequantizer is None else "variational-dequantized"

    # --- protocol -------------------------------------------------------------------------------
    def loss(self, batch: dict) -> dict:
        nats = self._log_bound(batch["x"], batch.get("y")).mean()
        dims = self.spec.dims
        return {"loss": -nats / dims, "bpd": bits_per_dim(-nats, dims).detach()}

    @torch.no_grad()
    def sample(self, n: int, condition=None, temperature: float = 1.0) -> torch.Tensor:
        """Decode temperature * N(0, I): a temperature below 1 narrows every prior's std."""
        eps = temperature * torch.randn(n, self.spec.dims, device=self.device)  # (n, D)
        return self._quantize(self.from_latent(eps, condition))

    @torch.no_grad()
    def log_prob(self, x: torch.Tensor, condition=None, k: int = 1, chunk: int = 10) -> LogLikelihood:
        """The dequantisation bound with one noise draw for k=1; with k draws, log (1/k) sum_i p(v_i) /
        q(u_i | x) (importance-weighted, as in Flow++), which is tighter as k grows."""
        if k <= 1:
            return LogLikelihood(self._log_bound(x, condition), self._bound_name)

        def log_weights(kc: int) -> torch.Tensor:
            """kc one-draw bounds per image: (kc, B)."""
            labels = None if condition is None else condition.repeat(kc)
            return self._log_bound(x.repeat(kc, 1, 1, 1), labels).view(kc, -1)

        return LogLikelihood(importance_weighted(log_weights, k, chunk), f"iwae-{k}")

    @torch.no_grad()
    def encode(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Integer images -> whitened latents (B, D), with the noise fixed at the bin centres (u = 0.5)."""
        return self.to_latent((x.float() + 0.5) / self.spec.levels, condition)[0]

    @torch.no_grad()
    def decode(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """Whitened latents (B, D) -> integer images; decode(encode(x)) == x."""
        return self._quantize(self.from_latent(z, condition))
