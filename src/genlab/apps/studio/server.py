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

The routes live in routes/, one router a concern, the request bodies in requests.py, what they share (the runs
folder, the scratch folder, the opened runs and their locks, the jobs) in state.py; this module makes the app.
"""

from __future__ import annotations

import threading
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from genlab.apps.studio.routes import latent, runs, sampling, speech, uploads
from genlab.apps.studio.state import Studio
from genlab.errors import UserError

STATIC = Path(__file__).parent / "static"


def create_app(root: Path | str) -> FastAPI:
    """The studio for the runs under `root`."""
    app = FastAPI(title="genlab studio", description="Look at, compare and use the runs under one folder.",
                  lifespan=_lifespan)
    app.state.studio = Studio(root)
    for concern in (runs, sampling, latent, uploads, speech):
        app.include_router(concern.router)
    app.add_exception_handler(UserError, _user_error)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.mount("/", StaticFiles(directory=STATIC, html=True), name="page")
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI):
    """The scratch folder goes when the server stops, by Ctrl-C or SIGTERM (uvicorn re-raises SIGTERM after its
    graceful shutdown, which would end Python before TemporaryDirectory's own clean-up runs)."""
    yield
    app.state.studio.scratch.cleanup()


async def _user_error(request: Request, err: UserError) -> JSONResponse:
    return JSONResponse({"error": str(err)}, status_code=400)


async def _bad_request(request: Request, err: RequestValidationError) -> JSONResponse:
    """A request of the wrong shape (a string for a number, a missing field, a value out of range) is a user's
    mistake like any other: 400 with one sentence, not FastAPI's 422 list."""
    return JSONResponse({"error": request_error(err.errors())}, status_code=400)


def request_error(errors: list[dict]) -> str:
    """FastAPI's validation errors as one sentence naming the first wrong field and what it must be."""
    first = errors[0] if errors else {"loc": (), "msg": "is not valid"}
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "query")) or "the request"
    message = str(first.get("msg", "is not valid")).rstrip(".")
    return f"{where}: {message[0].lower() + message[1:]}; fix that value in the request's JSON."


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
