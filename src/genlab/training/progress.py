"""Progress on the terminal (a rich bar with loss and it/s) or plain lines (logs, CI, --quiet)."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def _fmt(metrics: dict) -> str:
    return "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items())


class TrainingProgress:
    """Shows the step count, loss and speed (steps per second of training time, evaluation excluded, and,
    once `arithmetic` is known, the GFLOP/s that makes and its share of the machine's peak); falls back to a
    line every `log_every` steps."""

    def __init__(self, total: int | None, start: int, *, quiet: bool, enabled: bool = True, elapsed: float = 0.0):
        self.enabled = enabled
        self.console = Console(stderr=True)
        self.fancy = enabled and not quiet and sys.stderr.isatty()
        self.total, self.last_time, self.last_step = total, elapsed, start
        self.rate = 0.0
        self.gflop_per_step: float | None = None
        self.peak: float | None = None
        if self.fancy:
            self.bar = Progress(
                TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(), TimeRemainingColumn(), console=self.console, transient=False,
            )
            self.task = self.bar.add_task("train", total=total, completed=start, info="")
            self.bar.start()

    def arithmetic(self, gflop_per_step: float, peak: float) -> None:
        """A step's GFLOPs and the machine's peak GFLOP/s (training/peak.py), shown from the next update on."""
        self.gflop_per_step, self.peak = gflop_per_step, peak

    def update(self, step: int, metrics: dict, elapsed: float) -> None:
        """Show `step` reached after `elapsed` seconds of training."""
        if not self.enabled:
            return
        if step > self.last_step:
            self.rate = (step - self.last_step) / max(elapsed - self.last_time, 1e-9)
        self.last_time, self.last_step = elapsed, step
        shown = {k: metrics[k] for k in ("loss", "bpd") if k in metrics} | {"it/s": round(self.rate, 1)}
        if self.gflop_per_step and self.peak:
            done = self.rate * self.gflop_per_step
            shown |= {"GFLOP/s": round(done, 1), "of peak": f"{100 * done / self.peak:.0f} %"}
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
