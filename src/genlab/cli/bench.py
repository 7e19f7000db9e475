"""`genlab bench NAME`: the benchmarks behind the README's tables, one command per entry of
genlab/benchmarks/registry.py, generated from the entry's options. Each command parses its options, runs the
benchmark (which checks them) and prints the page it wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from genlab.benchmarks.registry import BENCHMARKS, Benchmark, benchmark
from genlab.cli.app import app, console
from genlab.cli.declared import with_options


bench_app = typer.Typer(help="Benchmarks: our figures beside the floors and the peers a user would pick instead, as "
                        "markdown pages under benchmarks/results.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


def _print(result: Path | list[Path] | tuple[Path, ...]) -> None:
    """The pages a benchmark wrote (its .md files; data files beside them are only named)."""
    for path in [result] if isinstance(result, Path) else result:
        if path.suffix == ".md":
            console.print(path.read_text(), markup=False)
        console.print(f"wrote {path}")


def arguments(bench: Benchmark, values: dict[str, Any]) -> dict[str, Any]:
    """The benchmark function's keyword arguments from the command's option values: comma lists split,
    --steps and --minutes joined into budget=Budget(steps, minutes)."""
    out = {o.keyword: o.parse(values[o.keyword]) for o in bench.all_options if o.kind != "budget"}
    budget = {o.keyword: values[o.keyword] for o in bench.all_options if o.kind == "budget"}
    if budget:
        from genlab.benchmarks.budget import Budget

        out["budget"] = Budget(**budget)
    return out


def _command(name: str, bench: Benchmark) -> None:
    def run(**values: Any) -> None:
        _print(benchmark(name)(**arguments(bench, values)))

    bench_app.command(name, help=bench.description)(with_options(run, bench.all_options))


for _name, _bench in BENCHMARKS.items():
    _command(_name, _bench)
