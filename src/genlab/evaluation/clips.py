"""How good a video run's sampled clips are, in two feature spaces, each beside the real held-out clips' own
figures (the floor a perfect model reaches).

Clips of moving glyphs (moving-mnist, moving-fashion-mnist: data/builtin.py's MOVING_GLYPHS) are read glyph by
glyph (data/tracks.py):
- frames: the two glyphs found in every sampled clip's evenly spaced frames, in the features of the classifier
  of the pictures the clips move (MNIST's for moving-mnist), against the training clips' glyphs: are the digits
  still digits?
- clips: the glyphs followed over the frames, in the features of a classifier trained on real followed clips
  (`tracks:SOURCE`): an FVD-like distance of how each digit looks over time (where the digits move is the
  forecast evaluator's business).
Other clips are read whole: frames in the features of a classifier trained on the dataset's frames
(`frames:SOURCE`), clips in one trained on the clips themselves (frames stacked as channels). On moving-mnist
whole frames labelled by their 55 digit pairs stayed at chance for 325 steps, hence the glyphs.

FVD proper uses an I3D network trained on Kinetics, whose weights cannot be downloaded here: the clip distance
is never FVD, and its values do not compare with FVD's. Every classifier is trained once per dataset and
cached (evaluation/features.py), so every run of a dataset is measured alike. The metrics are
metrics/quality.py's (FD, KID, precision, recall); each classifier's accuracy on the real held-out clips is
reported beside them (for glyphs in frames: the share of frames whose two glyphs read as the clip's pair).
"""

from __future__ import annotations

import numpy as np

from genlab.data.builtin import MOVING_GLYPHS
from genlab.data.frames import PER_CLIP, clip_frames
from genlab.data.frames import PREFIX as FRAMES
from genlab.data.moving_digits import PAIRS
from genlab.data.tracks import GLYPHS, glyph_crops, tracked
from genlab.data.tracks import PREFIX as TRACKS
from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.evaluation.features import feature_classifier
from genlab.evaluation.samples import FEATURE_SEED, Quality, measured_against
from genlab.models.batched import predicted_labels
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.sampling import sample
from genlab.tables import Section, Table

MIN_CLIPS = 6  # precision and recall need a 5th neighbour among the real clips
SPACES = {"frames": "frames", "clips": "clips (FVD-like)"}


class ClipResult(Result):
    clips: int = 0
    skipped: str | None = None
    glyphs: str | None = None  # the pictures whose classifier read the glyphs found in frames; None: whole frames
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
        return Section(title, [f"{self.clips} sampled clips and {self.clips} real {header.split} clips against the "
                               f"training clips. {self.reading()}"],
                       [Table(("features", "clips", "FD", "KID", "precision", "recall"), rows)])

    def reading(self) -> str:
        """How the clips were read (the feature spaces and their classifiers' accuracy), in sentences."""
        frames, clips = 100 * self.accuracy["frames"], 100 * self.accuracy["clips"]
        read = (f"the {GLYPHS} brightest 28x28 windows of {PER_CLIP} evenly spaced frames per clip in the {self.glyphs} "
                f"classifier's features (both glyphs read as the clip's pair in {frames:.1f} % of real frames); clips: "
                f"the glyphs followed over every frame, in the features of a classifier of real followed clips "
                f"(accuracy {clips:.1f} %)" if self.glyphs else
                f"{PER_CLIP} evenly spaced whole frames per clip in the features of a classifier of the dataset's frames "
                f"(held-out accuracy {frames:.1f} %); clips: the features of a classifier that sees every frame "
                f"(accuracy {clips:.1f} %)")
        return (f"Frames: {read}; the clip distance is FVD-like, not FVD (no I3D network here). Lower FD and KID are "
                "better; the real clips' rows are the floor.")


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
        glyphs = MOVING_GLYPHS.get(source.source)
        spaces = _glyph_spaces(source, glyphs, run.device) if glyphs else _whole_spaces(source, run.device)
        quality, accuracy = {}, {}
        for space, (classifier, view, read) in spaces.items():
            quality[space] = measured_against(classifier, train.x, {"real": real.x[:n], "model": samples}, seed, view)
            accuracy[space] = float(read(predicted_labels(classifier, view(real.x)), real.y).mean())
        return ClipResult(clips=n, glyphs=glyphs, accuracy=accuracy, quality=quality)


def _glyph_spaces(source, glyphs: str, device) -> dict:
    """space -> (classifier, view of clips, right(predicted, clip labels) per viewed example) for moving glyphs:
    the glyphs' own classifier on the glyphs found in frames, a classifier of followed glyphs on whole clips."""
    def pair_read(predicted: np.ndarray, y: np.ndarray) -> np.ndarray:
        read = np.sort(predicted.reshape(-1, GLYPHS), axis=1)  # (frames, 2): each frame's two glyphs, in order
        truth = np.repeat(np.array(PAIRS)[y], len(read) // len(y), axis=0)
        return (read == truth).all(1)

    return {"frames": (feature_classifier(source.model_copy(update={"source": glyphs}), FEATURE_SEED,
                                          device=device).model, lambda x: glyph_crops(clip_frames(x)), pair_read),
            "clips": (feature_classifier(source.model_copy(update={"source": TRACKS + source.source}), FEATURE_SEED,
                                         device=device).model, tracked, np.equal)}


def _whole_spaces(source, device) -> dict:
    """As _glyph_spaces, for any clips: classifiers of their whole frames and of the whole clips."""
    def frame_read(predicted: np.ndarray, y: np.ndarray) -> np.ndarray:
        return predicted == np.repeat(y, len(predicted) // len(y))

    return {"frames": (feature_classifier(source.model_copy(update={"source": FRAMES + source.source}), FEATURE_SEED,
                                          device=device).model, clip_frames, frame_read),
            "clips": (feature_classifier(source, FEATURE_SEED, device=device).model, lambda x: x, np.equal)}
