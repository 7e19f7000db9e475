"""The studio's web server: the page (static/) and a JSON API under /api/ that scripts can use too, described on
FastAPI's own page at /docs. Serves on 127.0.0.1 unless told otherwise (the CLI warns then).

    GET  /api/runs                 every run under RUNS_DIR: family, data, steps, headline figure (or its error)
    GET  /api/runs/{name}          one run: config, training log, evaluation sections, preview pictures
    GET  /api/file?run=&path=      a picture or sound of a run, resolved inside its folder
    POST /api/sample               {run, n, seed, temperature, label, steps, method, guidance}: new samples as the
                                   modality's picture (a PNG grid, an animated GIF of clips, molecules drawn), a
                                   data URL; molecules also as SMILES with QED, logP, SA and weight
    POST /api/interpolate          {run, seed, steps, uploads}: the latent walk between two test examples (or two
                                   uploaded images, resized to the run's), one picture a step
    POST /api/traverse             {run, seed}: every latent swept around a test example's code, one picture
    POST /api/upload               an image (multipart "file"; 20 MB and 16M pixels at most): its upload id
    POST /api/upscale              {run, upload}: the image upscaled by the run beside bicubic
    POST /api/decompose            {run, upload}: the image split into the run's slots (the overview picture)
    POST /api/compress             {run, upload}: the image coded by a codec run, and by JPEG, JPEG 2000, WebP and
                                   AVIF at the same rate: sizes, bits/dim, PSNR and each decoded image
    POST /api/speak                {run, text, speed}: a tts run says the text: a WAV and the mel spectrogram
    POST /api/jobs/sample          as /api/sample, as a background job: its id at once
    GET  /api/jobs/{id}/events     the job's progress as server-sent events, to its result or error
    DELETE /api/jobs/{id}          cancel the job (it stops at its next step)

A user's mistake (an unknown run, a path leading out of RUNS_DIR, a run that cannot sample) is a 400 with
{"error": one sentence}; nothing the browser sends is unpickled or evaluated. Models are loaded once per run
and kept; one sampling job runs per model at a time.
"""

from __future__ import annotations

import base64
import inspect
import json
import tempfile
import threading
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Literal

import numpy as np

from fastapi import FastAPI, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, create_model

from genlab.apps.studio import catalog
from genlab.apps.studio.jobs import Jobs
from genlab.apps.studio.uploads import MAX_BYTES, keep_upload, upload_path
from genlab.config import Seed
from genlab.errors import UserError
from genlab.models.sampler_options import SAMPLER
from genlab.options import Option

STATIC = Path(__file__).parent / "static"
MAX_SAMPLES = 64
JOB_CHUNK = 4  # samples drawn between a job's progress reports


def _sampler_field(option: Option) -> tuple:
    """A sampler option (models/sampler_options.py) as a request field: unset (None: the family's default) or a
    value within its declared bounds, the studio's upper bound included."""
    kind = Literal[option.choices] if option.choices else option.type  # type: ignore[valid-type]
    return kind | None, Field(None, ge=option.minimum, gt=option.above, le=option.most)


class _Request(BaseModel):
    run: str
    n: int = Field(16, ge=1, le=MAX_SAMPLES)
    seed: Seed = 0
    label: int | None = Field(None, ge=0)  # a conditional run: every sample of this class (None: each class)

    def options(self, model) -> dict:
        """The sampler's options this run takes and the request sets; the others (a VAE has no steps) are left
        out, as unset ones are."""
        accepted = inspect.signature(model.sample).parameters
        return {key: getattr(self, key) for key in SAMPLER if key in accepted and getattr(self, key) is not None}


SampleRequest = create_model("SampleRequest", __base__=_Request,
                             **{name: _sampler_field(option) for name, option in SAMPLER.items()})


class UploadRequest(BaseModel):
    run: str
    upload: str


class SpeakRequest(BaseModel):
    run: str
    text: str = Field(..., max_length=2000)
    speed: float = Field(1.0, gt=0)


class WalkRequest(BaseModel):
    run: str
    seed: Seed = 0
    steps: int = Field(9, ge=2, le=33)
    uploads: list[str] | None = Field(None, min_length=2, max_length=2)  # walk between these two uploads instead


MIME = {".png": "image/png", ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml", ".wav": "audio/wav"}


def data_url(path: Path) -> str:
    """A file written for the page as a data URL (the page shows it; nothing is kept on disk)."""
    return f"data:{MIME[path.suffix.lower()]};base64," + base64.b64encode(path.read_bytes()).decode()


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


def request_error(errors: list[dict]) -> str:
    """FastAPI's validation errors as one sentence naming the first wrong field and what it must be."""
    first = errors[0] if errors else {"loc": (), "msg": "is not valid"}
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "query")) or "the request"
    message = str(first.get("msg", "is not valid")).rstrip(".")
    return f"{where}: {message[0].lower() + message[1:]}; fix that value in the request's JSON."


def create_app(root: Path | str) -> FastAPI:
    """The studio for the runs under `root`."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise UserError(f"{root} is not a folder: point genlab studio at the folder your runs are in.")
    scratch = tempfile.TemporaryDirectory(prefix="genlab-studio-")  # the session's only place to write

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        """The scratch folder goes when the server stops, by Ctrl-C or SIGTERM (uvicorn re-raises SIGTERM after
        its graceful shutdown, which would end Python before TemporaryDirectory's own clean-up runs)."""
        yield
        scratch.cleanup()

    app = FastAPI(title="genlab studio", description="Look at, compare and use the runs under one folder.",
                  lifespan=lifespan)
    models = Models(root)

    @app.exception_handler(UserError)
    async def user_error(request: Request, err: UserError) -> JSONResponse:
        return JSONResponse({"error": str(err)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, err: RequestValidationError) -> JSONResponse:
        """A request of the wrong shape (a string for a number, a missing field, a value out of range) is a
        user's mistake like any other: 400 with one sentence, not FastAPI's 422 list."""
        return JSONResponse({"error": request_error(err.errors())}, status_code=400)

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

    app.state.scratch = scratch
    uploads = Path(scratch.name) / "uploads"

    def written(name: str, write) -> str:
        """write(path) into the session's scratch folder, read back as a data URL, removed."""
        with tempfile.TemporaryDirectory(dir=scratch.name) as folder:
            return data_url(write(Path(folder) / name))

    def sampler(name: str):
        """The opened run `name` and its lock, if it draws samples the studio can show."""
        from genlab.media import WRITERS

        opened, lock = models.get(name)
        if not opened.model.can_sample or opened.spec.modality not in WRITERS:
            raise UserError(f"Run '{name}' does not draw samples the studio can show.")
        return opened, lock

    @app.post("/api/sample")
    def sample_grid(request: SampleRequest) -> dict:
        """New samples of a run that samples, drawn as its data are shown (a PNG grid of images, an animated GIF
        of clips, molecules drawn by RDKit), as a data URL, with the seed that made them."""
        from genlab.media import save_examples
        from genlab.sampling import sample_grid as grid

        opened, lock = sampler(request.run)
        with lock:
            x, row = grid(opened, request.n, seed=request.seed, label=request.label, **request.options(opened.model))
        return {"seed": request.seed, "n": len(x), "molecules": _molecules(opened.spec, x),
                "image": written("samples", lambda path: save_examples(opened.spec, x, path, nrow=row))}

    jobs = Jobs()

    @app.post("/api/jobs/sample")
    def sample_job(request: SampleRequest) -> dict:
        """Draw samples as a background job, JOB_CHUNK at a time (progress after each, cancellable between); each
        chunk is seeded by the seed and its place, so the same request draws the same samples. A conditional
        run draws the class asked for, else the classes in turn."""
        from genlab.media import save_examples
        from genlab.sampling import check_options, sample as draw

        opened, lock = sampler(request.run)
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
                    "image": written("samples", lambda path: save_examples(opened.spec, x, path))}

        return jobs.start(work, lock).status()

    @app.get("/api/jobs/{job_id}/events")
    def job_events(job_id: str) -> StreamingResponse:
        """Server-sent events: the job's status whenever it changes, the last one when it ends."""
        job = jobs.get(job_id)

        def stream():
            seen = None
            while True:
                status = job.wait(seen, timeout=15)
                seen = (status["state"], status["done"])
                yield f"data: {json.dumps(status)}\n\n"
                if status["state"] != "running":
                    return

        return StreamingResponse(stream(), media_type="text/event-stream")

    @app.delete("/api/jobs/{job_id}")
    def cancel(job_id: str) -> dict:
        """Cancel a job: it stops at its next step and ends "cancelled"."""
        job = jobs.get(job_id)
        job.cancelled.set()
        return job.status()

    @app.post("/api/interpolate")
    def interpolation(request: WalkRequest) -> dict:
        """The walk through a latent run's code space (slerp of two codes), one picture per step, for the page's
        slider: between two test examples chosen by the seed, or between two uploaded images."""
        from genlab.media.grids import grid_image
        from genlab.sampling import interpolate

        opened, lock = models.get(request.run)
        if not opened.model.has_latent or opened.spec.modality != "image":
            raise UserError(f"Run '{request.run}' has no latent space of images to walk in.")
        x, y, notes = _walk_ends(opened, request, uploads)
        with lock:
            walk = interpolate(opened, x, y, steps=request.steps, seed=request.seed)
        frames = [written(f"step-{i}.png", lambda path, image=image: _png(grid_image(image[None], opened.spec.levels),
                                                                          path))
                  for i, image in enumerate(walk)]
        return {"seed": request.seed, "frames": frames, "notes": notes}

    @app.post("/api/traverse")
    def traversal(request: WalkRequest) -> dict:
        """Every latent of a run with per-latent KL swept from -2 to 2 around a test example's code, the most
        used latent first: one picture (what genlab traverse writes)."""
        from genlab.reports.traversal import write_traversal

        opened, lock = models.get(request.run)
        if not opened.model.has_latent_kl:
            raise UserError(f"Run '{request.run}' has no per-latent KL to order a traversal by.")
        with lock:
            image = written("traversal.png", lambda path: write_traversal(opened, path, images=1, steps=request.steps,
                                                                         seed=request.seed))
        return {"seed": request.seed, "image": image}

    @app.post("/api/upload")
    async def upload(file: UploadFile) -> dict:
        """Keep an uploaded image for the apps (checked: size, pixels, type); its id, size and channels."""
        data = await file.read(MAX_BYTES + 1)  # never more than one byte past the limit
        return keep_upload(data, uploads)

    @app.post("/api/upscale")
    def upscale(request: UploadRequest) -> dict:
        """An uploaded image upscaled by a super-resolution run, beside the same image upscaled bicubically."""
        from genlab.apps.superres import read_image, upscale_array
        from genlab.data.degrade import upscale_classically

        opened, lock = models.get(request.run)
        if not opened.model.can_upscale:
            raise UserError(f"Run '{request.run}' does not upscale images.")
        colour = read_image(upload_path(uploads, request.upload)).colour
        with lock:
            high = upscale_array(opened.model, colour)
        bicubic = upscale_classically(colour, opened.model.scale)
        return {"scale": opened.model.scale, "after": written("after.png", lambda path: _pixels_png(high, path)),
                "before": written("before.png", lambda path: _pixels_png(bicubic, path))}

    @app.post("/api/compress")
    def compress(request: UploadRequest) -> dict:
        """An uploaded image coded by a codec run and by the classical codecs at the same rate."""
        from genlab.apps.compression import against_classical
        from genlab.apps.superres import read_image

        opened, lock = models.get(request.run)
        colour = read_image(upload_path(uploads, request.upload)).colour
        image = np.repeat(colour, 3 // len(colour), axis=0)  # (3, H, W): a grey image as RGB
        with lock:
            rows = against_classical(opened, image)
        return {"rows": [{"codec": r.codec, "setting": r.setting, "bytes": r.size, "bits_per_dim": r.bits_per_dim,
                          "psnr": r.psnr, "image": written("coded.png", lambda path, r=r: _pixels_png(r.decoded, path))}
                         for r in rows],
                "original": written("original.png", lambda path: _pixels_png(image, path))}

    @app.post("/api/speak")
    def speak(request: SpeakRequest) -> dict:
        """A text-to-speech run says the text (through its named vocoder, else Griffin-Lim): the WAV as a data URL,
        its length and the real-time factor, and the first sentence's mel spectrogram as a picture."""
        from genlab.apps.speak import speak as say
        from genlab.media.audio import mel_picture

        opened, lock = models.get(request.run)
        with lock, tempfile.TemporaryDirectory(dir=scratch.name) as folder:
            spoken = say(opened, [request.text], Path(folder) / "said.wav", speed=request.speed)
            audio = data_url(spoken.written[0])
        picture = mel_picture([("said", spoken.first_mel)])
        return {"audio": audio, "seconds": spoken.seconds, "real_time_factor": spoken.real_time_factor,
                "vocoder": spoken.vocoder, "mel": "data:image/png;base64," + base64.b64encode(picture).decode()}

    @app.post("/api/decompose")
    def decompose(request: UploadRequest) -> dict:
        """An uploaded scene split into a slots run's slots: the overview (image | reconstruction | masks | each
        slot alone)."""
        from genlab.apps.decompose import decompose as split

        opened, lock = models.get(request.run)
        with tempfile.TemporaryDirectory(dir=scratch.name) as folder, lock:
            done = split(opened, upload_path(uploads, request.upload), Path(folder), resize=True)
            overview = next(p for p in done.written if p.name.endswith("-overview.png"))
            return {"overview": data_url(overview), "notes": done.notes}

    app.mount("/", StaticFiles(directory=STATIC, html=True), name="page")
    return app


def _pixels_png(pixels: np.ndarray, path: Path) -> Path:
    """Pixels (C, H, W) uint8 as a PNG file."""
    from PIL import Image

    Image.fromarray(pixels[0] if len(pixels) == 1 else pixels.transpose(1, 2, 0)).save(path, format="PNG")
    return path


def _png(picture, path: Path) -> Path:
    picture.save(path, format="PNG")
    return path


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


def _labels(model, label: int | None, n: int) -> np.ndarray | None:
    """A conditional run's n labels: all `label`, or the classes in turn; None for a run without labels."""
    if not model.is_conditional:
        if label is not None:
            raise UserError("This run was not trained with labels, so it takes no label.")
        return None
    if label is not None and label >= model.num_classes:
        raise UserError(f"Label {label} is not a class of this run: use 0..{model.num_classes - 1}.")
    return np.full(n, label) if label is not None else np.arange(n) % model.num_classes


@contextmanager
def serving(root: Path | str):
    """The studio for `root` served on a free loopback port in a background thread, for as long as the block
    runs: yields its address (http://127.0.0.1:PORT/). What the browser tests, the speed benchmark and the
    README's screenshots open."""
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(root), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
