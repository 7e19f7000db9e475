"""How well a decomposing model splits held-out scenes into their true objects (data with masks, such as
tetrominoes and multi-dsprites): FG-ARI, ARI and mean best overlap (metrics/segmentation.py), beside the
classical floor, k-means on each image's pixel colours and positions with as many clusters as the model
has slots (metrics/kmeans_segments.py), which learns nothing from the dataset.

Each pixel goes to the slot whose mask is largest there. The k-means row is cached by a hash of the images,
so it is computed once per dataset and slot count, not once per run.
"""

from __future__ import annotations

import numpy as np

from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.files import cached_json
from genlab.metrics.kmeans_segments import kmeans_segments
from genlab.metrics.segmentation import segmentation_scores
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

    def headline(self) -> tuple[str, float] | None:
        return "FG-ARI", self.model["fg_ari"]

    def section(self, header: EvaluationRecord) -> Section:
        rows = [(label, *(f"{scores[m]:.3f}" for m in METRICS)) for label, scores in
                ((f"{header.model} ({self.slots} slots)", self.model),
                 (f"k-means on colour and position, k = {self.slots} (floor)", self.kmeans))]
        return Section("Objects: does each slot hold one true object?", [
            f"{self.scenes:,} {header.split} scenes; each pixel goes to its largest mask. FG-ARI: adjusted Rand "
            "index over the true objects' pixels (the background left out; 1 = the objects split exactly, 0 = "
            "chance); ARI counts the background too; mBO: each true object's best IoU with a segment, averaged."],
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
        x, true = held_out.x[:n], np.asarray(held_out.extras["masks"][:n])
        _, _, masks = decomposed(run.model, x, seed=options.seed)  # (N, K, H, W)
        k = masks.shape[1]
        floor = cached_json("objects", [np.asarray(x), true], ["kmeans", k, POSITION_WEIGHT, options.seed],
                            lambda: segmentation_scores(true, kmeans_segments(x, run.spec.levels, k,
                                                                              position_weight=POSITION_WEIGHT,
                                                                              seed=options.seed)))
        return ObjectsResult(scenes=n, slots=k, model=segmentation_scores(true, masks.argmax(1)), kmeans=floor)
