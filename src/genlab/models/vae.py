"""Convolutional VAE (Kingma & Welling 2014) with a discrete decoder, β as a knob, IWAE likelihood.

The decoder outputs a categorical (few levels) or a discretised logistic mixture (many levels) per
sub-pixel, so -ELBO is a true upper bound on the code length of the discrete images. Encoder and decoder
are the shared convolutional parts (models/conv_parts.py), or fully connected ones (models/mlp_parts.py).
"""

from __future__ import annotations

from typing import Callable, ClassVar, Literal

import torch
from pydantic import Field
from torch import nn

from genlab.data.spec import DatasetSpec
from genlab.models.base import GenerativeModel, LogLikelihood, ModelConfig, to_unit_range
from genlab.models.bounds import LOG_2PI, gaussian_kl_per_latent, gaussian_kl_to_standard, importance_weighted
from genlab.models.conv_parts import ConvDecoder, Pyramid, conv_encoder
from genlab.models.likelihoods import make_head
from genlab.models.mlp_parts import MLPDecoder, mlp_encoder
from genlab.models.broadcast_parts import BroadcastDecoder
from genlab.models.strided_parts import HIDDEN as STRIDED_HIDDEN
from genlab.models.strided_parts import StridedDecoder, strided_encoder
from genlab.units import bits_per_dim

CHUNK = 64  # rows per pass of the encoder or decoder: a larger batch in one pass falls out of this CPU's caches
# (one-off: the strided network at 64x64, batch 512 in bf16, 5.9-7.3 s a step in one pass against 4.9 s in
# eight passes of 64 on a busy core; the batch-256 runs logged 4.0 steps/s before, 5.5 after)


def in_chunks(network: nn.Module, h: torch.Tensor) -> torch.Tensor:
    """network(h) for a batch h (B, ...), run CHUNK rows at a time: the same result for networks that treat rows
    independently (no batch statistics), as every network here does; a batch of at most CHUNK is one pass."""
    return network(h) if len(h) <= CHUNK else torch.cat([network(part) for part in h.split(CHUNK)])


def _conv(shape: tuple[int, int, int], config: "VAEConfig") -> tuple[nn.Module, int, Callable[[int, int], nn.Module]]:
    pyramid = Pyramid(shape, config.channels)
    return (conv_encoder(pyramid, config.blocks, config.dropout), pyramid.flat,
            lambda code, params: ConvDecoder(pyramid, code, params, config.blocks, config.dropout))


def _mlp(shape: tuple[int, int, int], config: "VAEConfig") -> tuple[nn.Module, int, Callable[[int, int], nn.Module]]:
    return (mlp_encoder(shape, config.hidden), config.hidden,
            lambda code, params: MLPDecoder(shape, code, params, config.hidden))


def _strided(shape: tuple[int, int, int], config: "VAEConfig") -> tuple[nn.Module, int, Callable[[int, int], nn.Module]]:
    return strided_encoder(shape), STRIDED_HIDDEN, lambda code, params: StridedDecoder(shape, code, params)


def _broadcast(**options) -> Callable:
    """The strided encoder with a spatial broadcast decoder of `options` (models/broadcast_parts.py)."""
    def network(shape: tuple[int, int, int], config: "VAEConfig") -> tuple[nn.Module, int, Callable[[int, int], nn.Module]]:
        return strided_encoder(shape), STRIDED_HIDDEN, lambda code, params: BroadcastDecoder(shape, code, params, **options)
    return network


# network name -> (image shape, config) -> (encoder, its feature count, decoder(code size, head parameters per
# channel)); the decoder is built after the posterior layer, so the weights' creation order stays as it was
NETWORKS = {"conv": _conv, "mlp": _mlp, "strided": _strided, "broadcast": _broadcast(),
            "steered": _broadcast(steered=True), "broadcast-mlp": _broadcast(code_hidden=STRIDED_HIDDEN)}


class VAEConfig(ModelConfig):
    latent_dim: int = Field(32, gt=0)
    # "conv": the shared conv pyramid (models/conv_parts.py); "mlp": fully connected layers of `hidden` units
    # (models/mlp_parts.py), Chen et al.'s beta-TCVAE network for dSprites; "strided": disentanglement_lib's
    # 4x4 stride-2 convolutions with ReLU (models/strided_parts.py), for square images of 8, 16, 32, 64... pixels;
    # "broadcast": that encoder and a spatial broadcast decoder (models/broadcast_parts.py); "steered": the same
    # whose first layer's half-planes turn with the code; "broadcast-mlp": the same whose code reaches the cells
    # through a ReLU layer
    network: Literal["conv", "mlp", "strided", "broadcast", "steered", "broadcast-mlp"] = "conv"
    channels: int = Field(32, gt=0)  # conv: width at full resolution; doubles once per downsampling, capped at 4x
    blocks: int = Field(1, ge=0)  # conv: residual blocks per resolution
    hidden: int = Field(1200, gt=0)  # mlp: units per layer (Chen et al.'s 1,200)
    beta: float = Field(1.0, ge=0)  # weight of the KL term (beta-VAE); 1.0 keeps the loss an ELBO
    # Free bits (Kingma et al. 2016, IAF, eq. 15): each latent's batch-mean KL counts in the training loss as
    # at least this many nats, so no gradient pulls a latent below it to the prior and a noisy step cannot
    # collapse the posterior for good. 0 trains the plain ELBO; the reported bits/dim are always the ELBO's.
    free_bits: float = Field(0.0, ge=0)
    likelihood: Literal["auto", "categorical", "logistic_mixture"] = "auto"
    mixtures: int = Field(5, gt=0)  # components of the discretised logistic mixture
    dropout: float = Field(0.0, ge=0, lt=1)
    # On dSprites, the recipe `genlab bench disentanglement --probe` picked (docs/disentanglement.md): the strided
    # encoder and the spatial broadcast decoder with 10 latents, Adam 1e-3 at batch 256 (beta-TCVAE's minibatch
    # TC estimate needs the batch) in bf16 (about 1.3x the steps a second of fp32 on this CPU)
    FOR_DATA = {"dsprites": {"network": "broadcast", "latent_dim": 10}}
    TRAINING_FOR_DATA = {"dsprites": {"batch_size": 256, "lr": 1e-3, "precision": "bf16"}}


class VAE(GenerativeModel):
    """q(z | x) = N(mu(x), diag sigma^2(x)) from the conv encoder, p(z) = N(0, I), p(x | z) the discrete head
    on the conv decoder's output; conditional: the one-hot label joins the features and the code."""

    name = "vae"
    Config = VAEConfig
    has_importance_bound = True

    # Checkpoints written before the decoder became the shared ConvDecoder (models/conv_parts.py) kept its
    # layers on the VAE itself: old name prefix -> new.
    OLD_DECODER_PREFIXES: ClassVar[dict[str, str]] = {
        "from_latent.": "decoder.from_latent.",
        "dec_blocks.": "decoder.stages.",
        "to_params.": "decoder.to_params.",
    }

    def __init__(self, spec: DatasetSpec, config: VAEConfig):
        super().__init__(spec, config)
        self.head = make_head(config.likelihood, spec.shape[0], spec.levels, config.mixtures)
        labels = self.num_classes if config.conditional else 0  # one-hot label beside features and codes
        # Created in this order (encoder, posterior, decoder), so the initial weights are those of every
        # earlier version of this family at the same seed.
        self.encoder, features, decoder = NETWORKS[config.network](spec.shape, config)
        self.to_posterior = nn.Linear(features + labels, 2 * config.latent_dim)
        self.decoder = decoder(config.latent_dim + labels, self.head.params_per_channel)

    def upgrade_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Old decoder names (from_latent.*, dec_blocks.*, to_params.*) -> decoder.*; other names unchanged."""
        def renamed(key: str) -> str:
            for old, new in self.OLD_DECODER_PREFIXES.items():
                if key.startswith(old):
                    return new + key[len(old):]
            return key
        return {renamed(key): value for key, value in state.items()}

    # --- networks ---------------------------------------------------------------------------
    def _with_label(self, h: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """h (B, D) with the one-hot label appended (B, D + K) when conditional."""
        one_hot = self.one_hot_labels(y, h.dtype)
        return h if one_hot is None else torch.cat([h, one_hot], dim=1)

    def posterior(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance (B, Z) each of q(z | x) for images x (B, C, H, W) of integer levels."""
        features = in_chunks(self.encoder, to_unit_range(x, self.spec.levels))  # (B, flat)
        # fp32 even under bf16 autocast: the KL and TC terms compare small variances and sum over the batch
        mu, log_var = self.to_posterior(self._with_label(features, y)).float().chunk(2, dim=1)  # (B, Z) each
        return mu, log_var.clamp(-12.0, 8.0)

    def _decoder_params(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Head parameters (B, C * params_per_channel, H, W) for codes z (B, Z) (and labels y (B,)), in fp32 even
        under bf16 autocast (the log-likelihood sums thousands of pixels)."""
        return in_chunks(self.decoder, self._with_label(z, y)).float()

    # --- protocol ---------------------------------------------------------------------------
    def _draw(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """One reparameterised draw z ~ q(z | x): (recon (B,) nats, mu, log_var, z (B, Z) each)."""
        mu, log_var = self.posterior(x, y)  # (B, Z) each
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        recon = -self.head.log_prob(self._decoder_params(z, y), x)  # (B,) nats
        return recon, mu, log_var, z

    def _elbo_parts(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(recon, kl), each (B,) nats, with one reparameterised draw of z: -ELBO = recon + kl."""
        recon, mu, log_var, _ = self._draw(x, y)
        return recon, gaussian_kl_to_standard(mu, log_var)

    def regulariser(self, z: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict]:
        """What a disentangling objective adds to the beta-ELBO, given the batch's draws z and posteriors
        (B, Z) each: (a penalty in nats per example, a helper network's own loss, named parts to log).
        The plain VAE adds nothing; beta-TCVAE and FactorVAE override this."""
        zero = z.new_zeros(())
        return zero, zero, {}

    def loss(self, batch: dict) -> dict:
        recon, mu, log_var, z = self._draw(batch["x"], batch.get("y"))
        kl_per_latent = gaussian_kl_per_latent(mu, log_var)  # (B, Z)
        kl = kl_per_latent.sum(1)  # (B,)
        penalty, helper_loss, parts = self.regulariser(z, mu, log_var)
        dims = self.spec.dims
        free = self.config.free_bits
        trained_kl = kl_per_latent.mean(0).clamp(min=free).sum() if free else kl.mean()  # () nats
        # nats per dim keeps the scale data-independent
        loss = (recon.mean() + self.config.beta * trained_kl + penalty) / dims + helper_loss
        return {"loss": loss, "recon": recon.mean().detach(), "kl": kl.mean().detach(),
                "bpd": bits_per_dim((recon + kl).mean(), dims).detach(), **parts}

    @torch.no_grad()
    def sample(self, n: int, condition=None, temperature: float = 1.0) -> torch.Tensor:
        """z ~ N(0, I) (n, Z), then the head's sample at `temperature` (the prior itself is not scaled)."""
        z = torch.randn(n, self.config.latent_dim, device=self.device)
        return self.head.sample(self._decoder_params(z, condition), temperature)

    @torch.no_grad()
    def log_prob(self, x: torch.Tensor, condition=None, k: int = 1, chunk: int = 25) -> LogLikelihood:
        """ELBO for k=1; the IWAE bound with k importance samples otherwise (tighter as k grows)."""
        if k <= 1:
            recon, kl = self._elbo_parts(x, condition)
            return LogLikelihood(-(recon + kl), "elbo")
        mu, log_var = self.posterior(x, condition)  # (B, Z) each
        std = torch.exp(0.5 * log_var)

        def log_weights(kc: int) -> torch.Tensor:
            """log p(x, z) - log q(z | x) for kc draws of z per image: (kc, B)."""
            eps = torch.randn(kc, *mu.shape, device=mu.device)  # (kc, B, Z)
            z = mu + std * eps
            log_q = (-0.5 * (eps.pow(2) + LOG_2PI) - 0.5 * log_var).sum(-1)  # (kc, B)
            log_prior = (-0.5 * (z.pow(2) + LOG_2PI)).sum(-1)  # (kc, B)
            labels = None if condition is None else condition.repeat(kc)
            params = self._decoder_params(z.flatten(0, 1), labels)  # (kc * B, C * P, H, W)
            log_lik = self.head.log_prob(params, x.repeat(kc, 1, 1, 1)).view(kc, -1)  # (kc, B)
            return log_lik + log_prior - log_q

        return LogLikelihood(importance_weighted(log_weights, k, chunk), f"iwae-{k}")

    @torch.no_grad()
    def encode(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """The posterior means (B, Z): a deterministic code for each image."""
        return self.posterior(x, condition)[0]

    @torch.no_grad()
    def latent_kl(self, x: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """KL(q(z_d | x) || N(0, 1)) per example and latent (B, Z), nats: the ELBO's KL term before the sum."""
        return gaussian_kl_per_latent(*self.posterior(x, condition))

    @torch.no_grad()
    def decode(self, z: torch.Tensor, condition: torch.Tensor | None = None) -> torch.Tensor:
        """The decoder's mean image for each latent, as integer levels."""
        return self.head.mean(self._decoder_params(z, condition))
