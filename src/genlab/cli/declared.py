"""Typer parameters from declared options (genlab/options.py): the commands whose options live with what they
configure (the benchmarks', the evaluators') are generated from those declarations, not written by hand."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any, Optional

import typer

from genlab.cli.app import seed_option
from genlab.options import Option


def parameter(option: Option) -> inspect.Parameter:
    """The typer parameter of one option: its flag (a --name/--no-name pair for a switch that is on), type,
    default and help; --seed is checked where it enters, as every command's."""
    kind = option.type or type(option.default)
    if option.keyword == "seed":
        default = seed_option(option.default, option.help)
    elif kind is bool and option.default:
        default = typer.Option(True, f"{option.cli_flag}/--no-{option.cli_flag[2:]}", help=option.help)
    else:
        default = typer.Option(option.default, option.cli_flag, help=option.help)
    annotation = Optional[kind] if option.default is None else kind
    return inspect.Parameter(option.keyword, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def with_options(function: Callable[..., Any], options: Iterable[Option]) -> Callable[..., Any]:
    """`function` (which takes **values) with a signature typer reads as these options, after the function's own
    parameters (arguments first)."""
    own = [p for p in inspect.signature(function).parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    function.__signature__ = inspect.Signature(own + [parameter(option) for option in options])  # type: ignore
    return function
