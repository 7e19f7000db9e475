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
    assert client.post("/api/sample", json={"run": "vae", "n": 0}).status_code == 422  # FastAPI's own check
    assert client.post("/api/sample", json={"run": "broken", "n": 2}).status_code == 400


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


def _png_bytes(size=(40, 30), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (120, 30, 200) if mode == "RGB" else 90).save(buf, format="PNG")
    return buf.getvalue()


def test_uploads_are_checked_and_kept_under_names_the_server_makes(studio, monkeypatch):
    from genlab.apps.studio import server, uploads

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
    monkeypatch.setattr(server, "MAX_BYTES", 100)
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

    client, _ = studio
    job = client.post("/api/jobs/sample", json={"run": "vae", "n": 10, "seed": 2}).json()
    assert job["state"] in ("running", "finished") and len(job["id"]) == 16
    with client.stream("GET", f"/api/jobs/{job['id']}/events") as events:
        states = [json.loads(line[len("data: "):]) for line in events.iter_lines() if line.startswith("data: ")]
    assert states[-1]["state"] == "finished" and states[-1]["done"] == states[-1]["total"] == 10
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
