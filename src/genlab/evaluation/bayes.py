"""A generative model as a classifier, by Bayes' rule: argmax_y log p(x | y) + log p(y)."""

from __future__ import annotations

import numpy as np

from genlab.errors import UserError
from genlab.evaluation.likelihood import split_log_likelihood


def log_prior(train_y: np.ndarray, num_classes: int) -> np.ndarray:
    """log p(y) (K,) from the training labels' frequencies (hidden labels, -1, are not counted)."""
    counts = np.bincount(train_y[train_y >= 0], minlength=num_classes).astype(np.float64)
    return np.log(np.maximum(counts, 1.0) / max(counts.sum(), 1.0))


def bayes_accuracy(model, x: np.ndarray, y: np.ndarray, prior: np.ndarray, *, seed: int = 0) -> tuple[float, str]:
    """Test accuracy of argmax_y log p(x | y) + log p(y) on images x (N, C, H, W) with labels y (N,), and the
    name of the likelihood used (a bound such as "elbo" ranks classes by the bound, not the exact value)."""
    if not (model.is_conditional and model.has_likelihood):
        raise UserError(f"--classify needs a class-conditional likelihood model; this {model.name} run is "
                        f"{'not conditional' if model.has_likelihood else 'without likelihood'}: "
                        "train one with --conditional (vae, pixelcnn, flow, diffusion).")
    scores, bound = [], ""
    for k in range(model.num_classes):
        nats, bound = split_log_likelihood(model, x, np.full(len(x), k), seed=seed)  # log p(x | y=k), (N,)
        scores.append(nats + prior[k])
    predicted = np.stack(scores, axis=1).argmax(axis=1)  # (N,)
    return float((predicted == y).mean()), bound
