"""Families that sample: a grid of 64 new examples (one row per class when conditional)."""

from __future__ import annotations

from genlab.media import save_examples
from genlab.models.base import GenerativeModel
from genlab.models.loading import Run
from genlab.reports.pictures import SEED
from genlab.sampling import sample_grid
from genlab.tables import Section


def applies(model: GenerativeModel) -> bool:
    return model.can_sample


def draw(run: Run, split: str) -> list[Section]:
    samples, row = sample_grid(run, 64, seed=SEED)
    path = save_examples(run.spec, samples, run.folder.pictures / "samples", nrow=row)
    rows = "one row per class" if run.model.is_conditional else "seed 0"
    return [Section("Samples", [f"New examples drawn from the model ({rows})."],
                    pictures=[("samples", path.relative_to(run.path))])] if path else []
