"""Negative log-likelihood of a split and its conversion to bits per dimension — in one place."""

from __future__ import annotations

import numpy as np
import torch

from genlab.models.base import GenerativeModel
from genlab import units


def bits_per_dim(nats_per_example, dims: int) -> float:
    """units.bits_per_dim as a plain float, for metrics and JSON (accepts numpy and tensor scalars)."""
    return float(units.bits_per_dim(nats_per_example, dims))


@torch.no_grad()
def split_log_likelihood(
    model: GenerativeModel, x: np.ndarray, y: np.ndarray | None = None, *, batch_size: int = 100, seed: int = 0, **options
) -> tuple[np.ndarray, str]:
    """Per-example log-likelihood (nats) of integer-level images x (N, C, H, W), and the bound's name."""
    model.eval()
    out, bound = [], "exact"
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for start in range(0, len(x), batch_size):
            xb = torch.from_numpy(x[start : start + batch_size]).long().to(model.device)
            cond = None if y is None or not model.is_conditional else torch.from_numpy(y[start : start + batch_size]).to(model.device)
            result = model.log_prob(xb, cond, **options)
            out.append(result.nats.double().cpu().numpy())
            bound = result.bound
    return np.concatenate(out), bound
