"""Progress on the terminal (a rich bar with loss and it/s) or plain lines (logs, CI, --quiet)."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def _fmt(metrics: dict) -> str:
    return "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items())


class TrainingProgress:
    """Shows the step count, loss and speed; falls back to a line every `log_every` steps."""

    def __init__(self, total: int | None, start: int, *, quiet: bool, enabled: bool = True):
        self.enabled = enabled
        self.console = Console(stderr=True)
        self.fancy = enabled and not quiet and sys.stderr.isatty()
        self.total, self.last_time, self.last_step = total, time.perf_counter(), start
        self.rate = 0.0
        if self.fancy:
            self.bar = Progress(
                TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(), TimeRemainingColumn(), console=self.console, transient=False,
            )
            self.task = self.bar.add_task("train", total=total, completed=start, info="")
            self.bar.start()

    def update(self, step: int, metrics: dict) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if step > self.last_step:
            self.rate = (step - self.last_step) / max(now - self.last_time, 1e-9)
        self.last_time, self.last_step = now, step
        shown = {k: metrics[k] for k in ("loss", "bpd") if k in metrics} | {"it/s": round(self.rate, 1)}
        if self.fancy:
            self.bar.update(self.task, completed=step, info=_fmt(shown))
        else:
            total = f"/{self.total}" if self.total else ""
            print(f"step {step}{total}  {_fmt(shown)}", file=sys.stderr, flush=True)

    def note(self, text: str) -> None:
        if self.enabled:
            self.console.print(text) if self.fancy else print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.fancy:
            self.bar.stop()
