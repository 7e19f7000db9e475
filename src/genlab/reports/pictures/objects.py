"""Decomposing families (slots): eight scenes of the evaluated split in the run's slots (with their true objects
when the data has masks)."""

from __future__ import annotations

import numpy as np

from genlab.media.decomposition import overview_picture
from genlab.media.grids import save_png
from genlab.models.base import GenerativeModel
from genlab.models.batched import decomposed
from genlab.models.loading import Run
from genlab.reports.pictures import SEED
from genlab.tables import Section


def applies(model: GenerativeModel) -> bool:
    return model.can_decompose


def draw(run: Run, split: str) -> list[Section]:
    """Eight scenes of the evaluated split in the run's slots (with their true objects when the data has masks)."""
    held_out = run.dataset().split(split)
    x, true = held_out.x[:8], held_out.extras.get("masks")
    recon, images, masks = decomposed(run.model, x, seed=SEED)
    picture = overview_picture(x, recon, images, masks, run.spec.levels,
                               None if true is None else np.asarray(true[:8]))
    path = run.folder.pictures / "objects.png"
    save_png(picture, path)
    words = (f"{split.capitalize()} scenes split into slots: the image, its reconstruction, the true objects (when "
             "the data has masks), each pixel coloured by its slots' masks, and each slot alone (white where its mask "
             "is empty).")
    return [Section("Objects", [words], pictures=[("objects", path.relative_to(run.path))])]
