"""How well a decomposing model splits held-out scenes into their true objects (data with masks, such as
tetrominoes and multi-dsprites): FG-ARI, ARI and mean best overlap (metrics/segmentation.py), beside the
classical floor, k-means on each image's pixel colours and positions with as many clusters as the model
has slots (metrics/kmeans_segments.py), which learns nothing from the dataset; and FG-ARI again over the
scenes where two objects share a colour, which the floor cannot split by construction.

Each pixel goes to the slot whose mask is largest there. The k-means row is cached by a hash of the images,
so it is computed once per dataset and slot count, not once per run.
"""

from __future__ import annotations

import numpy as np

from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.files import cached_json
from genlab.metrics.kmeans_segments import kmeans_segments
from genlab.metrics.segmentation import ari_per_image, same_colour_scenes, segmentation_scores
from genlab.models.batched import decomposed
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.tables import Section, Table

POSITION_WEIGHT = 0.5  # the k-means floor's weight of pixel position against colour (both on [0, 1])
METRICS = {"fg_ari": "FG-ARI", "ari": "ARI", "mbo": "mBO"}


class ObjectsResult(Result):
    scenes: int
    slots: int
    model: dict[str, float]
    kmeans: dict[str, float]
    # FG-ARI over the scenes holding two objects of one colour: {"scenes", "model", "kmeans"}; None in records
    # made before it was measured
    same_colour: dict[str, int | float] | None = None

    def headline(self) -> tuple[str, float] | None:
        return "FG-ARI", self.model["fg_ari"]

    def section(self, header: EvaluationRecord) -> Section:
        rows = [(label, *(f"{scores[m]:.3f}" for m in METRICS)) for label, scores in
                ((f"{header.model} ({self.slots} slots)", self.model),
                 (f"k-means on colour and position, k = {self.slots} (floor)", self.kmeans))]
        same = self.same_colour
        return Section("Objects: does each slot hold one true object?", [
            f"{self.scenes:,} {header.split} scenes; each pixel goes to its largest mask. FG-ARI: adjusted Rand "
            "index over the true objects' pixels (the background left out; 1 = the objects split exactly, 0 = "
            "chance); ARI counts the background too; mBO: each true object's best IoU with a segment, averaged."
            + (f" On the {same['scenes']:,} scenes where two objects share a colour, FG-ARI {same['model']:.3f} "
               f"(the floor's {same['kmeans']:.3f})." if same and same["scenes"] else "")],
            [Table(("segmentation", *METRICS.values()), rows)])


class Objects(Evaluator):
    name = "objects"
    Result = ObjectsResult

    def applies(self, run: Run, options: Options) -> bool:
        return run.model.can_decompose and any(e.name == "masks" for e in run.spec.extras) and options.scenes > 0

    def evaluate(self, context: Context) -> ObjectsResult:
        run, options = context.run, context.options
        held_out = context.held_out
        n = min(options.scenes, len(held_out))
        x, true = np.asarray(held_out.x[:n]), np.asarray(held_out.extras["masks"][:n])
        _, _, masks = decomposed(run.model, x, seed=options.seed)  # (N, K, H, W)
        k = masks.shape[1]
        floor = cached_json("objects", [x, true], ["kmeans", k, POSITION_WEIGHT, options.seed],
                            lambda: segmentation_scores(true, kmeans_segments(x, run.spec.levels, k,
                                                                              position_weight=POSITION_WEIGHT,
                                                                              seed=options.seed)))
        predicted = masks.argmax(1)  # (N, H, W)
        return ObjectsResult(scenes=n, slots=k, model=segmentation_scores(true, predicted), kmeans=floor,
                             same_colour=_same_colour(x, true, predicted, k, run.spec.levels, options.seed))


def _same_colour(x: np.ndarray, true: np.ndarray, predicted: np.ndarray, k: int, levels: int, seed: int
                 ) -> dict[str, int | float]:
    """{"scenes": how many of the scenes x (N, C, H, W) hold two objects of one colour, and when any, "model" and
    "kmeans": the mean FG-ARI over them of the predicted label maps (N, H, W) and of the floor's (k clusters)}."""
    same = same_colour_scenes(x, true)  # (N,)
    if not same.any():
        return {"scenes": 0}
    x, true = x[same], true[same]
    floor = cached_json("objects", [x, true], ["kmeans-fg-ari", k, POSITION_WEIGHT, seed],
                        lambda: _fg_ari(true, kmeans_segments(x, levels, k, position_weight=POSITION_WEIGHT,
                                                              seed=seed)))
    return {"scenes": int(same.sum()), "model": _fg_ari(true, predicted[same]), "kmeans": floor}


def _fg_ari(true: np.ndarray, predicted: np.ndarray) -> float:
    """Mean FG-ARI of label maps (N, H, W) over the scenes with foreground."""
    return float(np.nanmean(ari_per_image(true, predicted, foreground_only=True)))
