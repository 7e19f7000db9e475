"""Drawing samples: at once (POST /api/sample) or as a background job (POST /api/jobs/sample) whose progress
streams as server-sent events to its result (GET /api/jobs/{id}/events) and which can be cancelled (DELETE
/api/jobs/{id}). Samples come back drawn as the run's data are shown, molecules also as SMILES with their
properties."""

from __future__ import annotations

import json

import numpy as np
from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from genlab.apps.studio.requests import SampleRequest
from genlab.apps.studio.state import Studio, StudioDep
from genlab.errors import UserError

JOB_CHUNK = 4  # samples drawn between a job's progress reports

router = APIRouter()


def _sampler(studio: Studio, name: str):
    """The opened run `name` and its lock, if it draws samples the studio can show."""
    from genlab.media import MEDIA

    opened, lock = studio.opened(name)
    if not opened.model.can_sample or opened.spec.modality not in MEDIA:
        raise UserError(f"Run '{name}' does not draw samples the studio can show.")
    return opened, lock


@router.post("/api/sample")
def sample_grid(request: SampleRequest, studio: StudioDep) -> dict:
    """New samples of a run that samples, drawn as its data are shown (a PNG grid of images, an animated GIF
    of clips, molecules drawn by RDKit), as a data URL, with the seed that made them."""
    from genlab.media import save_examples
    from genlab.sampling import sample_grid as grid

    opened, lock = _sampler(studio, request.run)
    with lock:
        x, row = grid(opened, request.n, seed=request.seed, label=request.label, **request.options(opened.model))
    return {"seed": request.seed, "n": len(x), "molecules": _molecules(opened.spec, x),
            "image": studio.written("samples", lambda path: save_examples(opened.spec, x, path, nrow=row))}


@router.post("/api/jobs/sample")
def sample_job(request: SampleRequest, studio: StudioDep) -> dict:
    """Draw samples as a background job, JOB_CHUNK at a time (progress after each, cancellable between); each
    chunk is seeded by the seed and its place, so the same request draws the same samples. A conditional
    run draws the class asked for, else the classes in turn."""
    from genlab.media import save_examples
    from genlab.sampling import check_options, sample as draw

    opened, lock = _sampler(studio, request.run)
    model = opened.model
    options = check_options(model, request.options(model))
    labels = _labels(model, request.label, request.n)

    def work(progress) -> dict:
        parts = []
        for start in range(0, request.n, JOB_CHUNK):
            chunk = slice(start, min(start + JOB_CHUNK, request.n))
            parts.append(draw(opened, chunk.stop - start, seed=request.seed * 1000 + start,
                              labels=None if labels is None else labels[chunk], **options))
            progress(chunk.stop, request.n)
        x = np.concatenate(parts)
        return {"seed": request.seed, "n": len(x), "molecules": _molecules(opened.spec, x),
                "image": studio.written("samples", lambda path: save_examples(opened.spec, x, path))}

    return studio.jobs.start(work, lock).status()


@router.get("/api/jobs/{job_id}/events")
def job_events(job_id: str, studio: StudioDep) -> StreamingResponse:
    """Server-sent events: the job's status whenever it changes, the last one when it ends."""
    job = studio.jobs.get(job_id)

    def stream():
        seen = None
        while True:
            status = job.wait(seen, timeout=15)
            seen = (status["state"], status["done"])
            yield f"data: {json.dumps(status)}\n\n"
            if status["state"] != "running":
                return

    return StreamingResponse(stream(), media_type="text/event-stream")


@router.delete("/api/jobs/{job_id}")
def cancel(job_id: str, studio: StudioDep) -> dict:
    """Cancel a job: it stops at its next step and ends "cancelled"."""
    job = studio.jobs.get(job_id)
    job.cancelled.set()
    return job.status()


def _molecules(spec, x: np.ndarray) -> list[dict] | None:
    """Sampled molecules' SMILES (canonical when valid) and, for valid ones, QED, logP, SA and molecular weight;
    None for data that are not molecules."""
    from genlab.media.molecules import decoded_smiles
    from genlab.metrics.molecules import properties

    if spec.modality != "tokens":
        return None
    rows = [{"smiles": valid or raw, "valid": valid is not None} for raw, valid in decoded_smiles(spec, x)]
    valid = [row for row in rows if row["valid"]]
    if valid:
        measured = properties([row["smiles"] for row in valid])
        for i, row in enumerate(valid):
            row.update({name: float(values[i]) for name, values in measured.items()})
    return rows


def _labels(model, label: int | None, n: int) -> np.ndarray | None:
    """A conditional run's n labels: all `label`, or the classes in turn; None for a run without labels."""
    if not model.is_conditional:
        if label is not None:
            raise UserError("This run was not trained with labels, so it takes no label.")
        return None
    if label is not None and label >= model.num_classes:
        raise UserError(f"Label {label} is not a class of this run: use 0..{model.num_classes - 1}.")
    return np.full(n, label) if label is not None else np.arange(n) % model.num_classes
