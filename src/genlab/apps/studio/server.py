"""The studio's web server: the page (static/) and a JSON API under /api/ that scripts can use too, described on
FastAPI's own page at /docs. Serves on 127.0.0.1 unless told otherwise (the CLI warns then).

    GET  /api/runs                 every run under RUNS_DIR: family, data, steps, headline figure (or its error)
    GET  /api/runs/{name}          one run: config, training log, evaluation sections, preview pictures
    GET  /api/file?run=&path=      a picture or sound of a run, resolved inside its folder
    POST /api/sample               {run, n, seed, temperature}: a fresh grid of samples as a PNG data URL

A user's mistake (an unknown run, a path leading out of RUNS_DIR, a run that cannot sample) is a 400 with
{"error": one sentence}; nothing the browser sends is unpickled or evaluated. Models are loaded once per run
and kept; one sampling job runs per model at a time.
"""

from __future__ import annotations

import base64
import threading
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from genlab.apps.studio import catalog
from genlab.errors import UserError

STATIC = Path(__file__).parent / "static"
MAX_SAMPLES = 64


class SampleRequest(BaseModel):
    run: str
    n: int = Field(16, ge=1, le=MAX_SAMPLES)
    seed: int = Field(0, ge=0)
    temperature: float = Field(1.0, gt=0, le=2)


class Models:
    """Opened runs by name, each with its own lock, so one job at a time runs per model."""

    def __init__(self, root: Path):
        self.root, self.runs, self.locks, self.guard = root, {}, {}, threading.Lock()

    def get(self, name: str):
        from genlab.models.loading import load_run

        folder = catalog.run_folder(self.root, name)
        with self.guard:
            if name not in self.runs:
                self.runs[name] = load_run(folder.path)
                self.locks[name] = threading.Lock()
            return self.runs[name], self.locks[name]


def create_app(root: Path | str) -> FastAPI:
    """The studio for the runs under `root`."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise UserError(f"{root} is not a folder: point genlab studio at the folder your runs are in.")
    app = FastAPI(title="genlab studio", description="Look at, compare and use the runs under one folder.")
    models = Models(root)

    @app.exception_handler(UserError)
    async def user_error(request: Request, err: UserError) -> JSONResponse:
        return JSONResponse({"error": str(err)}, status_code=400)

    @app.get("/api/runs")
    def runs() -> dict:
        """Every run under the runs folder, with its headline figure (or the one-line error of a damaged one)."""
        return {"root": str(root), "runs": [catalog.summary(root, name) for name in catalog.run_names(root)]}

    @app.get("/api/runs/{name:path}")
    def run(name: str) -> dict:
        """One run: summary, resolved config, training log, evaluation sections, preview pictures."""
        return catalog.details(root, name)

    @app.get("/api/file")
    def file(run: str, path: str) -> FileResponse:
        """A picture or sound file of a run."""
        return FileResponse(catalog.run_file(root, run, path))

    @app.post("/api/sample")
    def sample_grid(request: SampleRequest) -> dict:
        """New samples from a run that samples, as a PNG grid (a data URL) and the seed that made them."""
        from genlab.media.grids import grid_image
        from genlab.sampling import sample_grid as grid

        opened, lock = models.get(request.run)
        if not opened.model.can_sample or opened.spec.modality != "image":
            raise UserError(f"Run '{request.run}' does not sample images.")
        with lock:
            x, row = grid(opened, request.n, seed=request.seed, temperature=request.temperature
                          if _takes_temperature(opened.model) else None)
        import io

        buf = io.BytesIO()
        grid_image(x, opened.spec.levels, nrow=row).save(buf, format="PNG")
        return {"seed": request.seed, "n": len(x), "image": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()}

    app.mount("/", StaticFiles(directory=STATIC, html=True), name="page")
    return app


def _takes_temperature(model) -> bool:
    import inspect

    return "temperature" in inspect.signature(model.sample).parameters
