"""Argument checks the benchmarks make before any training, so the CLI and a notebook get the same one-line
errors. Options are named as on the command line (--seeds), the way every UserError in genlab names them."""

from __future__ import annotations

from genlab.errors import UserError


def positive(option: str, value: float, example: str) -> None:
    """Refuse a value that is not above 0 (steps, seeds, minutes, ...); `example` is a sensible value."""
    if not value > 0:
        raise UserError(f"{option} {value:g} must be positive: pass {option} {example}, for example.")


def at_least_zero(option: str, value: float, example: str) -> None:
    """Refuse a negative value where 0 means "none"."""
    if not value >= 0:
        raise UserError(f"{option} {value:g} must be 0 (none) or positive: pass {option} {example}, for example.")


def names_from(option: str, value: str, known) -> list[str]:
    """The comma-separated names of `value`, each one of `known`; refused when one is not, or none is given."""
    chosen = [name.strip() for name in value.split(",") if name.strip()]
    if not chosen or any(name not in known for name in chosen):
        raise UserError(f"{option} {value!r}: choose from {', '.join(known)}, separated by commas.")
    return chosen
