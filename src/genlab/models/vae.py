"""Convolutional VAE (Kingma & Welling 2014) with a discrete decoder, β as a knob, IWAE likelihood.

The decoder outputs a categorical (few levels) or a discretised logistic mixture (many levels) per
sub-pixel, so -ELBO is a true upper bound on the code length of the discrete images.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from pydantic import Field
import torch.nn.functional as F
from torch import nn

from genlab.data.spec import DatasetSpec
from genlab.models.base import GenerativeModel, LogLikelihood, ModelConfig, to_unit_range
from genlab.models.layers import ResBlock, downsampled_sizes, pyramid_widths
from genlab.models.likelihoods import make_head
from genlab.units import bits_per_dim

LOG_2PI = math.log(2 * math.pi)


class VAEConfig(ModelConfig):
    latent_dim: int = Field(32, gt=0)
    channels: int = Field(32, gt=0)  # width at full resolution; doubles once per downsampling, capped at 4x
    blocks: int = Field(1, ge=0)  # residual blocks per resolution
    beta: float = Field(1.0, ge=0)  # weight of the KL term (beta-VAE); 1.0 keeps the loss an ELBO
    likelihood: Literal["auto", "categorical", "logistic_mixture"] = "auto"
    mixtures: int = Field(5, gt=0)  # components of the discretised logistic mixture
    dropout: float = Field(0.0, ge=0, lt=1)


class VAE(GenerativeModel):
    name = "vae"
    Config = VAEConfig
    has_likelihood = True
    has_latent = True
    has_importance_bound = True

    def __init__(self, spec: DatasetSpec, config: VAEConfig):
        super().__init__(spec, config)
        c, h, w = spec.shape
        self.sizes = downsampled_sizes(h, w)
        widths = pyramid_widths(config.channels, len(self.sizes))
        self.head = make_head(config.likelihood, c, spec.levels, config.mixtures)
        hs, ws = self.sizes[-1]
        flat = widths[-1] * hs * ws

        enc: list[nn.Module] = [nn.Conv2d(c, widths[0], 3, padding=1)]
        for i in range(len(self.sizes) - 1):
            enc += [ResBlock(widths[i], config.dropout) for _ in range(config.blocks)]
            enc += [nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1)]
        enc += [ResBlock(widths[-1], config.dropout) for _ in range(config.blocks)]
        enc += [nn.SiLU(), nn.Flatten()]
        self.encoder = nn.Sequential(*enc)
        labels = self.num_classes if config.conditional else 0  # one-hot label beside features and codes
        self.to_posterior = nn.Linear(flat + labels, 2 * config.latent_dim)

        self.from_latent = nn.Linear(config.latent_dim + labels, flat)
        self.dec_blocks = nn.ModuleList()
        for i in reversed(range(len(self.sizes))):
            stage = [ResBlock(widths[i], config.dropout) for _ in range(config.blocks)]
            if i > 0:
                stage.append(nn.Conv2d(widths[i], widths[i - 1], 3, padding=1))
            self.dec_blocks.append(nn.Sequential(*stage))
        self.to_params = nn.Sequential(nn.SiLU(), nn.Conv2d(widths[0], c * self.head.params_per_channel, 1))
        self.bottom_width = widths[-1]

    # --- networks ---------------------------------------------------------------------------
    def _with_label(self, h: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """h (B, D) with the one-hot label appended (B, D + K) when conditional."""
        one_hot = self.one_hot_labels(y, h.dtype)
        return h if one_hot is None else torch.cat([h, one_hot], dim=1)

    def _posterior(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.encoder(to_unit_range(x, self.spec.levels))  # (B, flat)
        mu, log_var = self.to_posterior(self._with_label(features, y)).chunk(2, dim=1)  # (B, Z) each
        return mu, log_var.clamp(-12.0, 8.0)

    def _decoder_params(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        hs, ws = self.sizes[-1]
        h = self.from_latent(self._with_label(z, y)).view(len(z), self.bottom_width, hs, ws)  # (B, C', hs, ws)
        sizes = list(reversed(self.sizes))
        for i, stage in enumerate(self.dec_blocks):
            if h.shape[-2:] != sizes[i]:
                h = F.interpolate(h, size=sizes[i], mode="nearest")
            h = stage(h)
        return self.to_params(h)  # (B, C * params_per_channel, H, W)

    # --- protocol ---------------------------------------------------------------------------
    def _elbo_parts(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_var = self._posterior(x, y)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        recon = -self.head.log_prob(self._decoder_params(z, y), x)  # (B,) nats
        kl = 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var).sum(1)  # (B,) nats
        return recon, kl

    def loss(self, batch: dict) -> dict:
        recon, kl = self._elbo_parts(batch["x"], batch.get("y"))
        dims = self.spec.dims
        loss = (recon + self.config.beta * kl).mean() / dims  # nats per dim keeps the scale data-independent
        return {"loss": loss, "recon": recon.mean().detach(), "kl": kl.mean().detach(),
                "bpd": bits_per_dim((recon + kl).mean(), dims).detach()}

    @torch.no_grad()
    def sample(self, n: int, condition=None, temperature: float = 1.0) -> torch.Tensor:
        z = torch.randn(n, self.config.latent_dim, device=self.device)
        return self.head.sample(self._decoder_params(z, condition), temperature)

    @torch.no_grad()
    def log_prob(self, x: torch.Tensor, condition=None, k: int = 1, chunk: int = 25) -> LogLikelihood:
        """ELBO for k=1; the IWAE bound with k importance samples otherwise (tighter as k grows)."""
        if k <= 1:
            recon, kl = self._elbo_parts(x, condition)
            return LogLikelihood(-(recon + kl), "elbo")
        mu, log_var = self._posterior(x, condition)
        std = torch.exp(0.5 * log_var)
        log_w = []
        for start in range(0, k, chunk):
            kc = min(chunk, k - start)
            eps = torch.randn(kc, *mu.shape, device=mu.device)  # (kc, B, Z)
            z = mu + std * eps
            log_q = (-0.5 * (eps.pow(2) + LOG_2PI) - 0.5 * log_var).sum(-1)  # (kc, B)
            log_prior = (-0.5 * (z.pow(2) + LOG_2PI)).sum(-1)
            labels = None if condition is None else condition.repeat(kc)
            params = self._decoder_params(z.flatten(0, 1), labels)
            log_lik = self.head.log_prob(params, x.repeat(kc, 1, 1, 1)).view(kc, -1)
            log_w.append(log_lik + log_prior - log_q)
        log_w = torch.cat(log_w)  # (k, B)
        return LogLikelihood(torch.logsumexp(log_w, 0) - math.log(k), f"iwae-{k}")

    @torch.no_grad()
    def encode(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        return self._posterior(x, condition)[0]

    @torch.no_grad()
    def decode(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """The decoder's mean image for each latent, as integer levels."""
        return self.head.mean(self._decoder_params(z, condition))
