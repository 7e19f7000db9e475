"""report.md for a run: what it learned (pictures chosen by what the model can do) and how good it is (each
evaluator's section)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from genlab.evaluation import Evaluation
from genlab.files import atomic_write
from genlab.media import save_examples
from genlab.media.decomposition import overview_picture
from genlab.media.grids import save_png
from genlab.models.batched import decomposed
from genlab.models.loading import Run
from genlab.reports.plots import loss_curve, property_histograms
from genlab.reports.traversal import write_traversal
from genlab.sampling import interpolate, reconstructions, sample_grid
from genlab.tables import Section
from genlab.training.metrics import read_metrics

SEED = 0


def _pictures(run: Run, split: str) -> list[Section]:
    """Samples, reconstructions and latent walks, as far as the model has them, written under report/."""
    model, pics, sections = run.model, run.folder.pictures, []
    if model.can_sample:
        samples, row = sample_grid(run, 64, seed=SEED)
        path = save_examples(run.spec, samples, pics / "samples", nrow=row)
        rows = "one row per class" if model.is_conditional else "seed 0"
        if path:
            sections.append(Section("Samples", [f"New examples drawn from the model ({rows})."],
                                    pictures=[("samples", path.relative_to(run.path))]))
    if model.has_latent:
        held_out = run.dataset().split(split)
        y = held_out.y
        both = reconstructions(run, held_out.x[:16], None if y is None else y[:16], seed=SEED)
        recon = save_examples(run.spec, both, pics / "reconstructions", nrow=16)
        walk = save_examples(run.spec, interpolate(run, held_out.x[:8], y, seed=SEED), pics / "interpolation", nrow=10)
        if recon and walk:
            sections += [Section("Reconstructions", ["Test examples (top) and the decoder's mean given their codes "
                                                     "(bottom)."], pictures=[("reconstructions", recon.relative_to(run.path))]),
                         Section("Latent interpolation", ["Walks in latent space between two test examples' codes."],
                                 pictures=[("interpolation", walk.relative_to(run.path))])]
        if any(extra.name == "factors" for extra in run.spec.extras):
            path = write_traversal(run, pics / "traversal.png", seed=SEED, split=split)
            sections.append(Section("Latent traversals", [
                "One row per latent, the most used (largest KL to the prior) first; each row sweeps that latent "
                "from -2 to +2 in three test images' codes. A disentangled model shows one factor per row."],
                pictures=[("traversal", path.relative_to(run.path))]))
    if model.can_decompose:
        sections.append(_objects_picture(run, split))
    return sections


def _objects_picture(run: Run, split: str) -> Section:
    """Eight scenes of the evaluated split in the run's slots (with their true objects when the data has masks)."""
    held_out = run.dataset().split(split)
    x, true = held_out.x[:8], held_out.extras.get("masks")
    recon, images, masks = decomposed(run.model, x, seed=SEED)
    picture = overview_picture(x, recon, images, masks, run.spec.levels, None if true is None else np.asarray(true[:8]))
    path = run.folder.pictures / "objects.png"
    save_png(picture, path)
    return Section("Objects", [f"{split.capitalize()} scenes split into slots: the image, its reconstruction, the true objects (when "
                               "the data has masks), each pixel coloured by its slots' masks, and each slot alone "
                               "(white where its mask is empty)."], pictures=[("objects", path.relative_to(run.path))])


def write_report(run: Run, evaluation: Evaluation) -> Path:
    """Write <run>/report.md and its pictures under <run>/report/; returns the report's path."""
    header = evaluation.header
    lines = [f"# {run.model.name} on {run.spec.name}", "",
             f"{run.info.model.parameters:,} parameters, {run.step} training steps. "
             f"{header.split.capitalize()} split: {header.examples} examples of {'x'.join(map(str, run.spec.shape))}"
             + (f" with {run.spec.levels} levels." if run.spec.levels else "."), ""]
    sections = _pictures(run, header.split)
    records = read_metrics(run.folder.metrics)
    if records:
        loss_curve(records, run.folder.pictures / "loss.png", title=f"{run.model.name} on {run.spec.name}")
        sections.append(Section("Training", pictures=[("loss curve", Path("report/loss.png"))]))
    card = evaluation.get("molecules")
    if card is not None and card.histograms:
        property_histograms(card.histograms, run.folder.pictures / "properties.png", run.model.name)
        sections.append(Section("Molecular properties", ["logP, SA, QED and molecular weight of the model's valid "
                                                         "samples against the test molecules'."],
                                pictures=[("properties", Path("report/properties.png"))]))
    for section in sections + evaluation.sections():
        lines += section.markdown()
    atomic_write(run.folder.report, "\n".join(lines).encode())
    return run.folder.report
