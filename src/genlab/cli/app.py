"""The command line's one Typer app and what every command shares: the console and flag parsing.

Nothing here imports torch: `genlab --help` and argument errors must stay fast.
"""

from __future__ import annotations

import json
import re
import sys
from contextlib import contextmanager
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from genlab.errors import UserError


def _plain_help_types() -> None:
    """Typer's help shows a type after every parameter, flags included (`--resume <bool>`, `--help <bool>`),
    which reads as if a value were expected, and Python's spelling for repeated values (`<list[Path]>`). A flag
    shows none, as in the field's other CLIs; a repeated value shows its element (`<path>`)."""
    core = getattr(typer, "core", None)
    for kind in (getattr(core, "TyperOption", None), getattr(core, "TyperArgument", None)):
        shown = getattr(kind, "display_type_rich", None)
        if shown is None:  # another Typer: tests/test_help.py says so
            continue

        def display_type_rich(self, ctx, shown=shown):
            if getattr(self, "is_flag", False):
                return None
            text = shown(self, ctx)
            return re.sub(r"<list\[(\w+)\]>(\.\.\.)?", lambda m: f"<{m.group(1).lower()}>", text) if text else text

        kind.display_type_rich = display_type_rich


_plain_help_types()

app = typer.Typer(
    help="genlab: learn how a dataset was generated, sample new data from it, and measure the model honestly.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()


@contextmanager
def progress_bar(label: str):
    """Yields progress(done, total, stage=None), the callback the apps report to: a rich bar on stderr while a
    terminal watches (silent otherwise), named by the label and the stage when one is given, gone when the
    work is done."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty())
    with bar:
        task = bar.add_task(label, total=None)

        def progress(done: int, total: int, stage: str | None = None) -> None:
            bar.update(task, completed=done, total=total, description=f"{label}: {stage}" if stage else label)

        yield progress


def _checked_seed(value: Optional[int]) -> Optional[int]:
    from genlab.config import check_seed  # (pydantic only when a command runs)

    return None if value is None else check_seed(value, "--seed")


def seed_option(default: Optional[int], help: str):
    """Every command's --seed: checked where it enters (genlab.config.check_seed), one line before any work."""
    return typer.Option(default, "--seed", help=help, callback=_checked_seed)


def _parse_size(size: Optional[str]) -> Optional[tuple[int, int]]:
    if size is None:
        return None
    try:
        parts = size.lower().split("x")
        h, w = (int(v) for v in (parts * 2 if len(parts) == 1 else parts))  # "32" means 32x32
        if h <= 0 or w <= 0:
            raise ValueError
    except ValueError:
        raise UserError(f"--size {size!r} is not HxW: write it like 28x28 (or 32 for 32x32).") from None
    return h, w


def _parse_sets(pairs: list[str]) -> dict[str, dict]:
    """--set section.key=value (value read as JSON when it parses, else as a string)."""
    out: dict[str, dict] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or section not in ("data", "model", "training"):
            raise UserError(f"--set {pair!r} is not section.key=value with section data, model or training.")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out.setdefault(section, {})[name] = value
    return out



def print_sections(sections) -> None:
    """Evaluators' sections (genlab.tables.Section) on the terminal: tables as rich tables, then sentences."""
    for section in sections:
        for table in section.tables:
            shown = Table(title=table.title or section.title)
            for i, column in enumerate(table.columns):
                shown.add_column(column, justify="left" if i == 0 else "right")
            for row in table.rows:
                shown.add_row(*row)
            console.print(shown)
        for sentence in (section.text if not section.tables else []) + section.after:
            console.print(sentence, markup=False)
