"""Pieces of the variational bounds that more than one family computes, written once.

- `gaussian_kl_per_latent`, `gaussian_kl_to_standard`: KL(N(mu, diag exp(log_var)) || N(0, I)), the ELBO's prior term (VAE, SSVAE).
- `importance_weighted`: the IWAE estimate log (1/k) sum_i w_i from k log-weights drawn in chunks (VAE
  latents, a flow's dequantisation noise), so memory stays bounded however large k is.
- `gaussian_log_density`: log N(v; mu, diag exp(log_var)), summed over the last dimension (M1+M2's decoder
  and posterior over M1's latents).
- `unlabelled_bound`: M2's bound for an image whose label is hidden, E_q(y|x)[-ELBO(x, y)] - H(q(y | x))
  (SSVAE and M1+M2).
- `total_correlation`: the minibatch estimate of TC(z) = KL(q(z) || prod_d q(z_d)) (beta-TCVAE).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2 * math.pi)


def gaussian_kl_per_latent(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mu_d, exp(log_var_d)) || N(0, 1)) in nats per latent dimension: (B, Z) -> (B, Z).
    Closed form 0.5 * (mu^2 + sigma^2 - 1 - log sigma^2) (Kingma & Welling 2014, appendix B)."""
    return 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var)


def gaussian_kl_to_standard(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(log_var))) || N(0, I)) in nats, summed over the latent dimension: (B, Z) -> (B,)."""
    return gaussian_kl_per_latent(mu, log_var).sum(1)


def importance_weighted(log_weights: Callable[[int], torch.Tensor], k: int, chunk: int) -> torch.Tensor:
    """log (1/k) sum_{i<k} exp(log w_i) per example (B,), the importance-weighted bound (Burda et al. 2016).

    log_weights(kc) draws kc fresh samples and returns their log-weights (kc, B), e.g. log p(x, z) - log q(z | x);
    it is called for chunks of `chunk` samples in turn (the last one smaller), so the random draws happen in
    the same order as one loop over the chunks would make them."""
    parts = [log_weights(min(chunk, k - start)) for start in range(0, k, chunk)]  # each (kc, B)
    return torch.logsumexp(torch.cat(parts), 0) - math.log(k)  # (k, B) -> (B,)


def gaussian_log_density(v: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """log N(v; mu, diag(exp(log_var))) in nats, summed over the last dimension: (..., D) -> (...)."""
    return (-0.5 * ((v - mu).pow(2) * torch.exp(-log_var) + log_var + LOG_2PI)).sum(-1)


def unlabelled_bound(neg_elbo: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """E_q(y|x)[-ELBO(x, y)] - H(q(y | x)) per example (U,), from -ELBO(x, y) for every class (U, K) and the
    classifier's logits (U, K): the negative bound M2 puts on -log p(x) when y is not observed."""
    log_q = F.log_softmax(logits, dim=1)  # (U, K)
    return (log_q.exp() * (neg_elbo + log_q)).sum(1)


def total_correlation(z: torch.Tensor, mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """Minibatch-weighted estimate of the total correlation of the aggregate posterior q(z) (Chen et al. 2018,
    section 3, eq. 4), for draws z (B, Z) of q(z | x_i) with parameters mu, log_var (B, Z): a scalar, nats.

    log q(z_i) ~ logsumexp_j log q(z_i | x_j) - log B, and the same per dimension for each marginal q(z_d);
    TC ~ mean_i [log q(z_i) - sum_d log q(z_id)]. The batch's mixture of posteriors stands for q(z), so this
    is that mixture's TC in expectation, which a brute-force computation checks. The paper subtracts
    log(N B) for a data set of N instead of log B, which shifts the estimate by (Z - 1) log N and leaves the
    gradients unchanged (disentanglement_lib drops the constant altogether)."""
    b = len(z)
    # log q(z_i[d] | x_j) for every pair (i, j) and dimension d: (B, B, Z)
    pairwise = -0.5 * ((z[:, None] - mu[None]).pow(2) * torch.exp(-log_var[None]) + log_var[None] + LOG_2PI)
    log_joint = torch.logsumexp(pairwise.sum(2), dim=1) - math.log(b)  # (B,) log q(z_i)
    log_marginals = (torch.logsumexp(pairwise, dim=1) - math.log(b)).sum(1)  # (B,) sum_d log q(z_id)
    return (log_joint - log_marginals).mean()
