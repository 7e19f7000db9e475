"""Tables and report sections as data, rendered once: as markdown here, as rich tables by the CLI.

Evaluators, reports and benchmarks describe what they measured as `Table`s inside `Section`s instead of
writing markdown by hand, so the terminal, report.md, benchmark pages and a web page show the same cells.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

MISSING = "—"  # the cell of a figure that could not be measured


def number(value: float | None, digits: int = 3) -> str:
    """A figure with `digits` decimals, or MISSING for None or NaN."""
    return f"{value:.{digits}f}" if value is not None and math.isfinite(value) else MISSING


def mean_std(values: Sequence[float], digits: int = 3, scale: float = 1.0) -> str:
    """"mean ± std" of per-seed figures times `scale`: the sample standard deviation (ddof 1; 0 for one seed);
    MISSING when any figure is missing."""
    if not all(v is not None and math.isfinite(v) for v in values):
        return MISSING
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{scale * statistics.fmean(values):.{digits}f} ± {scale * spread:.{digits}f}"


def spread(values: Sequence[float]) -> dict[str, float]:
    """{"mean", "std"} of per-seed figures for a JSON summary: the sample standard deviation (0 for one seed)."""
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}


@dataclass
class Table:
    """Rows of already-formatted cells under `columns`; the first column is left-aligned, the rest right."""

    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    title: str = ""

    def markdown(self) -> list[str]:
        """The table as markdown lines (no title: a section's heading and text introduce it)."""
        lines = ["| " + " | ".join(self.columns) + " |", "|---" + "|---:" * (len(self.columns) - 1) + "|"]
        return lines + ["| " + " | ".join(row) + " |" for row in self.rows]


@dataclass
class Section:
    """One part of a report: a heading, sentences, tables, then pictures (paths relative to the report)."""

    title: str
    text: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    pictures: list[tuple[str, Path]] = field(default_factory=list)  # (caption, path)
    after: list[str] = field(default_factory=list)  # sentences below the tables

    def markdown(self, level: int = 2) -> list[str]:
        lines = [f"{'#' * level} {self.title}", ""]
        if self.text:
            lines += [" ".join(self.text), ""]
        for table in self.tables:
            lines += [*table.markdown(), ""]
        if self.after:
            lines += [" ".join(self.after), ""]
        for caption, path in self.pictures:
            lines += [f"![{caption}]({path.as_posix()})", ""]
        return lines


def cell(value: float | None, spec: str, missing: str = "n/a") -> str:
    """A number formatted by `spec`, or `missing` when there is none."""
    return missing if value is None else format(value, spec)
