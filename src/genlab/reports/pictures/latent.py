"""Families with a latent space: test examples and their reconstructions, walks between two test examples'
codes, and on data with factors the latent traversal (one row per latent, the most used first)."""

from __future__ import annotations

from genlab.media import save_examples
from genlab.models.base import GenerativeModel
from genlab.models.loading import Run
from genlab.reports.pictures import SEED
from genlab.reports.traversal import write_traversal
from genlab.sampling import interpolate, reconstructions
from genlab.tables import Section


def applies(model: GenerativeModel) -> bool:
    return model.has_latent


def draw(run: Run, split: str) -> list[Section]:
    pics, sections = run.folder.pictures, []
    held_out = run.dataset().split(split)
    y = held_out.y
    both = reconstructions(run, held_out.x[:16], None if y is None else y[:16], seed=SEED)
    recon = save_examples(run.spec, both, pics / "reconstructions", nrow=16)
    walk = save_examples(run.spec, interpolate(run, held_out.x[:8], y, seed=SEED), pics / "interpolation", nrow=10)
    if recon and walk:
        sections += [Section("Reconstructions", ["Test examples (top) and the decoder's mean given their codes "
                                                 "(bottom)."],
                             pictures=[("reconstructions", recon.relative_to(run.path))]),
                     Section("Latent interpolation", ["Walks in latent space between two test examples' codes."],
                             pictures=[("interpolation", walk.relative_to(run.path))])]
    if any(extra.name == "factors" for extra in run.spec.extras):
        path = write_traversal(run, pics / "traversal.png", seed=SEED, split=split)
        sections.append(Section("Latent traversals", [
            "One row per latent, the most used (largest KL to the prior) first; each row sweeps that latent "
            "from -2 to +2 in three test images' codes. A disentangled model shows one factor per row."],
            pictures=[("traversal", path.relative_to(run.path))]))
    return sections
