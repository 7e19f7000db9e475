"""beta-TCVAE (Chen et al. 2018): the VAE with its total correlation weighted beta times.

The ELBO's KL term splits into index-code mutual information, total correlation TC(z) = KL(q(z) ||
prod_d q(z_d)) and dimension-wise KL; penalising the TC alone pushes the aggregate posterior to factorise,
so each latent is free to follow one factor without the reconstruction cost of a large beta on the whole
KL. The objective is disentanglement_lib's form of the paper's (alpha = gamma = 1): recon + KL + (beta - 1)
TC, with TC by the minibatch-weighted estimate (models/bounds.py). Chen et al. use beta = 6 on dSprites.
"""

from __future__ import annotations

import torch
from pydantic import Field

from genlab.models.bounds import total_correlation
from genlab.models.vae import VAE, VAEConfig


class TCVAEConfig(VAEConfig):
    tc_weight: float = Field(6.0, ge=0)  # beta of the total-correlation term (1: the plain VAE)


class TCVAE(VAE):
    name = "tcvae"
    Config = TCVAEConfig

    def regulariser(self, z: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict]:
        """(tc_weight - 1) x the batch's TC estimate (nats per example); logs "tc"."""
        tc = total_correlation(z, mu, log_var)
        return (self.config.tc_weight - 1.0) * tc, tc.new_zeros(()), {"tc": tc.detach()}
