"""A generative model as a classifier, by Bayes' rule: argmax_y log p(x | y) + log p(y)."""

from __future__ import annotations

import numpy as np

from genlab.errors import UserError
from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.models.batched import log_likelihood
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.tables import Section


def log_prior(train_y: np.ndarray, num_classes: int) -> np.ndarray:
    """log p(y) (K,) from the training labels' frequencies (hidden labels, -1, are not counted)."""
    counts = np.bincount(train_y[train_y >= 0], minlength=num_classes).astype(np.float64)
    return np.log(np.maximum(counts, 1.0) / max(counts.sum(), 1.0))


def bayes_accuracy(model, x: np.ndarray, y: np.ndarray, prior: np.ndarray, *, seed: int = 0) -> tuple[float, str]:
    """Test accuracy of argmax_y log p(x | y) + log p(y) on examples x with labels y (N,), and the name of the
    likelihood used (a bound such as "elbo" ranks classes by the bound, not the exact value)."""
    if not (model.is_conditional and model.has_likelihood):
        raise UserError(f"--classify needs a class-conditional likelihood model; this {model.name} run is "
                        f"{'not conditional' if model.has_likelihood else 'without likelihood'}: "
                        "train one with --conditional (vae, pixelcnn, flow, diffusion).")
    scores, bound = [], ""
    for k in range(model.num_classes):
        nats, bound = log_likelihood(model, x, np.full(len(x), k), seed=seed)  # log p(x | y=k), (N,)
        scores.append(nats + prior[k])
    predicted = np.stack(scores, axis=1).argmax(axis=1)  # (N,)
    return float((predicted == y).mean()), bound


class BayesResult(Result):
    accuracy: float
    bound: str  # the likelihood classes were ranked by

    def section(self, header: EvaluationRecord) -> Section:
        return Section("Classification by Bayes' rule",
                       [f"{header.split.capitalize()} accuracy of argmax_y log p(x|y) + log p(y): "
                        f"{100 * self.accuracy:.2f} % (log p(x|y) by {self.bound})."])


class BayesClassification(Evaluator):
    name = "bayes"
    Result = BayesResult

    def applies(self, run: Run, options: Options) -> bool:
        return options.classify

    def evaluate(self, context: Context) -> BayesResult:
        model, held_out = context.run.model, context.held_out
        accuracy, bound = bayes_accuracy(model, held_out.x, held_out.y, log_prior(context.data.train.y, model.num_classes),
                                         seed=context.options.seed)
        return BayesResult(accuracy=accuracy, bound=bound)
