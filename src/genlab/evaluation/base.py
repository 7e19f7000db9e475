"""What an evaluator is: it says which runs it applies to and returns a typed result that can show itself.

An evaluator is one file in this folder and one entry in registry.py (with the options it declares). Its result is a pydantic model (saved
in evaluation.json under the evaluator's name) with a `section()` that the CLI prints and report.md shows,
so adding an evaluator touches no if-chain in the CLI, the report or the benchmarks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from genlab.data.spec import Dataset, Split
from genlab.evaluation.options import Options
from genlab.models.loading import Run
from genlab.runs import EvaluationRecord
from genlab.tables import Section


@dataclass
class Context:
    """One evaluation: the opened run, its loaded dataset, the options, and where a long stage reports
    progress(done, total, stage) (None: nobody watches)."""

    run: Run
    data: Dataset
    options: Options
    progress: Callable[[int, int, str], None] | None = None

    @property
    def held_out(self) -> Split:
        return self.data.split(self.options.split)


class Result(BaseModel):
    """Base of every evaluator's result: plain JSON-able fields, unknown keys refused."""

    model_config = ConfigDict(extra="forbid")

    def section(self, header: EvaluationRecord) -> Section:
        """How this result reads in the terminal and in report.md (header: which run, split, examples)."""
        raise NotImplementedError

    def headline(self) -> tuple[str, float] | None:
        """The one figure that says most about the run (a label and its value), for lists of runs (the studio);
        None when this result has none."""
        return None


class Evaluator(ABC):
    name: ClassVar[str]
    Result: ClassVar[type[Result]]

    @abstractmethod
    def applies(self, run: Run, options: Options) -> bool:
        """Whether this evaluator measures `run` (from its capabilities, its data's modality, the options)."""

    @abstractmethod
    def evaluate(self, context: Context) -> Result:
        """Measure the run; raise UserError for a request that cannot be met."""
