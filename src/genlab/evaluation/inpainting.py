"""How well a run fills a hole (`genlab evaluate --inpaint N`, runs that inpaint): the lower half of N held-out
images is hidden and filled, and the completed images are measured as samples are (FD, KID, precision, recall
in the dataset's feature classifier, against the training images), beside the real held-out images themselves
(the floor a perfect filler reaches); where the family has a likelihood, the completed images' bits/dim beside
the originals' (a filler that draws what the model finds likely scores near or below the originals; one that
leaves seams scores above them). A picture: hidden | filled | original, eight images (report/inpaint.png).

The upper half always stays exactly as it was (every family guarantees it), so only the lower half differs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.evaluation.base import Context, Evaluator, Options, Result
from genlab.evaluation.features import feature_classifier
from genlab.evaluation.samples import FEATURE_SEED, Quality, measured_against
from genlab.media.grids import save_grid
from genlab.models.batched import inpainted, log_likelihood
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.tables import Section, Table, number
from genlab.units import bits_per_dim

BATCH = 50  # images filled at once
SHOWN = 8
PICTURE = Path("report/inpaint.png")
MIN_IMAGES = 6  # precision and recall need a 5th neighbour


class InpaintResult(Result):
    images: int = 0
    skipped: str | None = None
    quality: dict[str, Quality] = {}  # "real": the held-out originals (the floor), "model": the completed images
    bits_per_dim: dict[str, float] = {}  # the same two, for families with a likelihood
    bound: str | None = None

    def section(self, header: EvaluationRecord) -> Section:
        if self.skipped:
            return Section("Inpainting", [f"Not measured: {self.skipped}."])
        rows = [(name, f"{q.fd:.2f}", f"{q.kid:.3f}", f"{q.precision:.3f}", f"{q.recall:.3f}",
                 number(self.bits_per_dim.get(key), 3))
                for key, name in (("real", f"{header.split} originals (floor)"), ("model", "lower half filled"))
                for q in (self.quality[key],)]
        return Section("Inpainting: the lower half of held-out images filled", [
            f"{self.images} {header.split} images with their lower half hidden and filled by {header.model}, measured "
            "against the training images in the feature classifier's space as samples are; the originals are the "
            "floor." + (f" Bits/dim under the model ({self.bound}): originals against completed images." if
                        self.bits_per_dim else "")],
            [Table(("images", "FD", "KID", "precision", "recall", "bits/dim"), rows)],
            pictures=[("hidden | filled | original", PICTURE)])


def lower_half(n: int, height: int, width: int) -> np.ndarray:
    """The masks (n, H, W) bool that hide every row from the middle down."""
    mask = np.zeros((n, height, width), bool)
    mask[:, height // 2 :] = True
    return mask


class Inpainting(Evaluator):
    name = "inpainting"
    Result = InpaintResult

    def applies(self, run: Run, options: Options) -> bool:
        return run.model.can_inpaint and options.inpaint > 0 and run.spec.modality == "image"

    def evaluate(self, context: Context) -> InpaintResult:
        run, data, seed = context.run, context.data, context.options.seed
        model, real = run.model, context.held_out
        n = min(max(context.options.inpaint, MIN_IMAGES), len(real))
        if n < MIN_IMAGES:
            return InpaintResult(skipped=f"{n} held-out images; the metrics need at least {MIN_IMAGES}")
        x = np.asarray(real.x[:n])
        masks = lower_half(n, *run.spec.shape[1:])
        completed = inpainted(model, x, masks, batch_size=BATCH, seed=seed)
        classifier = feature_classifier(run.config.data, FEATURE_SEED, device=run.device).model
        quality = measured_against(classifier, data.train.x, {"real": x, "model": completed}, seed)
        result = InpaintResult(images=n, quality=quality)
        if model.has_likelihood:
            for who, images in (("real", x), ("model", completed)):
                nats, result.bound = log_likelihood(model, images, seed=seed)
                result.bits_per_dim[who] = float(bits_per_dim(-nats.mean(), run.spec.dims))
        if context.options.write:
            hidden = np.where(masks[:SHOWN, None], (run.spec.levels - 1) // 2, x[:SHOWN])
            rows = [image for triple in zip(hidden, completed[:SHOWN], x[:SHOWN]) for image in triple]
            save_grid(np.stack(rows), run.spec.levels, run.folder.path / PICTURE, nrow=3)
        return result
