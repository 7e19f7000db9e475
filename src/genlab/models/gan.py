"""DCGAN-style generative adversarial network (Radford et al. 2016) for images of any shape, trained with
the WGAN-GP loss (Gulrajani et al. 2017) or the non-saturating loss with an R1 penalty (Goodfellow et al.
2014; Mescheder et al. 2018).

The trainer takes one backward pass and one optimizer step per step, so both players' objectives are
summed into one scalar in which each network sees only its own gradient: the discriminator's loss uses
the fakes detached, and the generator's loss goes through the discriminator with its weights detached.
Real images are integer levels and the generator's output is continuous; the discriminator sees both
with uniform noise one level wide added, so it cannot win by spotting the level grid. (Noise on the real
images alone asks the generator to reproduce the noise, and on binary data its misses showed as speckle.)

Conditional: the generator takes a one-hot label beside z, the discriminator adds the projection term
<embed(y), features> (Miyato & Koyama 2018).

A GAN has no likelihood (no log_prob) and no encoder: `decode(z)` maps latents to images, but
`has_latent` (which needs encode and decode) stays False because `encode` would need a per-image
optimisation this file does not do.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn
from torch.func import functional_call

from genlab.data.spec import DatasetSpec
from genlab.models.base import GenerativeModel, ModelConfig, from_unit_range, to_unit_range
from genlab.models.layers import downsampled_sizes, pyramid_widths


class GANConfig(ModelConfig):
    latent_dim: int = Field(64, gt=0)
    # Width at full resolution; doubles once per downsampling, capped at 4x. 24 reached recognisable MNIST
    # digits within 10 CPU-minutes; 32 costs about 1.4x more per step.
    channels: int = Field(24, gt=0)
    loss: Literal["wgan-gp", "non-saturating"] = "wgan-gp"
    # WGAN-GP: weight of (|grad D(x_hat)| - 1)^2 on real/fake interpolates; non-saturating: gamma of the
    # R1 penalty gamma/2 |grad D(x_real)|^2.
    gp_weight: float = Field(10.0, ge=0)
    # Share of the batch the penalty is evaluated on: an unbiased estimate of the same expectation, and its
    # double backward pass is half the cost of a step when evaluated on the whole batch.
    gp_fraction: float = Field(0.25, gt=0, le=1)
    # Discriminator updates per generator update, counted in loss calls (micro-batches, with
    # training.accumulate). With the two time-scale learning rates below, the WGAN-GP paper's 5 was no
    # better than 1 at equal steps on MNIST, and a step costs the same either way.
    n_critic: int = Field(1, gt=0)
    g_lr_scale: float = Field(0.4, gt=0)  # generator lr = training.lr x this
    d_lr_scale: float = Field(0.8, gt=0)  # discriminator lr = training.lr x this (two time-scale rule)


class Generator(nn.Module):
    """z (and a one-hot label) -> a linear map to the coarsest grid -> per resolution: upsample to the next
    size (nearest, so odd sizes work), 3x3 conv, batch norm, ReLU -> 3x3 conv and tanh: (B, C, H, W).

    The one-hot label's columns of the first layer are a learned per-class embedding. A free embedding
    concatenated to z instead grew to dominate it on MNIST, and each class collapsed to a single image.

    Batch norm, as in DCGAN: on MNIST it gave cleaner, connected strokes at equal steps than a per-pixel
    norm (Karras et al. 2018). In eval mode it uses running statistics, so a sample does not depend on the
    rest of its batch.
    """

    def __init__(self, channels: int, sizes: list[tuple[int, int]], widths: list[int], latent_dim: int, labels: int):
        super().__init__()
        self.sizes, self.bottom_width = sizes, widths[-1]
        hs, ws = sizes[-1]
        self.labels = labels
        self.from_latent = nn.Linear(latent_dim + labels, widths[-1] * hs * ws)
        self.stem = nn.Sequential(nn.BatchNorm2d(widths[-1]), nn.ReLU())
        self.stages = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[i + 1], widths[i], 3, padding=1), nn.BatchNorm2d(widths[i]), nn.ReLU())
            for i in reversed(range(len(sizes) - 1))
        )
        self.to_image = nn.Conv2d(widths[0], channels, 3, padding=1)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        if self.labels:
            z = torch.cat([z, F.one_hot(y, self.labels).to(z.dtype)], dim=1)  # (B, Z + K)
        hs, ws = self.sizes[-1]
        h = self.stem(self.from_latent(z).view(len(z), self.bottom_width, hs, ws))  # (B, C', hs, ws)
        for size, stage in zip(reversed(self.sizes[:-1]), self.stages):
            h = stage(F.interpolate(h, size=size, mode="nearest"))  # (B, C'', *size)
        return torch.tanh(self.to_image(h))  # (B, C, H, W) in [-1, 1]


class Discriminator(nn.Module):
    """3x3 conv, then stride-2 3x3 convs down the pyramid (LeakyReLU, no normalisation: the gradient
    penalty is per example) -> a linear score, plus the projection <embed(y), features> when conditional
    (Miyato & Koyama 2018)."""

    def __init__(self, channels: int, sizes: list[tuple[int, int]], widths: list[int], labels: int):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, widths[0], 3, padding=1), nn.LeakyReLU(0.2)]
        for i in range(len(sizes) - 1):
            layers += [nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1), nn.LeakyReLU(0.2)]
        self.features = nn.Sequential(*layers, nn.Flatten())
        hs, ws = sizes[-1]
        flat = widths[-1] * hs * ws
        # The linear score <w, phi> + b, with w a vector: nn.Linear(flat, 1)'s weight gets a gradient with
        # strides that make DistributedDataParallel warn.
        self.weight = nn.Parameter(torch.randn(flat) / flat**0.5)
        self.bias = nn.Parameter(torch.zeros(()))
        self.projection = nn.Embedding(labels, flat) if labels else None  # per-class offset of w
        if self.projection is not None:
            nn.init.normal_(self.projection.weight, std=flat**-0.5)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        phi = self.features(x)  # (B, flat)
        w = self.weight if self.projection is None else self.weight + self.projection(y)  # (flat,) or (B, flat)
        return (phi * w).sum(1) + self.bias  # (B,)


class GAN(GenerativeModel):
    name = "gan"
    Config = GANConfig

    def __init__(self, spec: DatasetSpec, config: GANConfig):
        super().__init__(spec, config)
        c, h, w = spec.shape
        sizes = downsampled_sizes(h, w)
        widths = pyramid_widths(config.channels, len(sizes))
        labels = self.num_classes if config.conditional else 0
        self.generator = Generator(c, sizes, widths, config.latent_dim, labels)
        self.discriminator = Discriminator(c, sizes, widths, labels)
        # Loss calls so far, saved with the weights so n_critic's schedule resumes exactly.
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))

    def optimizer_groups(self) -> list[dict]:
        """Own learning rates (two time-scale update rule, Heusel et al. 2017) and Adam betas per player:
        beta1 = 0 for WGAN-GP (Gulrajani et al. 2017), so the zero generator gradient of a critic-only step
        leaves the generator still; 0.5 for the non-saturating loss (Radford et al. 2016)."""
        betas = (0.0, 0.9) if self.config.loss == "wgan-gp" else (0.5, 0.999)
        return [
            {"params": list(self.generator.parameters()), "betas": betas, "lr_scale": self.config.g_lr_scale},
            {"params": list(self.discriminator.parameters()), "betas": betas, "lr_scale": self.config.d_lr_scale},
        ]

    # --- pieces -----------------------------------------------------------------------------
    def _level_noise(self, x: torch.Tensor) -> torch.Tensor:
        """x on the [-1, 1] scale plus uniform noise one level wide (B, C, H, W). Applied to real and
        generated images alike (instance noise, Sonderby et al. 2017), it makes both continuous, so the
        discriminator cannot spot the real images' level grid, while the best generator still puts its
        mass exactly on the levels that `sample` rounds to."""
        width = 2.0 / (self.spec.levels - 1)
        return x + (torch.rand(x.shape, device=x.device) - 0.5) * width

    def _probe(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """Where the gradient penalty looks: random real/fake interpolates (WGAN-GP) or real images (R1)."""
        if self.config.loss == "wgan-gp":
            t = torch.rand(len(real), 1, 1, 1, device=real.device)
            return t * real + (1 - t) * fake  # (k, C, H, W)
        return real.clone()

    def _scores(self, real: torch.Tensor, fake: torch.Tensor,
                y: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Discriminator scores of real and fake (B,) each, and the gradient penalty on the first
        gp_fraction of the batch, all from one forward pass."""
        b = len(real)
        k = max(1, round(self.config.gp_fraction * b)) if self.config.gp_weight > 0 else 0
        probe = self._probe(real[:k], fake[:k]).requires_grad_(True)  # (k, C, H, W)
        labels = None if y is None else torch.cat([y, y, y[:k]])
        scores = self.discriminator(torch.cat([real, fake, probe]), labels)  # (2B + k,)
        d_real, d_fake, d_probe = scores.split([b, b, k])
        if k == 0:
            return d_real, d_fake, scores.new_zeros(())
        (grad,) = torch.autograd.grad(d_probe.sum(), probe, create_graph=True)  # (k, C, H, W)
        norm = grad.flatten(1).norm(dim=1)  # (k,)
        penalty = (norm - 1).pow(2) if self.config.loss == "wgan-gp" else 0.5 * norm.pow(2)
        return d_real, d_fake, penalty.mean()

    # --- protocol ---------------------------------------------------------------------------
    def loss(self, batch: dict) -> dict:
        """D loss + penalty + G loss (the last scaled by 0 on critic-only calls). Logged parts: "d_loss",
        "g_loss", "gp" (the penalty before its weight) and "gap" = mean D(real) - mean D(fake), the
        critic's estimate of the Wasserstein distance under WGAN-GP."""
        y = self.labels(batch.get("y"))
        real = self._level_noise(to_unit_range(batch["x"], self.spec.levels))  # (B, C, H, W)
        z = torch.randn(len(real), self.config.latent_dim, device=real.device)
        fake = self._level_noise(self.generator(z, y))  # (B, C, H, W)
        d_real, d_fake, penalty = self._scores(real, fake.detach(), y)
        frozen = {name: p.detach() for name, p in self.discriminator.named_parameters()}
        g_score = functional_call(self.discriminator, frozen, (fake, y))  # (B,), gradient reaches G only
        if self.config.loss == "wgan-gp":
            d_loss = d_fake.mean() - d_real.mean()
            g_loss = -g_score.mean()
        else:
            d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
            g_loss = F.softplus(-g_score).mean()
        generator_turn = float(int(self.calls) % self.config.n_critic == 0)
        if self.training:
            self.calls += 1
        loss = d_loss + self.config.gp_weight * penalty + generator_turn * g_loss
        return {"loss": loss, "d_loss": d_loss.detach(), "g_loss": g_loss.detach(), "gp": penalty.detach(),
                "gap": (d_real.mean() - d_fake.mean()).detach()}

    @torch.no_grad()
    def sample(self, n: int, condition: torch.Tensor | None = None, temperature: float = 1.0) -> torch.Tensor:
        """n images from z ~ N(0, temperature^2 I); temperature < 1 trades variety for typical samples."""
        z = temperature * torch.randn(n, self.config.latent_dim, device=self.device)
        return self.decode(z, condition)

    @torch.no_grad()
    def decode(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """The generator's image for each latent z (B, latent_dim), rounded to integer levels."""
        out = self.generator(z, self.labels(condition))  # (B, C, H, W) in [-1, 1]
        return from_unit_range(out, self.spec.levels)  # (B, C, H, W) levels
