"""How good and how new a run's samples are: quality metrics in a classifier's feature space, with the real
held-out split as the floor, and each sample's distance to its nearest training example (novelty.png)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel

from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.evaluation.features import feature_classifier
from genlab.media.neighbours import save_nearest_pairs
from genlab.metrics.novelty import novelty
from genlab.metrics.quality import sample_quality
from genlab.models.batched import features, predicted_labels
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord, RunFolder
from genlab.sampling import sample
from genlab.tables import Section, Table

FEATURE_SEED = 0  # one feature classifier per dataset, so runs of any seed are measured alike
QUALITY_COLUMNS = ("images", "FD", "KID", "precision", "recall", "density", "coverage", "likely copies")


class Quality(BaseModel):
    fd: float
    kid: float
    kid_std: float
    precision: float
    recall: float
    density: float
    coverage: float


class Novelty(BaseModel):
    threshold: float
    share_below_threshold: float
    exact_copies: int
    median_sample_distance: float
    median_test_distance: float


class SampleResult(Result):
    samples: int = 0
    skipped: str | None = None  # why nothing was measured
    features: str | None = None
    feature_classifier_accuracy: float | None = None
    reference: str | None = None
    quality: dict[str, Quality] = {}  # "real": the held-out floor, "model": the samples
    novelty: Novelty | None = None
    label_accuracy: float | None = None  # conditional runs: samples classified as the class asked for

    def rows(self, model: str, split: str) -> list[tuple[str, ...]]:
        """Rows under QUALITY_COLUMNS: the real held-out images (the floor), then the model's samples."""
        copies = f"{100 * self.novelty.share_below_threshold:.1f} % ({self.novelty.exact_copies} exact)"
        rows = []
        for who, label, new in (("real", f"real {split} (floor)", "-"), ("model", f"{model} samples", copies)):
            q = self.quality[who]
            rows.append((label, f"{q.fd:.2f}", f"{q.kid:.3f} ± {q.kid_std:.3f}", f"{q.precision:.3f}",
                         f"{q.recall:.3f}", f"{q.density:.3f}", f"{q.coverage:.3f}", new))
        return rows

    def headline(self) -> tuple[str, float] | None:
        return None if self.skipped or "model" not in self.quality else ("FD", self.quality["model"].fd)

    def section(self, header: EvaluationRecord) -> Section:
        if self.skipped:
            return Section("How good and how new: samples", [f"Samples not measured: {self.skipped}."])
        split, nov = header.split, self.novelty
        text = [f"{self.samples} samples and {self.samples} real {split} images, each set measured against the "
                f"{self.reference}. Features: {self.features} (its {split} accuracy "
                f"{100 * self.feature_classifier_accuracy:.1f} %). Lower FD and KID are better; precision says how "
                "many samples look real, recall how much of the real data the samples cover. The real images' row is "
                "the floor: a model cannot be expected to beat it."]
        after = []
        if self.label_accuracy is not None:
            after.append(f"Samples drawn for a given class are classified as that class {100 * self.label_accuracy:.1f} "
                         "% of the time.")
        after.append(f"Novelty: each sample's distance to its nearest training image (pixels scaled to [0, 1]): median "
                     f"{nov.median_sample_distance:.3f}, against {nov.median_test_distance:.3f} for real {split} "
                     f"images. {100 * nov.share_below_threshold:.1f} % of samples lie closer to a training image than "
                     f"99 % of real {split} images do (threshold {nov.threshold:.3f}); {nov.exact_copies} are exact "
                     "copies. The most copy-like samples beside their nearest training images:")
        table = Table(QUALITY_COLUMNS, self.rows(header.model, split),
                      title=f"{self.samples} samples against the {self.reference}")
        return Section("How good and how new: samples", text, [table], [("nearest training images", Path(RunFolder.NOVELTY))],
                       after)


def measured_against(classifier, reference: np.ndarray, sets: dict[str, np.ndarray], seed: int,
                     view=lambda x: x) -> dict[str, Quality]:
    """Each set's quality (FD, KID, precision, recall, density, coverage) against the `reference` examples, in
    the classifier's features of view(examples). One scale for every set, so the reference features have unit
    variance per dimension on average: KID's polynomial kernel assumes features of order one; distances and FD
    only change by a constant."""
    base = features(classifier, view(reference))  # (N_reference, D)
    scale = 1.0 / np.sqrt(base.var(axis=0).mean())
    return {who: Quality(**sample_quality(scale * base, scale * features(classifier, view(x)), seed=seed))
            for who, x in sets.items()}


class SampleQuality(Evaluator):
    name = "samples"
    Result = SampleResult

    def applies(self, run: Run, options: Options) -> bool:
        return run.model.can_sample and options.samples > 0 and run.spec.modality == "image"  # image features

    def evaluate(self, context: Context) -> SampleResult:
        """Metrics of n samples against the training split, beside the same metrics of n real examples of the
        held-out split (the floor a perfect model would reach)."""
        run, data, seed = context.run, context.data, context.options.seed
        real, train = context.held_out, data.train
        if data.spec.num_classes is None:
            return SampleResult(skipped="sample quality needs a labelled dataset to train its feature classifier")
        n = min(context.options.samples, len(real))
        labels = real.y[:n] if run.model.is_conditional else None  # conditional: the held-out class mix
        samples = sample(run, n, seed=seed, labels=labels)
        classifier = feature_classifier(run.config.data, FEATURE_SEED, device=run.device).model
        measured = measured_against(classifier, train.x, {"real": real.x[:n], "model": samples}, seed)
        found = novelty(samples, train.x, real.x, levels=run.spec.levels)
        if context.options.write:
            save_nearest_pairs(samples, train.x, found.nearest_index, found.sample_distances, run.spec.levels,
                               run.folder.novelty)
        return SampleResult(
            samples=n,
            features=f"penultimate layer ({classifier.feature_dim} dims) of genlab's classifier trained on "
                     f"{run.spec.name} (seed {FEATURE_SEED}), scaled to unit mean variance on the train split; "
                     "FD is the Fréchet distance in these features",
            feature_classifier_accuracy=float((predicted_labels(classifier, real.x) == real.y).mean()),
            reference=f"train split ({len(train)} images)",
            quality=measured,
            novelty=Novelty(**found.summary()),
            label_accuracy=None if labels is None else float((predicted_labels(classifier, samples) == labels).mean()),
        )
