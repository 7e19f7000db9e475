"""`evaluate(run)` runs every evaluator that applies and writes evaluation.json (the typed envelope of
genlab/runs/schema.py with each result under its evaluator's name); `read_evaluation(run)` reads it back
typed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from genlab.evaluation.base import Context, Result
from genlab.evaluation.options import make_options
from genlab.evaluation.registry import EVALUATORS, evaluator, evaluators
from genlab.models.loading import Run
from genlab.runs import FORMAT_VERSION, EvaluationRecord
from genlab.tables import Section


@dataclass
class Evaluation:
    """An evaluation.json, typed: the header (run, step, split, ...) and each evaluator's result by name."""

    header: EvaluationRecord
    results: dict[str, Result]

    def __getitem__(self, name: str) -> Result:
        return self.results[name]

    def get(self, name: str) -> Result | None:
        return self.results.get(name)

    def sections(self) -> list[Section]:
        return [result.section(self.header) for result in self.results.values()]

    def headline(self) -> tuple[str, float] | None:
        """The first result's headline figure, in the order evaluators run (likelihood before samples, ...)."""
        return next((h for result in self.results.values() if (h := result.headline()) is not None), None)


def evaluate(run: Run, *, split: str = "test", seed: int = 0, write: bool = True,
             progress: Callable[[int, int, str], None] | None = None, **options: Any) -> Evaluation:
    """Run every evaluator that applies to `run` on a held-out split; with write, evaluation.json (and the
    evaluators' pictures, e.g. novelty.png) go into the run folder. `options` are the evaluators' own, as their
    registry entries declare them (genlab/evaluation/registry.py, or `genlab evaluate --help`: iwae_k for --iwae,
    samples, ...), each checked before any work. Long stages report progress(done, total, stage) when given."""
    options = make_options(split=split, seed=seed, write=write, **options)
    data = run.dataset()
    context = Context(run, data, options, progress)
    chosen = [e for e in evaluators() if e.applies(run, options)]
    results = {}
    for i, e in enumerate(chosen):
        if progress is not None:
            progress(i, len(chosen), e.name)  # an evaluator with stages of its own names them as it goes
        results[e.name] = e.evaluate(context)
    held_out = context.held_out
    header = EvaluationRecord(format=FORMAT_VERSION, run=str(run.path), step=run.step, split=split,
                              examples=len(held_out), dims=run.spec.dims, model=run.model.name,
                              results={name: result.model_dump(mode="json") for name, result in results.items()})
    if write:
        run.folder.write_evaluation(header)
    return Evaluation(header, results)


def read_evaluation(run: Run) -> Evaluation | None:
    """The run's saved evaluation, typed, or None when it is missing, of an older format, or of another
    step than the run's weights (then evaluate again)."""
    record = run.folder.read_evaluation()
    if record is None or record.step != run.step:
        return None
    return typed(record)


def typed(record: EvaluationRecord) -> Evaluation | None:
    """An evaluation.json's results as their evaluators' typed results, or None for an older format or one that
    no longer validates (evaluate again). Needs no model: what lists of runs read (the studio)."""
    if record.format != FORMAT_VERSION:
        return None
    try:
        results = {name: evaluator(name).Result.model_validate(raw) for name, raw in record.results.items()
                   if name in EVALUATORS}
    except ValueError:
        return None
    return Evaluation(record, results)
