"""report.md's pictures of what a run learned, chosen by what its family can do: one module per kind (samples,
the latent space, objects), each with `applies(model)` and `draw(run, split) -> [Section]`, listed in the order
they show in PICTURES, then the family's own (GenerativeModel.own_pictures). A new capability shared by
families, with a picture, is its module and one line here; one only its family has draws from that family's
module."""

from __future__ import annotations

from genlab.models.loading import Run
from genlab.tables import Section
from genlab.targets import resolve

SEED = 0  # every picture's samples and codes

PICTURES: tuple[str, ...] = ("genlab.reports.pictures.samples", "genlab.reports.pictures.latent",
                             "genlab.reports.pictures.objects")


def pictures(run: Run, split: str) -> list[Section]:
    """The sections of every picture kind that applies to the run's family, written under <run>/report/."""
    sections: list[Section] = []
    for name in (*PICTURES, *run.model.own_pictures):
        kind = resolve(name)
        if kind.applies(run.model):
            sections += kind.draw(run, split)
    return sections
