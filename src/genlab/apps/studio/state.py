"""What the studio's routes share, one object per app: the runs folder, the session's scratch folder (its only
place to write; uploads are kept in it), the runs opened so far with one lock each (one job at a time per model)
and the background jobs. `create_app` makes it and keeps it as `app.state.studio`; a route takes it as a
parameter annotated `StudioDep`."""

from __future__ import annotations

import base64
import tempfile
import threading
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from genlab.apps.studio import catalog
from genlab.apps.studio.jobs import Jobs
from genlab.errors import UserError

MIME = {".png": "image/png", ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml", ".wav": "audio/wav"}


def data_url(path: Path) -> str:
    """A file written for the page as a data URL (the page shows it; nothing is kept on disk)."""
    return f"data:{MIME[path.suffix.lower()]};base64," + base64.b64encode(path.read_bytes()).decode()


class Studio:
    """The studio for the runs under `root`: opened runs by name, each with its own lock, the jobs, the scratch
    folder (removed when the server stops: see server.py's lifespan)."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise UserError(f"{self.root} is not a folder: point genlab studio at the folder your runs are in.")
        self.scratch = tempfile.TemporaryDirectory(prefix="genlab-studio-")
        self.uploads = Path(self.scratch.name) / "uploads"
        self.jobs = Jobs()
        self.runs, self.locks, self.guard = {}, {}, threading.Lock()

    def opened(self, name: str):
        """The run `name` (a name inside the runs folder), loaded once and kept, and its lock."""
        from genlab.models.loading import load_run

        folder = catalog.run_folder(self.root, name)
        with self.guard:
            if name not in self.runs:
                self.runs[name] = load_run(folder.path)
                self.locks[name] = threading.Lock()
            return self.runs[name], self.locks[name]

    def written(self, name: str, write) -> str:
        """write(path) into the session's scratch folder, read back as a data URL, removed."""
        with tempfile.TemporaryDirectory(dir=self.scratch.name) as folder:
            return data_url(write(Path(folder) / name))


async def studio(request: Request) -> Studio:
    """The app's Studio, as a FastAPI dependency (async: nothing to wait for, so no trip through the thread pool)."""
    return request.app.state.studio


StudioDep = Annotated[Studio, Depends(studio)]
