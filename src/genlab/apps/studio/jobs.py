"""Long work in the studio (drawing samples from a slow model) as jobs: each runs in a background thread, reports
its progress, can be cancelled between its steps, and keeps its result or its one-line error, so the page stays
usable and shows a progress bar. One job at a time per model: the model's lock is held while a job runs."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from genlab.errors import UserError


class Cancelled(Exception):
    """Raised inside a job's work at its next step once the job is cancelled."""


@dataclass
class Job:
    id: str
    done: int = 0
    total: int = 1
    state: str = "running"  # running, finished, failed, cancelled
    result: dict | None = None
    error: str | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def step(self, done: int, total: int) -> None:
        """The work's progress callback: records it, wakes the watchers, stops the work once cancelled."""
        if self.cancelled.is_set():
            raise Cancelled
        with self.changed:
            self.done, self.total = done, total
            self.changed.notify_all()

    def status(self) -> dict:
        return {"id": self.id, "state": self.state, "done": self.done, "total": self.total, "result": self.result,
                "error": self.error}

    def wait(self, seen: tuple, timeout: float) -> dict:
        """The status once it differs from `seen` (state, done), or after `timeout` seconds."""
        with self.changed:
            self.changed.wait_for(lambda: (self.state, self.done) != seen, timeout=timeout)
            return self.status()


class Jobs:
    """The studio's jobs by id."""

    def __init__(self):
        self.jobs: dict[str, Job] = {}

    def start(self, work: Callable[[Callable[[int, int], None]], dict], lock: threading.Lock) -> Job:
        """Run work(progress) in a thread under `lock` (the model's); its dict is the job's result."""
        job = Job(secrets.token_hex(8))
        self.jobs[job.id] = job

        def run() -> None:
            try:
                with lock:
                    result = work(job.step)
                state, job.result = "finished", result
            except Cancelled:
                state = "cancelled"
            except UserError as err:
                state, job.error = "failed", str(err)
            except Exception as err:  # noqa: BLE001  (the page shows it; the server keeps serving)
                state, job.error = "failed", f"{type(err).__name__}: {err}"
            with job.changed:
                job.state = state
                job.changed.notify_all()

        threading.Thread(target=run, daemon=True).start()
        return job

    def get(self, job_id: str) -> Job:
        if job_id not in self.jobs:
            raise UserError(f"No job '{job_id}' in this studio session.")
        return self.jobs[job_id]
