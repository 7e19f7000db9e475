"""What an evaluation is asked for: the shared options (split, seed, write) and every evaluator's own, declared
in its registry entry (registry.py), as one frozen dataclass made from those declarations."""

from __future__ import annotations

from dataclasses import field, make_dataclass
from typing import Any

from genlab.config import check_seed
from genlab.errors import UserError
from genlab.evaluation.registry import declared_options

SHARED = [("split", str, field(default="test")), ("seed", int, field(default=0)),
          ("write", bool, field(default=True))]  # write: pictures and evaluation.json into the run folder

Options = make_dataclass(
    "Options", [(o.keyword, Any, field(default=o.parsed_default)) for o in declared_options()] + SHARED, frozen=True)
Options.__doc__ = "What `genlab evaluate` was asked for: each evaluator's options and the shared ones."


def make_options(**values: Any) -> Options:
    """Options from keyword values, each checked by its declaration (one line naming the flag), unknown keywords
    refused; values not given keep their defaults."""
    declared = {o.keyword: o for o in declared_options()}
    unknown = sorted(set(values) - set(declared) - {name for name, _, _ in SHARED})
    if unknown:
        raise UserError(f"evaluate() has no option {', '.join(unknown)}: use {', '.join(declared)}, split, seed or "
                        "write.")
    for keyword, value in values.items():
        if keyword in declared:
            values[keyword] = declared[keyword].check(value)
    if "seed" in values:
        values["seed"] = check_seed(values["seed"])
    return Options(**values)
