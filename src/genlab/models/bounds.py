"""Pieces of the variational bounds that more than one family computes, written once.

- `gaussian_kl_to_standard`: KL(N(mu, diag exp(log_var)) || N(0, I)), the ELBO's prior term (VAE, SSVAE).
- `importance_weighted`: the IWAE estimate log (1/k) sum_i w_i from k log-weights drawn in chunks (VAE
  latents, a flow's dequantisation noise), so memory stays bounded however large k is.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


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
