"""A model applied to whole arrays in batches, on the model's own device: per-example log-likelihoods,
predicted labels and features. Training (validation) and evaluation share these loops."""

from __future__ import annotations

import numpy as np
import torch

from genlab.models.base import GenerativeModel


def _tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """A batch of examples on `device`: integer levels as int64, anything else as it is."""
    t = torch.from_numpy(np.array(array))  # a copy: cached splits are read-only memory maps
    return (t.long() if not t.is_floating_point() else t).to(device)


@torch.no_grad()
def log_likelihood(model: GenerativeModel, x: np.ndarray, y: np.ndarray | None = None, *, batch_size: int = 100,
                   seed: int = 0, **options) -> tuple[np.ndarray, str]:
    """Per-example log-likelihood in nats (N,) of examples x, and the name of what it is ("exact", "elbo",
    "iwae-k", ...). The model's noise is seeded, so the figure is reproducible."""
    model.eval()
    out, bound = [], "exact"
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for start in range(0, len(x), batch_size):
            xb = _tensor(x[start : start + batch_size], model.device)
            cond = None if y is None or not model.is_conditional else _tensor(y[start : start + batch_size], model.device)
            result = model.log_prob(xb, cond, **options)
            out.append(result.nats.double().cpu().numpy())
            bound = result.bound
    return np.concatenate(out), bound


@torch.no_grad()
def predicted_labels(model: GenerativeModel, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """The class a model with classify() predicts for each example: (N,) int64."""
    model.eval()
    return np.concatenate([model.classify(_tensor(x[i : i + batch_size], model.device)).argmax(1).cpu().numpy()
                           for i in range(0, len(x), batch_size)])


@torch.no_grad()
def features(model: GenerativeModel, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """A feature model's features(x) (N, D) float64, e.g. the classifier's penultimate layer."""
    model.eval()
    return np.concatenate([model.features(_tensor(x[i : i + batch_size], model.device)).double().cpu().numpy()
                           for i in range(0, len(x), batch_size)])
