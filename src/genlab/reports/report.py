"""report.md for a run: what it learned (pictures chosen by what the model can do) and how good it is (each
evaluator's section)."""

from __future__ import annotations

from pathlib import Path

from genlab.evaluation import Evaluation
from genlab.files import atomic_write
from genlab.models.loading import Run
from genlab.reports.pictures import pictures
from genlab.reports.plots import loss_curve, property_histograms
from genlab.tables import Section
from genlab.training.metrics import read_metrics


def write_report(run: Run, evaluation: Evaluation) -> Path:
    """Write <run>/report.md and its pictures under <run>/report/; returns the report's path."""
    header = evaluation.header
    lines = [f"# {run.model.name} on {run.spec.name}", "",
             f"{run.info.model.parameters:,} parameters, {run.step} training steps. "
             f"{header.split.capitalize()} split: {header.examples} examples of {'x'.join(map(str, run.spec.shape))}"
             + (f" with {run.spec.levels} levels." if run.spec.levels else "."), ""]
    sections = pictures(run, header.split)
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
