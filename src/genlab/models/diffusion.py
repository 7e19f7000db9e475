"""Denoising diffusion (DDPM, Ho et al. 2020) with a small U-Net, the cosine noise schedule (Nichol &
Dhariwal 2021), DDIM sampling and inversion (Song et al. 2021) and classifier-free guidance (Ho &
Salimans 2022).

Forward process: x_t = sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε for t = 1..T, x_0 the image on [-1, 1]. The
network predicts ε (Ho et al.'s simple loss ||ε - ε̂||²) or v = sqrt(ᾱ_t) ε - sqrt(1 - ᾱ_t) x_0 (Salimans &
Ho 2022; the same loss up to adding the x_0 error, which keeps training signal where noise drowns the
image). Either way it determines x̂_0(x_t, t) and ε̂(x_t, t), which is all the rest uses.

The model whose likelihood is reported is the reverse chain p(x_{t-1} | x_t) = N(μ̃_t(x_t, x̂_0), β̃_t I),
where x̂_0 is clipped to [-1, 1] and β̃_t is the true posterior variance; it ends in a Gaussian
N(x̂_0(x_1), β̃_2 I) discretised to the dataset's levels (Ho et al. eq. 13; β̃_2 stands in for β̃_1 = 0 as
in their code). Its variational bound (prior KL + Σ KL terms + decoder) is therefore a true lower bound
on log p of the discrete images. With fixed variances the bound is loose (Ho et al. report <= 3.75
bits/dim on CIFAR-10 this way; the learned variances of Nichol & Dhariwal reach ~2.9): honest, not state
of the art. Ancestral sampling with all T steps (method="ddpm") draws from exactly this model.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from genlab.data.spec import DatasetSpec
from genlab.errors import UserError
from genlab.models.base import GenerativeModel, LogLikelihood, ModelConfig, from_unit_range, to_unit_range
from genlab.models.layers import downsampled_sizes
from genlab.models.sampler_options import SAMPLER
from genlab.units import bits_per_dim

VLB_TERMS = 20  # default Monte-Carlo terms of log_prob: 1,000 28x28 images in ~1.5 CPU-minutes at channels=32
COSINE_OFFSET = 0.008  # s of Nichol & Dhariwal: keeps sqrt(β_1) just below one 8-bit bin at T=1000
MAX_BETA = 0.999  # their clip of β_t, so ᾱ_T > 0 and the last step is not singular
SAMPLING_METHODS = SAMPLER["method"].choices  # deterministic DDIM (Song et al. 2021), ancestral DDPM (Ho et al. 2020)
RESAMPLE = 5  # RePaint's tries per step when inpainting (the paper: 10, over 250 steps)
SMALLEST_SIDE = 7  # the U-Net halves the resolution while the shorter side is above this: 28 -> 14 -> 7


class DiffusionConfig(ModelConfig):
    channels: int = Field(32, gt=0)  # U-Net width at full resolution; twice that at every lower one
    blocks: int = Field(1, gt=0)  # residual blocks per resolution, on the way down and on the way up
    attention: bool = True  # self-attention at the lowest resolution
    dropout: float = Field(0.0, ge=0, lt=1)
    timesteps: int = Field(1000, ge=2)  # T, the length of the noising chain
    sample_steps: int = Field(50, gt=0)  # default DDIM steps for sample / encode / decode
    p_uncond: float = Field(0.1, ge=0, lt=1)  # conditional only: label dropped to the null class (guidance)
    # What the network predicts: v = sqrt(ᾱ_t) ε - sqrt(1 - ᾱ_t) x_0 (Salimans & Ho 2022), or ε (Ho et al.).
    # v is the default: with ε, x̂_0 = (x_t - sqrt(1 - ᾱ_t) ε̂) / sqrt(ᾱ_t) amplifies the network's error
    # ~10^4 times near t = T, so short CPU runs sample grey or white backgrounds and DDIM inversion fails.
    prediction: Literal["v", "eps"] = "v"


# --- the noise schedule ----------------------------------------------------------------------


def cosine_alpha_bar(timesteps: int) -> torch.Tensor:
    """ᾱ_0..ᾱ_T (float64, ᾱ_0 = 1) of the cosine schedule (Nichol & Dhariwal 2021, eq. 17), after
    clipping each β_t = 1 - ᾱ_t / ᾱ_{t-1} to MAX_BETA."""
    s = COSINE_OFFSET
    steps = torch.arange(timesteps + 1, dtype=torch.float64)  # cpu: built once at construction, kept as a buffer
    f = torch.cos((steps / timesteps + s) / (1 + s) * math.pi / 2) ** 2
    betas = (1 - f[1:] / f[:-1]).clamp(max=MAX_BETA)  # (T,)
    return torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1 - betas, 0)])  # cpu: as above


def diffuse(x0: torch.Tensor, alpha_bar: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """A draw of q(x_t | x_0) = N(sqrt(ᾱ_t) x_0, (1 - ᾱ_t) I); alpha_bar is (B,) ᾱ_t per example."""
    ab = alpha_bar.to(x0.dtype).view(-1, 1, 1, 1)  # (B, 1, 1, 1)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise


def strata(timesteps: int, k: int) -> list[int]:
    """Edges 1 = e_0 < e_1 < ... < e_k = T + 1 of k strata [e_i, e_{i+1}) of the steps 1..T, spaced
    geometrically (each at least one step): the bound's terms fall roughly like 1/t, so equal-ratio strata
    keep the terms within a stratum alike and a one-draw-per-stratum estimate has low variance."""
    edges = [1]
    for i in range(1, k + 1):
        target = round((timesteps + 1) ** (i / k))
        edges.append(max(edges[-1] + 1, min(target, timesteps + 1 - (k - i))))
    return edges


# --- the discretised Gaussian decoder ----------------------------------------------------------


def _log1mexp(d: torch.Tensor) -> torch.Tensor:
    """log(1 - exp(d)) for d < 0, accurate near 0 and far below it."""
    d = d.clamp(max=-1e-30)
    return torch.where(d > -math.log(2), torch.log(-torch.expm1(d)), torch.log1p(-torch.exp(d)))


def _log_normal_mass(lower: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
    """log(Φ(upper) - Φ(lower)) elementwise, computed in whichever tail keeps the two CDFs small."""
    flip = (lower + upper) > 0
    a = torch.where(flip, -upper, lower)
    b = torch.where(flip, -lower, upper)  # a < b, and b <= -a: both in the left tail or straddling 0
    log_b = torch.special.log_ndtr(b)
    return log_b + _log1mexp(torch.special.log_ndtr(a) - log_b)


def discretised_gaussian_log_prob(x: torch.Tensor, mean: torch.Tensor, std: float, levels: int) -> torch.Tensor:
    """log P(x) in nats per example (B,) of integer levels x (B, C, H, W) under N(mean, std²) integrated over
    each level's bin of width 2 / (levels - 1) on [-1, 1]; the outer bins reach to ±∞ (Ho et al. 2020, eq. 13)."""
    centre = to_unit_range(x, levels, torch.float64)  # (B, C, H, W) float64, so neighbouring bins meet exactly
    mean = mean.double()
    half = 1.0 / (levels - 1)
    inf = torch.full_like(centre, math.inf)
    upper = torch.where(x == levels - 1, inf, (centre + half - mean) / std)
    lower = torch.where(x == 0, -inf, (centre - half - mean) / std)
    return _log_normal_mass(lower, upper).flatten(1).sum(1)


# --- the network: a small U-Net predicting ε or v from (x_t, t, y) -------------------------


def _norm(channels: int) -> nn.GroupNorm:
    """Group norm with up to 8 groups, several channels each where the width allows."""
    return nn.GroupNorm(math.gcd(channels, 8), channels)


def _zero(module: nn.Module) -> nn.Module:
    """Zero-initialise the last layer of a residual branch, so each branch starts as the identity and the
    untrained network predicts 0 (as in Dhariwal & Nichol 2021)."""
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Transformer sinusoids of (B,) float times on a 0..1000 scale -> (B, 2 * (dim // 2))."""
    half = max(dim // 2, 1)
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)  # (half,)
    args = t.float()[:, None] * freqs[None]  # (B, half)
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class TimeResBlock(nn.Module):
    """Norm-SiLU-conv twice with a residual; the time (and label) embedding scales and shifts the features
    after the second norm, so the norm cannot remove it (Dhariwal & Nichol 2021); (B, c_in, H, W) ->
    (B, c_out, H, W)."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, dropout: float):
        super().__init__()
        self.first = nn.Sequential(_norm(c_in), nn.SiLU(), nn.Conv2d(c_in, c_out, 3, padding=1))
        self.emb = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, 2 * c_out))
        self.norm = _norm(c_out)
        self.second = nn.Sequential(nn.SiLU(), nn.Dropout(dropout), _zero(nn.Conv2d(c_out, c_out, 3, padding=1)))
        self.skip = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        scale, shift = self.emb(emb)[:, :, None, None].chunk(2, dim=1)  # (B, c_out, 1, 1) each
        h = self.norm(self.first(x)) * (1 + scale) + shift  # (B, c_out, H, W)
        return self.skip(x) + self.second(h)


class SelfAttention(nn.Module):
    """Single-head self-attention over all positions, with a residual (as DDPM uses at low resolution)."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = _norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.out = _zero(nn.Conv2d(channels, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).view(b, 3, c, h * w).transpose(-1, -2).unbind(1)  # (B, HW, C) each
        mixed = F.scaled_dot_product_attention(q, k, v)  # (B, HW, C)
        return x + self.out(mixed.transpose(-1, -2).reshape(b, c, h, w))


class UNet(nn.Module):
    """out_θ(x_t, t, y): a U-Net over the resolutions `sizes` (stride-2 convolutions down; up, a convolution
    at the low resolution then nearest interpolation to the skip's exact size, so odd sizes such as 7x9 or
    12x10 -> 6x5 work and no convolution runs on upsampled copies), one skip per resolution,
    self-attention between two residual blocks at the lowest resolution."""

    def __init__(self, in_channels: int, sizes: list[tuple[int, int]], config: DiffusionConfig, labels: int):
        super().__init__()
        ch, n = config.channels, len(sizes)
        widths = [ch] + [2 * ch] * (n - 1)
        emb_dim = 4 * ch
        self.time_dim = ch
        self.time_mlp = nn.Sequential(nn.Linear(2 * max(ch // 2, 1), emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.label_emb = nn.Embedding(labels, emb_dim) if labels else None
        block = lambda c_in, c_out: TimeResBlock(c_in, c_out, emb_dim, config.dropout)  # noqa: E731

        self.stem = nn.Conv2d(in_channels, ch, 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        for i, w in enumerate(widths):
            c_in = ch if i == 0 else widths[i - 1]
            self.down.append(nn.ModuleList([block(c_in if j == 0 else w, w) for j in range(config.blocks)]))
            if i < n - 1:
                self.downsample.append(nn.Conv2d(w, w, 3, stride=2, padding=1))
        bottom = widths[-1]
        self.mid = nn.ModuleList([block(bottom, bottom), block(bottom, bottom)])
        self.attention = SelfAttention(bottom) if config.attention else nn.Identity()
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i, w in enumerate(widths):
            self.up.append(nn.ModuleList([block(2 * w if j == 0 else w, w) for j in range(config.blocks)]))
            if i < n - 1:
                self.upsample.append(nn.Conv2d(widths[i + 1], w, 3, padding=1))
        self.head = nn.Sequential(_norm(ch), nn.SiLU(), _zero(nn.Conv2d(ch, in_channels, 3, padding=1)))

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None, time_scale: float) -> torch.Tensor:
        """x (B, C, H, W), t (B,) steps 1..T, y (B,) labels or None -> prediction (B, C, H, W)."""
        emb = self.time_mlp(timestep_embedding(t * time_scale, self.time_dim))  # (B, E)
        if self.label_emb is not None:
            emb = emb + self.label_emb(y)
        h = self.stem(x)  # (B, ch, H, W)
        skips = []
        for i, blocks in enumerate(self.down):
            for blk in blocks:
                h = blk(h, emb)
            skips.append(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)  # (B, w, ceil(H/2), ceil(W/2))
        h = self.mid[1](self.attention(self.mid[0](h, emb)), emb)
        for i in reversed(range(len(self.up))):
            skip = skips.pop()
            if i < len(self.upsample):
                h = F.interpolate(self.upsample[i](h), size=skip.shape[-2:], mode="nearest")  # (B, w_i, H_i, W_i)
            h = torch.cat([h, skip], dim=1)
            for blk in self.up[i]:
                h = blk(h, emb)
        return self.head(h)


# --- the family --------------------------------------------------------------------------------


class Diffusion(GenerativeModel):
    """DDPM with fixed posterior variances β̃_t, DDIM/DDPM sampling, DDIM latents and classifier-free
    guidance. Steps are numbered 1..T; index 0 of the schedule is the clean image. Interpolate between
    images by `slerp` (models/interpolation.py) of their `encode`d latents, then `decode`."""

    name = "diffusion"
    Config = DiffusionConfig

    def __init__(self, spec: DatasetSpec, config: DiffusionConfig):
        super().__init__(spec, config)
        c, h, w = spec.shape
        labels = self.num_classes + 1 if self.is_conditional else 0  # the last label is the null class
        self.net = UNet(c, downsampled_sizes(h, w, smallest=SMALLEST_SIDE), config, labels)
        alpha_bar = cosine_alpha_bar(config.timesteps)  # (T+1,)
        snr = alpha_bar / (1 - alpha_bar)  # signal-to-noise ratio, inf at t = 0
        # KL(q(x_{t-1}|x_t,x_0) || p(x_{t-1}|x_t)) = ½ (SNR(t-1) - SNR(t)) ||x_0 - x̂_0||² for t >= 2
        # (Kingma et al. 2021, eq. 13, with σ_t² = β̃_t); entries 0 and 1 are unused.
        kl_weight = torch.zeros_like(alpha_bar)
        kl_weight[2:] = 0.5 * (snr[1:-1] - snr[2:])
        # The decoder's σ_1² is β̃_2, since β̃_1 = 0: Ho et al.'s "clipped" posterior variance.
        self.decoder_std = math.sqrt(float((1 - alpha_bar[2] / alpha_bar[1]) * (1 - alpha_bar[1]) / (1 - alpha_bar[2])))
        # Derived from T alone, so kept out of the checkpoint.
        self.register_buffer("alpha_bar", alpha_bar, persistent=False)
        self.register_buffer("kl_weight", kl_weight, persistent=False)

    # --- pieces ---------------------------------------------------------------------------------
    def _output(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """The network's raw prediction at steps t (B,): ε, or v = sqrt(ᾱ_t) ε - sqrt(1 - ᾱ_t) x_0."""
        return self.net(x, t, labels, 1000.0 / self.config.timesteps)

    def _readout(self, ab: torch.Tensor | float) -> tuple:
        """(a0, b0, a1, b1) with x̂_0 = a0 x_t + b0 out and ε̂ = a1 x_t + b1 out, for ᾱ_t = ab."""
        signal, noise = ab**0.5, (1 - ab) ** 0.5
        if self.config.prediction == "eps":
            return 1 / signal, -noise / signal, 0.0, 1.0
        return signal, -noise, noise, signal

    def _alpha_bar(self, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return self.alpha_bar[t].to(like.dtype).view(-1, 1, 1, 1)  # (B, 1, 1, 1)

    def _x0(self, xt: torch.Tensor, t: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """x̂_0 from the network's output, clipped to the data range [-1, 1]."""
        a0, b0, _, _ = self._readout(self._alpha_bar(t, xt))
        return (a0 * xt + b0 * out).clamp(-1.0, 1.0)

    def _null(self, n: int) -> torch.Tensor:
        return torch.full((n,), self.num_classes, dtype=torch.long, device=self.device)

    def _labels(self, condition: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """The labels the network sees: None when unconditional; the null class stands for 'no label'."""
        if not self.is_conditional:
            return None
        if condition is not None:
            return condition.long().to(self.device)
        if self.config.p_uncond == 0:
            raise ValueError("this conditional diffusion model was trained with p_uncond=0, so it needs labels")
        return self._null(n)

    def _prior_kl(self, x0: torch.Tensor) -> torch.Tensor:
        """KL(q(x_T | x_0) || N(0, I)) in nats (B,)."""
        ab = self.alpha_bar[-1].item()
        return 0.5 * (ab * x0.double().pow(2) - ab - math.log1p(-ab)).flatten(1).sum(1)

    def _term(self, x: torch.Tensor, x0: torch.Tensor, x0_hat: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The bound's term at step t (B,) in nats: -log p(x | x_1) at t = 1, the KL to the posterior above."""
        kl = self.kl_weight[t] * (x0 - x0_hat).double().pow(2).flatten(1).sum(1)
        decoder = -discretised_gaussian_log_prob(x, x0_hat, self.decoder_std, self.spec.levels)
        return torch.where(t == 1, decoder, kl)

    def _term_at(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """One-sample estimate of the term at steps t (B,) for images x: noise, predict, compare."""
        x0 = to_unit_range(x, self.spec.levels)
        xt = diffuse(x0, self.alpha_bar[t], torch.randn_like(x0))
        return self._term(x, x0, self._x0(xt, t, self._output(xt, t, labels)), t)

    # --- protocol -------------------------------------------------------------------------------
    def loss(self, batch: dict) -> dict:
        """Mean squared error of the prediction at a uniform step (Ho et al.'s simple loss for ε; for v it
        adds the x_0 error, which keeps weight where the noise drowns the image). "bpd" is an unbiased
        one-term estimate of the bound (T times the sampled term plus the prior: noisy per batch)."""
        x = batch["x"]
        x0 = to_unit_range(x, self.spec.levels)  # (B, C, H, W)
        t = torch.randint(1, self.config.timesteps + 1, (len(x),), device=x.device)
        noise = torch.randn_like(x0)
        labels = None
        if self.is_conditional:  # classifier-free guidance: sometimes train the unconditional model too
            drop = torch.rand(len(x), device=x.device) < self.config.p_uncond
            labels = torch.where(drop, self.num_classes, batch["y"].long())
        xt = diffuse(x0, self.alpha_bar[t], noise)
        out = self._output(xt, t, labels)
        ab = self._alpha_bar(t, x0)
        target = noise if self.config.prediction == "eps" else ab.sqrt() * noise - (1 - ab).sqrt() * x0
        mse = (out - target).pow(2).flatten(1).mean(1)  # (B,)
        with torch.no_grad():
            nats = self.config.timesteps * self._term(x, x0, self._x0(xt, t, out), t) + self._prior_kl(x0)
        return {"loss": mse.mean(), "mse": mse.mean().detach(),
                "bpd": bits_per_dim(nats.mean(), self.spec.dims).float()}

    @torch.no_grad()
    def log_prob(self, x: torch.Tensor, condition: torch.Tensor | None = None,
                 timesteps: int | None = VLB_TERMS) -> LogLikelihood:
        """The variational lower bound on log p(x) in nats (B,). timesteps=None sums all T terms (T network
        calls per image, bound "vlb"); an integer K < T draws one step from each of K strata of 1..T and
        weights it by the stratum's size: an unbiased estimate of the same bound ("vlb-mcK"). The strata
        are log-spaced (see `strata`), so the large terms at small t are computed nearly exactly."""
        labels = self._labels(condition, len(x))
        steps = self.config.timesteps
        total = self._prior_kl(to_unit_range(x, self.spec.levels))  # (B,)
        full = lambda t: torch.full((len(x),), t, dtype=torch.long, device=x.device)  # noqa: E731
        if timesteps is None or timesteps >= steps:
            for t in range(1, steps + 1):
                total += self._term_at(x, full(t), labels)
            return LogLikelihood(-total, "vlb")
        edges = strata(steps, timesteps)
        for low, high in zip(edges[:-1], edges[1:]):
            t = torch.randint(low, high, (len(x),), device=x.device)
            total += (high - low) * self._term_at(x, t, labels)
        return LogLikelihood(-total, f"vlb-mc{timesteps}")

    def _times(self, steps: int | None) -> list[int]:
        """0 = τ_0 < τ_1 < ... < τ_S = T, evenly spaced, for a chain of S <= T steps."""
        s = min(steps or self.config.sample_steps, self.config.timesteps)
        return [i * self.config.timesteps // s for i in range(s + 1)]

    def _guided_output(self, x: torch.Tensor, t: int, labels: torch.Tensor | None, guidance: float) -> torch.Tensor:
        """The prediction at step t; with guidance W, (1 + W) out(x, y) - W out(x, ∅) (Ho & Salimans 2022;
        for v as for ε, since ε̂ is affine in the output with weights that sum to one)."""
        tt = torch.full((len(x),), t, dtype=torch.long, device=x.device)
        if not guidance:
            return self._output(x, tt, labels)
        both = self._output(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([labels, self._null(len(x))]))
        cond, uncond = both.chunk(2)  # (B, C, H, W) each
        return (1 + guidance) * cond - guidance * uncond

    def _step(self, x: torch.Tensor, t: int, s: int, labels: torch.Tensor | None, eta: float, guidance: float = 0.0,
              temperature: float = 1.0) -> torch.Tensor:
        """One reverse step from x at step t to step s < t. eta = 0 is DDIM (deterministic); eta = 1 is ancestral
        DDPM with variance β̃ between t and s (Song et al. 2021, eq. 12 and 16); ε is re-derived from the
        clipped x̂_0 so the step is the clipped model's."""
        ab_t, ab_s = self.alpha_bar[t].item(), self.alpha_bar[s].item()
        tt = torch.full((len(x),), t, dtype=torch.long, device=x.device)
        x0 = self._x0(x, tt, self._guided_output(x, t, labels, guidance))  # (B, C, H, W)
        eps = (x - math.sqrt(ab_t) * x0) / math.sqrt(1 - ab_t)
        sigma = eta * math.sqrt((1 - ab_s) / (1 - ab_t) * (1 - ab_t / ab_s))
        x = math.sqrt(ab_s) * x0 + math.sqrt(max(1 - ab_s - sigma**2, 0.0)) * eps
        return x + sigma * temperature * torch.randn_like(x) if sigma > 0 else x

    def _reverse(self, x: torch.Tensor, labels: torch.Tensor | None, times: list[int], eta: float,
                 guidance: float = 0.0, temperature: float = 1.0) -> torch.Tensor:
        """Run the reverse chain over `times` from x at τ_S down to the clean image, as levels."""
        for t, s in zip(reversed(times[1:]), reversed(times[:-1])):
            x = self._step(x, t, s, labels, eta, guidance, temperature)
        return from_unit_range(x, self.spec.levels)  # (B, C, H, W) levels

    @torch.no_grad()
    def sample(self, n: int, condition: torch.Tensor | None = None, temperature: float = 1.0, steps: int | None = None,
               method: Literal["ddpm", "ddim"] = "ddim", guidance: float = 0.0) -> torch.Tensor:
        """n images as levels. DDIM takes `steps` (default config.sample_steps) deterministic steps from
        x_T; DDPM ancestral sampling takes `steps` (default all T) stochastic ones. `temperature` scales
        x_T and DDPM's added noise. A conditional model without `condition` samples the classes in turn
        (0, 1, 2, ...); guidance W > 0 trades variety for more typical members of each class."""
        if method not in SAMPLING_METHODS:
            raise UserError(f"--method {method!r} is not a diffusion sampler: use {' or '.join(SAMPLING_METHODS)}.")
        if guidance and not self.is_conditional:
            raise UserError("--guidance applies only to conditional diffusion runs (train with --conditional): "
                            "drop it.")
        if self.is_conditional and condition is None:
            condition = torch.arange(n, device=self.device) % self.num_classes
        labels = self._labels(condition, n)
        if method == "ddpm":
            times, eta = self._times(steps or self.config.timesteps), 1.0
        else:
            times, eta = self._times(steps), 0.0
        x = temperature * torch.randn(n, *self.spec.shape, device=self.device)  # x_T
        return self._reverse(x, labels, times, eta, guidance, temperature)

    @torch.no_grad()
    def inpaint(self, x: torch.Tensor, mask: torch.Tensor, condition: torch.Tensor | None = None,
                steps: int | None = None, resample: int = RESAMPLE, temperature: float = 1.0) -> torch.Tensor:
        """RePaint (Lugmayr et al. 2022): the ancestral chain over `steps` steps (default config.sample_steps)
        where after every step the known pixels are set to the image noised to that step, q(x_s | x_0), and the
        masked ones (mask (B, H, W) True) follow the model. Each step is taken `resample` times, the result
        noised back one step between tries, so the filled region comes to agree with what surrounds it; the
        paper takes 250 steps with 10 resamplings, a CPU fewer. A conditional run without labels fills with
        the null class (no label)."""
        if resample < 1:
            raise UserError(f"--resample {resample} must be at least 1 (1: no resampling).")
        labels = self._labels(condition, len(x))
        known = to_unit_range(x, self.spec.levels)  # (B, C, H, W)
        fill = mask[:, None].to(known.dtype)  # (B, 1, H, W): 1 where the model draws
        times = self._times(steps)
        z = temperature * torch.randn_like(known)  # x_T
        for t, s in zip(reversed(times[1:]), reversed(times[:-1])):
            ab_t, ab_s = self.alpha_bar[t].item(), self.alpha_bar[s].item()
            for attempt in range(resample):
                drawn = self._step(z, t, s, labels, 1.0, temperature=temperature)
                noised = math.sqrt(ab_s) * known + math.sqrt(1 - ab_s) * torch.randn_like(known)
                z = fill * drawn + (1 - fill) * noised  # x_s
                if attempt < resample - 1:  # back to step t: q(x_t | x_s)
                    z = math.sqrt(ab_t / ab_s) * z + math.sqrt(1 - ab_t / ab_s) * torch.randn_like(z)
        return torch.where(mask[:, None], from_unit_range(z, self.spec.levels), x.long())

    @torch.no_grad()
    def encode(self, x: torch.Tensor, condition: torch.Tensor | None = None, steps: int | None = None) -> torch.Tensor:
        """Deterministic DDIM inversion of images x (B, C, H, W) to x_T, flattened to (B, C*H*W).

        Without clipping, the DDIM step t -> s is affine, x_s = A x_t + B out(x_t, t); each step s -> t
        here solves it for x_t with out(x_s, t) in place of the unknown out(x_t, t), so decode inverts it
        up to how much the network's output changes over one step."""
        labels = self._labels(condition, len(x))
        z = to_unit_range(x, self.spec.levels)
        times = self._times(steps)
        for s, t in zip(times[:-1], times[1:]):
            ab_s, ab_t = self.alpha_bar[s].item(), self.alpha_bar[t].item()
            a0, b0, a1, b1 = self._readout(ab_t)
            scale = math.sqrt(ab_s) * a0 + math.sqrt(1 - ab_s) * a1  # A
            shift = math.sqrt(ab_s) * b0 + math.sqrt(1 - ab_s) * b1  # B
            out = self._output(z, torch.full((len(z),), t, dtype=torch.long, device=z.device), labels)
            z = (z - shift * out) / scale
        return z.flatten(1)

    @torch.no_grad()
    def decode(self, z: torch.Tensor, condition: torch.Tensor | None = None, steps: int | None = None) -> torch.Tensor:
        """DDIM sampling from latents z = x_T (B, C*H*W) to images as levels; decode(encode(x)) ~ x."""
        labels = self._labels(condition, len(z))
        return self._reverse(z.reshape(len(z), *self.spec.shape).float(), labels, self._times(steps), eta=0.0)
