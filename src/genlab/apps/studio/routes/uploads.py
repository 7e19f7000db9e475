"""Uploaded images and the apps that take one: POST /api/upload keeps an image (checked by ../uploads.py) in the
session's scratch folder and answers its id; /api/upscale, /api/compress and /api/decompose run a run's app on
the upload with that id."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from fastapi import APIRouter, UploadFile

from genlab.apps.studio.requests import UploadRequest
from genlab.apps.studio.state import StudioDep, data_url
from genlab.apps.studio.uploads import MAX_BYTES, keep_upload, upload_path
from genlab.errors import UserError

router = APIRouter()


@router.post("/api/upload")
async def upload(file: UploadFile, studio: StudioDep) -> dict:
    """Keep an uploaded image for the apps (checked: size, pixels, type); its id, size and channels."""
    data = await file.read(MAX_BYTES + 1)  # never more than one byte past the limit
    return keep_upload(data, studio.uploads)


@router.post("/api/upscale")
def upscale(request: UploadRequest, studio: StudioDep) -> dict:
    """An uploaded image upscaled by a super-resolution run, beside the same image upscaled bicubically."""
    from genlab.apps.superres import read_image, upscale_array
    from genlab.data.degrade import upscale_classically

    opened, lock = studio.opened(request.run)
    if not opened.model.can_upscale:
        raise UserError(f"Run '{request.run}' does not upscale images.")
    colour = read_image(upload_path(studio.uploads, request.upload)).colour
    with lock:
        high = upscale_array(opened.model, colour)
    bicubic = upscale_classically(colour, opened.model.scale)
    return {"scale": opened.model.scale, "after": studio.written("after.png", lambda path: _pixels_png(high, path)),
            "before": studio.written("before.png", lambda path: _pixels_png(bicubic, path))}


@router.post("/api/compress")
def compress(request: UploadRequest, studio: StudioDep) -> dict:
    """An uploaded image coded by a codec run and by the classical codecs at the same rate."""
    from genlab.apps.compression import against_classical
    from genlab.apps.superres import read_image

    opened, lock = studio.opened(request.run)
    colour = read_image(upload_path(studio.uploads, request.upload)).colour
    image = np.repeat(colour, 3 // len(colour), axis=0)  # (3, H, W): a grey image as RGB
    with lock:
        rows = against_classical(opened, image)
    return {"rows": [{"codec": r.codec, "setting": r.setting, "bytes": r.size, "bits_per_dim": r.bits_per_dim,
                      "psnr": r.psnr,
                      "image": studio.written("coded.png", lambda path, r=r: _pixels_png(r.decoded, path))}
                     for r in rows],
            "original": studio.written("original.png", lambda path: _pixels_png(image, path))}


@router.post("/api/decompose")
def decompose(request: UploadRequest, studio: StudioDep) -> dict:
    """An uploaded scene split into a slots run's slots: the overview (image | reconstruction | masks | each
    slot alone)."""
    from genlab.apps.decompose import decompose as split

    opened, lock = studio.opened(request.run)
    with tempfile.TemporaryDirectory(dir=studio.scratch.name) as folder, lock:
        done = split(opened, upload_path(studio.uploads, request.upload), Path(folder), resize=True)
        overview = next(p for p in done.written if p.name.endswith("-overview.png"))
        return {"overview": data_url(overview), "notes": done.notes}


def _pixels_png(pixels: np.ndarray, path: Path) -> Path:
    """Pixels (C, H, W) uint8 as a PNG file."""
    from PIL import Image

    Image.fromarray(pixels[0] if len(pixels) == 1 else pixels.transpose(1, 2, 0)).save(path, format="PNG")
    return path
