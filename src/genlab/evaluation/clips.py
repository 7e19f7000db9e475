"""How good a video run's sampled clips are, in two feature spaces, each beside the real held-out clips' own
figures (the floor a perfect model reaches):

- frames: every sampled clip's evenly spaced frames (data/frames.py) in the features of genlab's classifier
  trained on the dataset's frames (`frames:SOURCE`, labelled by their clip's label), against the training
  clips' frames: whole frames, not digits cropped or tracked, so a frame is judged with everything it shows;
- clips: whole clips in the features of genlab's classifier trained on the clips themselves (their frames
  stacked, so it sees motion): an FVD-like distance. FVD proper uses an I3D network trained on Kinetics,
  whose weights cannot be downloaded here: this is never FVD, and its values do not compare with FVD's.

Both classifiers are trained once per dataset and cached (evaluation/features.py), so every run of a
dataset is measured alike. The metrics are metrics/quality.py's (FD, KID, precision, recall).
"""

from __future__ import annotations

import numpy as np

from genlab.data.frames import PER_CLIP, clip_frames
from genlab.data.frames import PREFIX as FRAMES
from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.evaluation.features import feature_classifier
from genlab.evaluation.samples import FEATURE_SEED, Quality, measured_against
from genlab.models.batched import predicted_labels
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.sampling import sample
from genlab.tables import Section, Table

MIN_CLIPS = 6  # precision and recall need a 5th neighbour among the real clips
SPACES = {"frames": "frames (frame classifier)", "clips": "whole clips (FVD-like, clip classifier)"}


class ClipResult(Result):
    clips: int = 0
    skipped: str | None = None
    accuracy: dict[str, float] = {}  # each feature classifier's held-out accuracy
    quality: dict[str, dict[str, Quality]] = {}  # space -> "real" (the floor) / "model" -> metrics

    def headline(self) -> tuple[str, float] | None:
        return None if self.skipped else ("frame FD", self.quality["frames"]["model"].fd)

    def section(self, header: EvaluationRecord) -> Section:
        title = "How good: sampled clips"
        if self.skipped:
            return Section(title, [f"Clips not measured: {self.skipped}."])
        rows = []
        for space, label in SPACES.items():
            for who, name in (("real", f"real {header.split} clips (floor)"), ("model", f"{header.model} samples")):
                q = self.quality[space][who]
                rows.append((label, name, f"{q.fd:.2f}", f"{q.kid:.3f}", f"{q.precision:.3f}", f"{q.recall:.3f}"))
        return Section(title, [
            f"{self.clips} sampled clips and {self.clips} real {header.split} clips against the training clips. Frames: "
            f"{PER_CLIP} evenly spaced whole frames per clip in the features of a classifier of the dataset's frames "
            f"(held-out accuracy {100 * self.accuracy['frames']:.1f} %); whole clips: the features of a classifier "
            f"that sees every frame (accuracy {100 * self.accuracy['clips']:.1f} %), an FVD-like distance that is not "
            "FVD (no I3D network here). Lower FD and KID are better; the real clips' rows are the floor."],
            [Table(("features", "clips", "FD", "KID", "precision", "recall"), rows)])


class ClipQuality(Evaluator):
    name = "clips"
    Result = ClipResult

    def applies(self, run: Run, options: Options) -> bool:
        return run.model.can_sample and options.samples > 0 and run.spec.modality == "video"

    def evaluate(self, context: Context) -> ClipResult:
        run, data, seed = context.run, context.data, context.options.seed
        real, train = context.held_out, data.train
        if data.spec.num_classes is None:
            return ClipResult(skipped="clip quality needs labelled clips to train its feature classifiers")
        n = min(context.options.samples, len(real))
        if n < MIN_CLIPS:
            return ClipResult(skipped=f"{n} held-out clips; the metrics need at least {MIN_CLIPS}")
        samples = sample(run, n, seed=seed)  # (n, T, C, H, W)
        source = run.config.data
        spaces = {"frames": (feature_classifier(source.model_copy(update={"source": FRAMES + source.source}),
                                                FEATURE_SEED, device=run.device).model, clip_frames),
                  "clips": (feature_classifier(source, FEATURE_SEED, device=run.device).model, lambda x: x)}
        quality, accuracy = {}, {}
        for space, (classifier, view) in spaces.items():
            quality[space] = measured_against(classifier, train.x, {"real": real.x[:n], "model": samples}, seed, view)
            labels = np.repeat(real.y, len(clip_frames(real.x[:1]))) if space == "frames" else real.y
            accuracy[space] = float((predicted_labels(classifier, view(real.x)) == labels).mean())
        return ClipResult(clips=n, accuracy=accuracy, quality=quality)
