"""genlab studio's API: the runs list (a damaged run shows its error, the rest still listed), a run's page,
pictures served only from inside the runs folder (no '..', absolute paths or links out), live samples."""

from __future__ import annotations

import base64
import io
import os
import shutil

import pytest
from PIL import Image

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402


@pytest.fixture(scope="module")
def studio(digits_run, tmp_path_factory):
    """A runs folder: the digits VAE (evaluated), the same nested one level down, a damaged run, a link out."""
    from genlab import api
    from genlab.apps.studio.server import create_app

    root = tmp_path_factory.mktemp("runs")
    shutil.copytree(digits_run, root / "vae")
    api.evaluate(api.load_run(root / "vae"), iwae_k=1, samples=0)
    shutil.copytree(digits_run, root / "group" / "vae-copy")
    (root / "broken").mkdir()
    (root / "broken" / "config.json").write_text("{not json")
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.png").write_bytes((root / "vae" / "report" / "loss.png").read_bytes()
                                         if (root / "vae" / "report" / "loss.png").exists() else b"x")
    os.symlink(outside, root / "vae" / "escape")
    return TestClient(create_app(root)), root


def test_the_runs_list_shows_every_run_and_a_damaged_ones_error(studio):
    client, _ = studio
    runs = {run["name"]: run for run in client.get("/api/runs").json()["runs"]}
    assert set(runs) == {"vae", "group/vae-copy", "broken"}
    assert runs["vae"]["family"] == "vae" and runs["vae"]["dataset"] == "digits" and runs["vae"]["steps"] == 30
    assert runs["vae"]["headline"]["label"] == "bits/dim" and runs["vae"]["headline"]["value"] > 0
    assert runs["group/vae-copy"]["headline"] is None  # not evaluated
    assert "damaged" in runs["broken"]["error"] or "config" in runs["broken"]["error"]


def test_a_runs_page_holds_its_config_curves_and_evaluation(studio):
    client, _ = studio
    run = client.get("/api/runs/vae").json()
    assert run["config"]["model"]["name"] == "vae" and run["capabilities"]["can_sample"]
    assert any(record.get("split") == "val" for record in run["metrics"])
    titles = [section["title"] for section in run["evaluation"]["sections"]]
    assert any("ikelihood" in title or "bits" in title.lower() for title in titles)
    assert run["previews"] and client.get("/api/file", params={"run": "vae", "path": run["previews"][0]}).status_code == 200
    assert client.get("/api/runs/group/vae-copy").json()["evaluation"] is None
    page = client.get("/")
    assert page.status_code == 200 and "studio.js" in page.text


@pytest.mark.parametrize("run, path", [("vae", "../vae/config.json"), ("vae", "../../etc/passwd"),
                                       ("vae", "/etc/passwd"), ("vae", "escape/secret.png"), ("vae", "config.json"),
                                       ("../vae", "samples"), ("/tmp", "x.png"), ("nope", "x.png")])
def test_files_outside_a_run_or_not_pictures_are_refused(studio, run, path):
    client, _ = studio
    response = client.get("/api/file", params={"run": run, "path": path})
    assert response.status_code == 400 and response.json()["error"]


def test_names_leading_out_of_the_runs_folder_are_refused(studio):
    from genlab.apps.studio import catalog
    from genlab.errors import UserError

    client, root = studio
    for name, reason in (("vae/escape", "outside"), ("nope", "No run")):
        response = client.get(f"/api/runs/{name}")
        assert response.status_code == 400 and reason in response.json()["error"]
    for name in ("..", "../..", str(root / "vae"), "group/../../x"):
        with pytest.raises(UserError):
            catalog.details(root, name)


def test_live_samples_are_a_png_of_the_asked_size_and_seeded(studio):
    client, _ = studio
    first = client.post("/api/sample", json={"run": "vae", "n": 4, "seed": 3}).json()
    again = client.post("/api/sample", json={"run": "vae", "n": 4, "seed": 3}).json()
    other = client.post("/api/sample", json={"run": "vae", "n": 4, "seed": 4}).json()
    assert first["n"] == 4 and first["image"] == again["image"] != other["image"]
    picture = Image.open(io.BytesIO(base64.b64decode(first["image"].split(",", 1)[1])))
    assert picture.format == "PNG" and picture.size[0] > 8
    assert client.post("/api/sample", json={"run": "broken", "n": 2}).status_code == 400


@pytest.mark.parametrize("body, field", [
    ({"run": "vae", "n": 0}, "n"),  # out of range
    ({"run": "vae", "n": "four"}, "n"),  # a string for a number
    ({"run": "vae", "seed": 2**64 + 1}, "seed"),  # a seed wider than any generator's (it was a 500)
    ({"run": "vae", "seed": -1}, "seed"),
    ({"n": 4}, "run"),  # missing
    ({"run": ["vae"]}, "run"),  # a list for a string
])
def test_a_request_of_the_wrong_shape_is_a_400_naming_the_field(studio, body, field):
    client, _ = studio
    response = client.post("/api/sample", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]  # the documented {"error": one sentence}, not FastAPI's {"detail": [...]}
    assert error.startswith(f"{field}: ") and "\n" not in error and error.endswith("JSON."), error


def test_walks_between_test_examples_and_traversals_of_a_latent_run(studio):
    client, _ = studio
    walk = client.post("/api/interpolate", json={"run": "vae", "seed": 1, "steps": 5}).json()
    assert len(walk["frames"]) == 5 and all(f.startswith("data:image/png;base64,") for f in walk["frames"])
    assert walk == client.post("/api/interpolate", json={"run": "vae", "seed": 1, "steps": 5}).json()  # seeded
    traversal = client.post("/api/traverse", json={"run": "vae", "seed": 0}).json()
    picture = Image.open(io.BytesIO(base64.b64decode(traversal["image"].split(",", 1)[1])))
    assert picture.format == "PNG" and picture.size[1] > picture.size[0] / 4  # one row per latent
    assert client.post("/api/traverse", json={"run": "broken"}).status_code == 400


def test_clips_are_sampled_as_an_animation(video_studio):
    client = video_studio
    result = client.post("/api/sample", json={"run": "svg", "n": 2, "seed": 0}).json()
    assert result["image"].startswith("data:image/gif;base64,")
    animation = Image.open(io.BytesIO(base64.b64decode(result["image"].split(",", 1)[1])))
    assert animation.n_frames > 1
    assert client.post("/api/interpolate", json={"run": "svg"}).status_code == 400


@pytest.fixture(scope="module")
def diffusion_studio(tmp_path_factory, genlab_at):
    """A runs folder with a tiny conditional diffusion run on digits (2 steps: the controls, not the pictures)."""
    from genlab.apps.studio.server import create_app

    root = tmp_path_factory.mktemp("diffusion-runs")
    trained = genlab_at(["train", "--data", "digits", "--model", "diffusion", "--conditional", "--out", "ddpm", "--steps",
                         "2", "--batch-size", "16", "--set", "model.channels=8", "--set", "model.timesteps=20", "--set",
                         "model.sample_steps=2", "--quiet"], root)
    assert trained.returncode == 0, str(trained)
    return TestClient(create_app(root))


def test_a_diffusion_runs_page_offers_steps_method_guidance_and_its_classes(diffusion_studio, monkeypatch):
    import functools

    from genlab.models.diffusion import Diffusion

    client = diffusion_studio
    page = client.get("/api/runs/ddpm").json()
    assert page["sampler_options"] == ["temperature", "steps", "method", "guidance"]
    assert page["classes"] == [str(i) for i in range(10)]
    asked = []
    original = Diffusion.sample

    @functools.wraps(original)
    def spy(self, n, condition=None, **options):
        asked.append((condition.tolist(), options))
        return original(self, n, condition, **options)

    monkeypatch.setattr(Diffusion, "sample", spy)
    ask = {"run": "ddpm", "n": 4, "seed": 1, "steps": 3, "method": "ddpm", "guidance": 2.0}
    image = client.post("/api/sample", json=ask | {"label": 7}).json()["image"]
    assert image.startswith("data:image/png") and client.post("/api/sample", json=ask | {"label": 7}).json()["image"] == image
    assert asked[0] == ([7] * 4, {"steps": 3, "method": "ddpm", "guidance": 2.0})  # unset: the family's default
    job = client.post("/api/jobs/sample", json={"run": "ddpm", "n": 6, "steps": 2}).json()
    with client.stream("GET", f"/api/jobs/{job['id']}/events") as events:
        assert '"finished"' in [line for line in events.iter_lines() if line][-1]
    assert [labels for labels, _ in asked[2:]] == [[0, 1, 2, 3], [4, 5]]  # each class in turn, JOB_CHUNK at a time
    wrong = client.post("/api/sample", json=ask | {"label": 10})
    assert wrong.status_code == 400 and "0..9" in wrong.json()["error"]
    assert client.post("/api/sample", json=ask | {"method": "euler"}).status_code == 400


def test_a_vae_takes_only_its_own_options_and_no_label(studio):
    client, _ = studio
    assert client.get("/api/runs/vae").json()["sampler_options"] == ["temperature"]
    assert client.get("/api/runs/vae").json()["classes"] is None
    plain = client.post("/api/sample", json={"run": "vae", "n": 4, "seed": 3}).json()["image"]
    assert client.post("/api/sample", json={"run": "vae", "n": 4, "seed": 3, "steps": 9}).json()["image"] == plain
    labelled = client.post("/api/sample", json={"run": "vae", "n": 4, "label": 1})
    assert labelled.status_code == 400 and "label" in labelled.json()["error"]
    job = client.post("/api/jobs/sample", json={"run": "vae", "n": 2, "label": 1})
    assert job.status_code == 400 and "label" in job.json()["error"]


def test_sampled_molecules_come_with_their_properties(tmp_path, genlab_at):
    from genlab.apps.studio.routes.sampling import _molecules
    from genlab.apps.studio.server import create_app
    from genlab.data.molecule_encoding import token_dataset
    from genlab.data.moses_data import read_moses

    smiles = read_moses("test", limit=40)
    data = token_dataset("mini", {"train": smiles[:30], "val": smiles[30:35], "test": smiles[35:]}, "smiles")
    x = data.train.x[:3].copy()
    x[2, 1:] = data.spec.vocabulary.index("(")  # "((((…": not a molecule
    rows = _molecules(data.spec, x)
    assert [row["valid"] for row in rows] == [True, True, False] and "QED" not in rows[2]
    assert 0 < rows[0]["QED"] < 1 and rows[0]["weight"] > 50 and set(rows[0]) == {"smiles", "valid", "QED", "logP",
                                                                                   "SA", "weight"}
    assert _molecules(spec=type("Spec", (), {"modality": "image"})(), x=x) is None
    (tmp_path / "mols.csv").write_text("smiles\n" + "\n".join(smiles) + "\n")
    trained = genlab_at(["train", "--data", "mols.csv", "--model", "charrnn", "--set", "model.hidden=16", "--set",
                         "model.layers=1", "--steps", "2", "--batch-size", "8", "--quiet", "--out", "rnn"], tmp_path)
    assert trained.returncode == 0, str(trained)
    sampled = TestClient(create_app(tmp_path)).post("/api/sample", json={"run": "rnn", "n": 5, "seed": 0}).json()
    assert len(sampled["molecules"]) == 5 and sampled["image"].startswith("data:image/png")


@pytest.fixture(scope="module")
def video_studio(tmp_path_factory, genlab_at):
    import numpy as np

    from genlab.apps.studio.server import create_app
    from genlab.data.moving_digits import moving_digits

    root = tmp_path_factory.mktemp("video-runs")
    pool = np.random.default_rng(0).integers(1, 256, (4, 28, 28)).astype(np.uint8)
    np.save(root / "clips.npy", moving_digits(pool, 20, seed=1, frames=4, size=32)[0][:, :, 0])
    trained = genlab_at(["train", "--data", "clips.npy", "--model", "video", "--set", "model.context=2", "--set",
                         "model.channels=4", "--set", "model.hidden=8", "--steps", "2", "--batch-size", "4", "--quiet",
                         "--out", "svg"], root)
    assert trained.returncode == 0, str(trained)
    return TestClient(create_app(root))


def _png_bytes(size=(40, 30), mode="RGB", grey=90) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (120, 30, 200) if mode == "RGB" else grey).save(buf, format="PNG")
    return buf.getvalue()


def test_a_walk_between_two_uploaded_images(studio, monkeypatch):
    from genlab import sampling

    client, _ = studio
    dark, light = (client.post("/api/upload", files={"file": ("x.png", _png_bytes((40, 30), "L", shade), "image/png")})
                   .json()["upload"] for shade in (0, 255))
    ends = []
    original = sampling.interpolate
    monkeypatch.setattr(sampling, "interpolate", lambda run, x, *a, **k: ends.append(x) or original(run, x, *a, **k))
    walk = client.post("/api/interpolate", json={"run": "vae", "steps": 3, "uploads": [dark, light]}).json()
    assert len(walk["frames"]) == 3 and "resized" in walk["notes"][0]
    assert ends[0].shape == (2, 1, 8, 8) and ends[0][0].max() == 0 and ends[0][1].min() == 16  # the digits' 17 levels
    colour = client.post("/api/upload", files={"file": ("c.png", _png_bytes(), "image/png")}).json()["upload"]
    refused = client.post("/api/interpolate", json={"run": "vae", "uploads": [dark, colour]})
    assert refused.status_code == 400 and "grey" in refused.json()["error"]
    assert client.post("/api/interpolate", json={"run": "vae", "uploads": [dark]}).status_code == 400


def test_uploads_are_checked_and_kept_under_names_the_server_makes(studio, monkeypatch):
    from genlab.apps.studio import uploads
    from genlab.apps.studio.routes import uploads as upload_routes

    client, root = studio
    kept = client.post("/api/upload", files={"file": ("../../evil name.png", _png_bytes(), "image/png")}).json()
    assert kept["width"] == 40 and kept["height"] == 30 and kept["channels"] == 3 and len(kept["upload"]) == 16
    assert not list(root.parent.glob("evil*")) and not list(root.glob("**/evil*"))  # the browser's name is never used
    refused = [
        ("notes.txt", b"just text"),
        ("bomb.png", _png_bytes((5000, 4000), "L")),  # 20M pixels, a few kB of file
    ]
    for name, data in refused:
        response = client.post("/api/upload", files={"file": (name, data, "image/png")})
        assert response.status_code == 400 and response.json()["error"], name
    monkeypatch.setattr(upload_routes, "MAX_BYTES", 100)
    monkeypatch.setattr(uploads, "MAX_BYTES", 100)
    large = client.post("/api/upload", files={"file": ("big.png", _png_bytes(), "image/png")})
    assert large.status_code == 400 and "larger than" in large.json()["error"]
    for upload in ("../../etc/passwd", "0123456789abcdef", kept["upload"] + "x"):
        response = client.post("/api/upscale", json={"run": "vae", "upload": upload})
        assert response.status_code == 400
    assert "does not upscale" in client.post("/api/upscale", json={"run": "vae", "upload": kept["upload"]}).json()["error"]


def test_an_upload_is_upscaled_and_split_into_slots(tmp_path_factory, genlab_at):
    import numpy as np

    from genlab.apps.studio.server import create_app
    from genlab.data.scenes import tetrominoes

    root = tmp_path_factory.mktemp("app-runs")
    x, masks = tetrominoes(30, seed=3)
    np.savez(root / "scenes.npz", x=x, masks=masks)
    slots = ["--set", "model.channels=8", "--set", "model.slot_dim=8", "--set", "model.mlp_hidden=8", "--set",
             "model.kernel=3", "--set", "model.encoder_layers=1", "--set", "model.decoder_layers=1"]
    sr = ["--set", "model.channels=8", "--set", "model.blocks=1", "--set", "model.crop=8", "--set", "model.scale=2"]
    for family, options in (("slots", slots), ("srresnet", sr)):
        trained = genlab_at(["train", "--data", "scenes.npz", "--model", family, *options, "--steps", "2",
                             "--batch-size", "4", "--quiet", "--out", family], root)
        assert trained.returncode == 0, str(trained)
    client = TestClient(create_app(root))
    upload = client.post("/api/upload", files={"file": ("scene.png", _png_bytes((35, 35)), "image/png")}).json()["upload"]
    up = client.post("/api/upscale", json={"run": "srresnet", "upload": upload}).json()
    after = Image.open(io.BytesIO(base64.b64decode(up["after"].split(",", 1)[1])))
    before = Image.open(io.BytesIO(base64.b64decode(up["before"].split(",", 1)[1])))
    assert up["scale"] == 2 and after.size == before.size == (70, 70)
    split = client.post("/api/decompose", json={"run": "slots", "upload": upload}).json()
    assert split["overview"].startswith("data:image/png;base64,")
    assert client.post("/api/decompose", json={"run": "srresnet", "upload": upload}).status_code == 400


def test_an_upload_is_compressed_beside_the_classical_codecs_at_the_same_rate(tmp_path_factory, genlab_at):
    import numpy as np

    from genlab.apps.studio.server import create_app

    root = tmp_path_factory.mktemp("codec-runs")
    rng = np.random.default_rng(0)
    np.save(root / "photos.npy", rng.integers(0, 256, (20, 3, 32, 32)).astype(np.uint8))
    trained = genlab_at(["train", "--data", "photos.npy", "--model", "codec", "--set", "model.channels=8", "--set",
                         "model.latent_channels=8", "--steps", "2", "--batch-size", "4", "--quiet", "--out", "codec"],
                        root)
    assert trained.returncode == 0, str(trained)
    client = TestClient(create_app(root))
    upload = client.post("/api/upload", files={"file": ("p.png", _png_bytes((48, 40)), "image/png")}).json()["upload"]
    result = client.post("/api/compress", json={"run": "codec", "upload": upload}).json()
    codecs = [row["codec"] for row in result["rows"]]
    assert codecs == ["codec", "JPEG", "JPEG 2000", "WebP", "AVIF"]
    for row in result["rows"]:
        assert row["bytes"] > 0 and row["bits_per_dim"] == pytest.approx(8 * row["bytes"] / (3 * 48 * 40))
        assert Image.open(io.BytesIO(base64.b64decode(row["image"].split(",", 1)[1]))).size == (48, 40)


def test_a_tts_run_says_what_is_typed(tmp_path_factory, genlab_at):
    pytest.importorskip("phonemizer")
    from genlab.apps.studio.server import create_app

    root = tmp_path_factory.mktemp("speech-runs")
    options = {"hidden": 8, "filter": 8, "encoder_layers": 1, "decoder_layers": 1, "aligner_dim": 8, "bin_start": 0}
    flags = [arg for key, value in options.items() for arg in ("--set", f"model.{key}={value}")]
    trained = genlab_at(["train", "--data", "espeak", "--model", "tts", *flags, "--steps", "2", "--batch-size", "4",
                         "--quiet", "--out", "tts"], root)
    assert trained.returncode == 0, str(trained)
    client = TestClient(create_app(root))
    said = client.post("/api/speak", json={"run": "tts", "text": "Hello there. Good day."}).json()
    assert said["audio"].startswith("data:audio/wav;base64,") and said["mel"].startswith("data:image/png;base64,")
    assert said["seconds"] > 0 and said["vocoder"] == "griffin-lim"
    import soundfile

    wave, rate = soundfile.read(io.BytesIO(base64.b64decode(said["audio"].split(",", 1)[1])))
    assert rate == 22_050 and len(wave) / rate == pytest.approx(said["seconds"], rel=0.01)
    empty = client.post("/api/speak", json={"run": "tts", "text": "   "})
    assert empty.status_code == 400 and "empty" in empty.json()["error"]


def test_sampling_runs_as_a_job_whose_progress_streams_to_its_result(studio):
    import json

    from genlab.config import MAX_SEED

    client, _ = studio
    for seed in (2, MAX_SEED):  # the largest seed too: its chunks' derived seeds (seed * 1000 + start) are accepted
        job = client.post("/api/jobs/sample", json={"run": "vae", "n": 10, "seed": seed}).json()
        assert job["state"] in ("running", "finished") and len(job["id"]) == 16
        with client.stream("GET", f"/api/jobs/{job['id']}/events") as events:
            states = [json.loads(line[len("data: "):]) for line in events.iter_lines() if line.startswith("data: ")]
        assert states[-1]["state"] == "finished" and states[-1]["done"] == states[-1]["total"] == 10, states[-1]
        assert states[-1]["result"]["n"] == 10 and states[-1]["result"]["image"].startswith("data:image/png")
    assert client.get("/api/jobs/nope/events").status_code == 400


def test_a_cancelled_job_stops_at_its_next_step():
    import threading
    import time

    from genlab.apps.studio.jobs import Jobs

    release = threading.Event()

    def work(progress):
        for step in range(1000):
            progress(step, 1000)
            release.wait(0.01)
        return {"never": True}

    job = Jobs().start(work, threading.Lock())
    time.sleep(0.05)
    job.cancelled.set()
    status = job.wait(("running", job.done), timeout=5)
    for _ in range(100):
        if status["state"] != "running":
            break
        status = job.wait((status["state"], status["done"]), timeout=1)
    assert status["state"] == "cancelled" and status["result"] is None and status["done"] < 999


def test_the_scratch_folder_goes_when_the_server_is_stopped_by_sigterm(tmp_path):
    """uvicorn re-raises SIGTERM after its graceful shutdown, which ends Python before a TemporaryDirectory's own
    clean-up: the studio removes its upload scratch in its shutdown instead."""
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    scratch_parent, runs = tmp_path / "tmp", tmp_path / "runs"
    scratch_parent.mkdir()
    runs.mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = os.environ | {"TMPDIR": str(scratch_parent)}
    server = subprocess.Popen([sys.executable, "-m", "genlab", "studio", str(runs), "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs", timeout=1).read()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()
                time.sleep(0.1)
        assert [p.name.startswith("genlab-studio-") for p in scratch_parent.iterdir()] == [True]
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    finally:
        server.kill()
    assert not list(scratch_parent.iterdir())
