"""FactorVAE (Kim & Mnih 2018): the VAE plus gamma x its total correlation, estimated by a discriminator.

A discriminator D tells codes z ~ q(z) (a batch's draws) from codes of the product of marginals (the same
draws with each latent dimension shuffled across the batch independently, `permute_dims`); by the density
ratio trick TC(z) ~ E[logit D(z) - logit (1 - D(z))], which the VAE minimises with weight gamma while D
learns to tell the two apart. Both objectives go into the trainer's one backward pass: D's loss sees the
codes detached, and the VAE's TC term reads D through detached weights, so each network gets only its own
gradient. D is the paper's MLP with leaky ReLUs, narrower (its 6 x 1000 units cost more than the VAE on a
CPU), and has its own Adam group with the paper's betas (0.5, 0.9).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn
from torch.func import functional_call

from genlab.data.spec import DatasetSpec
from genlab.models.vae import VAE, VAEConfig


class FactorVAEConfig(VAEConfig):
    tc_weight: float = Field(35.0, ge=0)  # gamma; Kim & Mnih's dSprites sweep found 10-50 best
    disc_width: int = Field(256, gt=0)  # units per hidden layer of the discriminator
    disc_layers: int = Field(4, gt=0)  # hidden layers of the discriminator
    disc_lr_scale: float = Field(1.0, gt=0)  # discriminator lr = training.lr x this


def permute_dims(z: torch.Tensor) -> torch.Tensor:
    """z (B, Z) with every column shuffled by its own random permutation of the batch: a draw from the
    product of the marginals q(z_1) ... q(z_Z) of the batch's codes."""
    order = torch.argsort(torch.rand(z.shape, device=z.device), dim=0)  # (B, Z), a permutation per column
    return z.gather(0, order)


class FactorVAE(VAE):
    name = "factorvae"
    Config = FactorVAEConfig

    def __init__(self, spec: DatasetSpec, config: FactorVAEConfig):
        super().__init__(spec, config)
        layers: list[nn.Module] = []
        width = config.latent_dim
        for _ in range(config.disc_layers):
            layers += [nn.Linear(width, config.disc_width), nn.LeakyReLU(0.2)]
            width = config.disc_width
        self.discriminator = nn.Sequential(*layers, nn.Linear(width, 2))  # logits (joint, permuted)

    def optimizer_groups(self) -> list[dict]:
        """The VAE at the base learning rate; the discriminator with its own lr scale and betas (0.5, 0.9)."""
        own = {id(p) for p in self.discriminator.parameters()}
        return [{"params": [p for p in self.parameters() if id(p) not in own]},
                {"params": list(self.discriminator.parameters()), "betas": (0.5, 0.9),
                 "lr_scale": self.config.disc_lr_scale}]

    def regulariser(self, z: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict]:
        """gamma x TC through the frozen discriminator (nats per example), and the discriminator's
        cross-entropy on the detached joint (class 0) and permuted (class 1) codes; logs "tc", "d_loss",
        "d_accuracy"."""
        frozen = {name: p.detach() for name, p in self.discriminator.named_parameters()}
        logits = functional_call(self.discriminator, frozen, (z,)).float()  # (B, 2), gradient reaches the VAE only
        tc = (logits[:, 0] - logits[:, 1]).mean()
        codes = z.detach()
        d_logits = self.discriminator(torch.cat([codes, permute_dims(codes)])).float()  # (2B, 2)
        target = torch.arange(2, device=z.device).repeat_interleave(len(z))  # (2B,) 0: joint, 1: permuted
        d_loss = F.cross_entropy(d_logits, target)
        accuracy = (d_logits.argmax(1) == target).float().mean()
        return (self.config.tc_weight * tc, d_loss,
                {"tc": tc.detach(), "d_loss": d_loss.detach(), "d_accuracy": accuracy.detach()})
