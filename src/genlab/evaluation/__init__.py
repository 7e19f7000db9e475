"""How good a run is: a registry of evaluators (registry.py), each applying to the runs it can measure.

`evaluate(run)` runs every evaluator that applies and writes evaluation.json (the typed envelope of
genlab/runs/schema.py with each result under its evaluator's name); `read_evaluation(run)` reads it back
typed. The pure mathematics lives in genlab/metrics/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from genlab.config import check_seed
from genlab.errors import UserError
from genlab.evaluation.base import Context, Options, Result
from genlab.evaluation.registry import EVALUATORS, evaluator, evaluators
from genlab.models.loading import Run
from genlab.runs import FORMAT_VERSION, EvaluationRecord
from genlab.tables import Section

__all__ = ["Evaluation", "Options", "evaluate", "read_evaluation", "typed"]


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


def evaluate(run: Run, *, iwae_k: int = 100, split: str = "test", seed: int = 0, write: bool = True,
             samples: int | None = 1000, classify: bool = False, factor_points: int = 10_000,
             factor_metrics: tuple[str, ...] | None = None, scenes: int = 1000, utterances: int = 20,
             clips: int = 1000, inpaint: int = 0,
             progress: Callable[[int, int, str], None] | None = None) -> Evaluation:
    """Run every evaluator that applies to `run` on a held-out split; with write, evaluation.json (and the
    evaluators' pictures, e.g. novelty.png) go into the run folder. Long stages report progress(done, total,
    stage) when given."""
    if iwae_k < 1:
        raise UserError(f"--iwae {iwae_k} must be at least 1.")
    if samples is not None and samples < 0:
        raise UserError(f"--samples {samples} must be 0 (skip) or positive.")
    if factor_points < 0:
        raise UserError(f"--factor-points {factor_points} must be 0 (skip) or positive.")
    if scenes < 0:
        raise UserError(f"--scenes {scenes} must be 0 (skip) or positive.")
    if utterances < 0:
        raise UserError(f"--utterances {utterances} must be 0 (skip) or positive.")
    if clips < 0:
        raise UserError(f"--clips {clips} must be 0 (skip) or positive.")
    if inpaint < 0:
        raise UserError(f"--inpaint {inpaint} must be 0 (skip) or positive.")
    groups = tuple(factor_metrics) if factor_metrics else Options.factor_metrics
    unknown = sorted(set(groups) - set(Options.factor_metrics))
    if unknown:
        raise UserError(f"--factor-metrics has unknown {', '.join(unknown)}: choose from "
                        f"{','.join(Options.factor_metrics)}.")
    options = Options(iwae_k=iwae_k, samples=samples or 0, classify=classify, split=split, seed=check_seed(seed), write=write,
                      factor_points=factor_points, factor_metrics=groups, scenes=scenes, utterances=utterances,
                      clips=clips, inpaint=inpaint)
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
