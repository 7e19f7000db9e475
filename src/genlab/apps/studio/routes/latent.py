"""A latent run's code space: the walk between two test examples or two uploaded images (POST /api/interpolate,
one picture a step for the page's slider) and every latent swept around a test example's code (POST
/api/traverse, one picture)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fastapi import APIRouter

from genlab.apps.studio.requests import WalkRequest
from genlab.apps.studio.state import StudioDep
from genlab.apps.studio.uploads import upload_path
from genlab.errors import UserError

router = APIRouter()


@router.post("/api/interpolate")
def interpolation(request: WalkRequest, studio: StudioDep) -> dict:
    """The walk through a latent run's code space (slerp of two codes), one picture per step, for the page's
    slider: between two test examples chosen by the seed, or between two uploaded images."""
    from genlab.media.grids import grid_image
    from genlab.sampling import interpolate

    opened, lock = studio.opened(request.run)
    if not opened.model.has_latent or opened.spec.modality != "image":
        raise UserError(f"Run '{request.run}' has no latent space of images to walk in.")
    x, y, notes = _walk_ends(opened, request, studio.uploads)
    with lock:
        walk = interpolate(opened, x, y, steps=request.steps, seed=request.seed)
    frames = [studio.written(f"step-{i}.png",
                             lambda path, image=image: _png(grid_image(image[None], opened.spec.levels), path))
              for i, image in enumerate(walk)]
    return {"seed": request.seed, "frames": frames, "notes": notes}


@router.post("/api/traverse")
def traversal(request: WalkRequest, studio: StudioDep) -> dict:
    """Every latent of a run with per-latent KL swept from -2 to 2 around a test example's code, the most
    used latent first: one picture (what genlab traverse writes)."""
    from genlab.reports.traversal import write_traversal

    opened, lock = studio.opened(request.run)
    if not opened.model.has_latent_kl:
        raise UserError(f"Run '{request.run}' has no per-latent KL to order a traversal by.")
    with lock:
        image = studio.written("traversal.png", lambda path: write_traversal(opened, path, images=1,
                                                                            steps=request.steps, seed=request.seed))
    return {"seed": request.seed, "image": image}


def _png(picture, path: Path) -> Path:
    picture.save(path, format="PNG")
    return path


def _walk_ends(opened, request: WalkRequest, uploads: Path) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """The two examples (2, C, H, W) a walk joins, their labels, notes: two test examples chosen by the seed, or
    the two uploads as the run's levels (resized to its size; a conditional run needs labels, so it refuses)."""
    from genlab.apps.images import images_for_run

    if request.uploads is None:
        test = opened.dataset().test
        pair = np.random.default_rng(request.seed).choice(len(test), 2, replace=False)
        return test.x[pair], None if test.y is None else test.y[pair], []
    if opened.model.is_conditional:
        raise UserError(f"Run '{request.run}' walks between labelled examples only: use two test examples.")
    x, notes = images_for_run(opened, [upload_path(uploads, u) for u in request.uploads], resize=True,
                              verb="walks between", alpha_note="the run reads no transparency")
    return x, None, notes
