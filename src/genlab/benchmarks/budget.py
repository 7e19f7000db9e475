"""A benchmark's training budget: a number of steps by default, so its figures are the same on any machine.

A budget in minutes makes the figures depend on how fast the machine was that day (the same 10-minute
`bench families` trained diffusion 2,309 steps on one 2-core machine and 1,186 on another, FD 8.77 against
16.69). Minutes stay available for a user's own exploratory runs; a page made with them says so first.
"""

from __future__ import annotations

from dataclasses import dataclass

from genlab.benchmarks.checks import positive
from genlab.errors import UserError


@dataclass(frozen=True)
class Budget:
    """steps: every run trains this many steps (None: each run's own step budget from the benchmark's
    settings); minutes: a time budget instead (exploratory: the figures depend on the machine)."""

    steps: int | None = None
    minutes: float | None = None

    def __post_init__(self):
        if self.steps is not None and self.minutes is not None:
            raise UserError(f"--steps {self.steps} and --minutes {self.minutes:g} both set a budget: give one.")
        if self.steps is not None:
            positive("--steps", self.steps, "2000")
        if self.minutes is not None:
            positive("--minutes", self.minutes, "10")

    def training(self, default_steps: int) -> dict:
        """The training settings of one run whose benchmark budget is `default_steps` steps."""
        if self.minutes is not None:
            return {"steps": None, "minutes": self.minutes}
        return {"steps": self.steps or default_steps, "minutes": None}

    def option(self) -> str:
        """The command-line option that asks for this budget (empty for the benchmark's own steps)."""
        if self.minutes is not None:
            return f" --minutes {self.minutes:g}"
        return f" --steps {self.steps}" if self.steps else ""

    def warning(self) -> list[str]:
        """The lines a page made with a time budget opens with (none for a step budget)."""
        if self.minutes is None:
            return []
        return [f"**Made with a time budget ({self.minutes:g} minutes per run), not the benchmark's step budget: "
                "how many steps each run reached, and so every figure, depends on this machine's speed that day.**",
                ""]
