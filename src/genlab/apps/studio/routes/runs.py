"""Looking at the runs: every run under RUNS_DIR with its headline figure, one run's page, a picture or sound of
a run (resolved inside its folder by catalog.py)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from genlab.apps.studio import catalog
from genlab.apps.studio.state import StudioDep

router = APIRouter()


@router.get("/api/runs")
def runs(studio: StudioDep) -> dict:
    """Every run under the runs folder, with its headline figure (or the one-line error of a damaged one)."""
    root = studio.root
    return {"root": str(root), "runs": [catalog.summary(root, name) for name in catalog.run_names(root)]}


@router.get("/api/runs/{name:path}")
def run(name: str, studio: StudioDep) -> dict:
    """One run: summary, resolved config, training log, evaluation sections, preview pictures."""
    return catalog.details(studio.root, name)


@router.get("/api/file")
def file(run: str, path: str, studio: StudioDep) -> FileResponse:
    """A picture or sound file of a run."""
    return FileResponse(catalog.run_file(studio.root, run, path))
