"""An option declared once where it belongs (a benchmark's registry entry, an evaluator's), from which the
command line's flag, its parsing, its check and the Python API's keyword all follow.

Declarations are plain data, free of torch, so `genlab ... --help` and argument errors stay fast.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from genlab.errors import UserError


class Option(NamedTuple):
    """One keyword argument, as a command-line option."""

    keyword: str  # the function's keyword; the flag is --keyword with dashes unless `flag` names another
    default: Any  # what the command line shows; a "names"/"ints" option's default is the comma-separated text
    help: str
    flag: str = ""
    kind: str = ""  # "names": comma-separated words -> tuple; "ints": -> tuple of int; "budget": into Budget
    type: type | None = None  # the command-line value's type where the default is None
    minimum: float | None = None  # the least value accepted (0 where 0 means skip), checked by check()
    above: float | None = None  # a bound the value must exceed (0: positive)
    choices: tuple[str, ...] = ()  # the accepted words (a "names" option's, or the one value's; none: any)
    most: float | None = None  # the largest value a shared server (the studio) accepts; the CLI and API take any

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.keyword.replace("_", "-")

    def parse(self, value: Any) -> Any:
        """The keyword's value from the command line's: comma lists split, others as they are."""
        if value is None or self.kind not in ("names", "ints"):
            return value
        words = tuple(word.strip() for word in str(value).split(",") if word.strip())
        if self.kind == "names":
            return words
        try:
            return tuple(int(word) for word in words)
        except ValueError:
            raise UserError(f"{self.cli_flag} {value!r} must be comma-separated whole numbers, e.g. "
                            f"{self.cli_flag} 1,2.") from None

    @property
    def parsed_default(self) -> Any:
        return self.parse(self.default)

    def check(self, value: Any) -> Any:
        """`value` if the option accepts it, else a one-line UserError naming the flag and what it takes."""
        if self.minimum is not None or self.above is not None:
            whole = (self.type or type(self.default)) is not float
            number = not isinstance(value, bool) and isinstance(value, int if whole else (int, float))
            if not number or (self.minimum is not None and value < self.minimum) or \
                    (self.above is not None and value <= self.above):
                takes = ("0 (skip) or positive" if self.minimum == 0 and whole else
                         "positive" if self.above == 0 else
                         f"at least {self.minimum:g}" if self.minimum is not None else f"above {self.above:g}")
                raise UserError(f"{self.cli_flag} {value!r} must be {'a whole number, ' if whole else ''}{takes}.")
        if self.choices and self.kind == "names":
            value = tuple(value)
            unknown = sorted(set(value) - set(self.choices))
            if unknown or not value:
                raise UserError(f"{self.cli_flag} has {'unknown ' + ', '.join(unknown) if unknown else 'none'}: "
                                f"choose from {','.join(self.choices)}.")
        elif self.choices and value not in self.choices:
            raise UserError(f"{self.cli_flag} {value!r} is not {' or '.join(self.choices)}.")
        return value
