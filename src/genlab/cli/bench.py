"""`genlab bench NAME`: the benchmarks behind the README's tables, one command per entry of
genlab/benchmarks/registry.py, generated from the entry's options. Each command parses its options, runs the
benchmark (which checks them) and prints the page it wrote."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Optional

import typer

from genlab.benchmarks.registry import BENCHMARKS, Benchmark, Option, benchmark
from genlab.cli.app import app, console, seed_option
from genlab.errors import UserError


bench_app = typer.Typer(help="Benchmarks: our figures beside the floors and the peers a user would pick instead, as "
                        "markdown pages under benchmarks/results.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


def _print(result: Path | list[Path] | tuple[Path, ...]) -> None:
    """The pages a benchmark wrote (its .md files; data files beside them are only named)."""
    for path in [result] if isinstance(result, Path) else result:
        if path.suffix == ".md":
            console.print(path.read_text(), markup=False)
        console.print(f"wrote {path}")


def _flag(option: Option) -> str:
    return option.flag or "--" + option.keyword.replace("_", "-")


def _parameter(option: Option) -> inspect.Parameter:
    """The typer parameter of one option: its flag (a --name/--no-name pair for a switch that is on), type,
    default and help."""
    kind = option.type or type(option.default)
    if option.keyword == "seed":
        default = seed_option(option.default, option.help)  # checked where it enters, as every command's --seed
    elif kind is bool and option.default:
        default = typer.Option(True, f"{_flag(option)}/--no-{_flag(option)[2:]}", help=option.help)
    else:
        default = typer.Option(option.default, _flag(option), help=option.help)
    annotation = Optional[kind] if option.default is None else kind
    return inspect.Parameter(option.keyword, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _ints(option: Option, text: str) -> list[int]:
    try:
        return [int(word) for word in text.split(",") if word.strip()]
    except ValueError:
        raise UserError(f"{_flag(option)} {text!r} must be comma-separated whole numbers, e.g. "
                        f"{_flag(option)} 1,2.") from None


def arguments(bench: Benchmark, values: dict[str, Any]) -> dict[str, Any]:
    """The benchmark function's keyword arguments from the command's option values: comma lists split,
    --steps and --minutes joined into budget=Budget(steps, minutes)."""
    out: dict[str, Any] = {}
    budget: dict[str, Any] = {}
    for option in bench.all_options:
        value = values[option.keyword]
        if option.kind == "budget":
            budget[option.keyword] = value
        elif value is None or not option.kind:
            out[option.keyword] = value
        elif option.kind == "names":
            out[option.keyword] = [word.strip() for word in value.split(",") if word.strip()]
        elif option.kind == "ints":
            out[option.keyword] = _ints(option, value)
    if budget:
        from genlab.benchmarks.budget import Budget

        out["budget"] = Budget(**budget)
    return out


def _command(name: str, bench: Benchmark) -> None:
    def run(**values: Any) -> None:
        _print(benchmark(name)(**arguments(bench, values)))

    run.__signature__ = inspect.Signature([_parameter(option) for option in bench.all_options])  # type: ignore
    bench_app.command(name, help=bench.description)(run)


for _name, _bench in BENCHMARKS.items():
    _command(_name, _bench)
