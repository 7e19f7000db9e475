"""Pieces of the variational bounds that more than one family computes, written once.

- `gaussian_kl_to_standard`: KL(N(mu, diag exp(log_var)) || N(0, I)), the ELBO's prior term (VAE, SSVAE).
- `importance_weighted`: the IWAE estimate log (1/k) sum_i w_i from k log-weights drawn in chunks (VAE
  latents, a flow's dequantisation noise), so memory stays bounded however large k is.
- `gaussian_log_density`: log N(v; mu, diag exp(log_var)), summed over the last dimension (M1+M2's decoder
  and posterior over M1's latents).
- `unlabelled_bound`: M2's bound for an image whose label is hidden, E_q(y|x)[-ELBO(x, y)] - H(q(y | x))
  (SSVAE and M1+M2).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2 * math.pi)


def gaussian_kl_to_standard(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(log_var))) || N(0, I)) in nats, summed over the latent dimension: (B, Z) -> (B,).
    Closed form 0.5 * sum(mu^2 + sigma^2 - 1 - log sigma^2) (Kingma & Welling 2014, appendix B)."""
    return 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var).sum(1)


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
