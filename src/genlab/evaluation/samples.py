"""How good and how new a run's samples are: quality metrics in a classifier's feature space, with the real
test split as the floor, and each sample's distance to its nearest training image."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.evaluation.features import accuracy, feature_classifier, features
from genlab.evaluation.novelty import novelty
from genlab.evaluation.quality import sample_quality
from genlab.viz.neighbours import save_nearest_pairs

FEATURE_SEED = 0  # one feature classifier per dataset, so runs of any seed are measured alike


def sample_evaluation(run, data, n: int, *, split: str = "test", seed: int = 0, picture: Path | None = None) -> dict:
    """Metrics of n samples of `run` against the training split, beside the same metrics of n real images of
    `split` (the floor a perfect model would reach). `data` is the run's loaded dataset. Writes the
    nearest-neighbour picture to `picture`."""
    from genlab import api

    real, train = data.split(split), data.train
    if data.spec.num_classes is None:
        return {"skipped": "sample quality needs a labelled dataset to train its feature classifier"}
    n = min(n, len(real))
    labels = real.y[:n] if run.model.is_conditional else None  # conditional: the test split's class mix
    samples = api.sample(run, n, seed=seed, labels=labels)
    classifier = feature_classifier(run.config.data, FEATURE_SEED)
    reference = features(classifier, train.x)  # (N_train, D)
    # One scale for all three sets, so the training features have unit variance per dimension on average:
    # KID's polynomial kernel assumes features of order one; distances and FD only change by a constant.
    scale = 1.0 / np.sqrt(reference.var(axis=0).mean())
    reference = scale * reference
    measured = {"real": sample_quality(reference, scale * features(classifier, real.x[:n]), seed=seed),
                "model": sample_quality(reference, scale * features(classifier, samples), seed=seed)}
    found = novelty(samples, train.x, real.x, levels=run.spec.levels)
    if picture is not None:
        save_nearest_pairs(samples, train.x, found.nearest_index, found.sample_distances, run.spec.levels, picture)
    result = {
        "samples": n,
        "features": f"penultimate layer ({reference.shape[1]} dims) of genlab's classifier trained on "
                    f"{run.spec.name} (seed {FEATURE_SEED}), scaled to unit mean variance on the train split; "
                    "FD is the Fréchet distance in these features",
        "feature_classifier_accuracy": accuracy(classifier.model, real.x, real.y),
        "reference": f"train split ({len(train)} images)",
        "quality": measured,
        "novelty": found.summary(),
    }
    if labels is not None:  # does the model draw the class it was asked for?
        result["label_accuracy"] = accuracy(classifier.model, samples, labels)
    return result
