"""`genlab bench studio`: how fast the studio answers on this machine, beside the targets of its issue (a runs list
of 100 runs opens in under 1 s; a VAE's batch of samples appears in under 1 s on 2 CPU cores).

A MNIST VAE is trained (or reused) and evaluated, then laid out 100 times in one runs folder (hard links, so the
copies cost no disk). The JSON API is timed in process (FastAPI's test client: the server's own work, no
network), and, where Chromium and Playwright are installed, the page itself in the browser: from opening the
address to the 100 rows drawn, and from pressing "New batch" to the new picture shown. Each figure is the median
of `repeats`, after one untimed call that loads what is loaded once (the first one is given too).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from pathlib import Path

from genlab.benchmarks.checks import positive
from genlab.benchmarks.runs import train_or_reuse
from genlab.config import load_config
from genlab.evaluation import evaluate
from genlab.files import atomic_write
from genlab.runs import RunFolder
from genlab.tables import Table

VAE = {"data": {"source": "mnist"}, "model": {"name": "vae"}, "training": {"steps": 1000, "batch_size": 64}}
TARGET_SECONDS = 1.0
BATCH = 16  # samples in the timed batch, the page's default


def _timed(call, repeats: int) -> tuple[float, float]:
    """(the first call's seconds, the median of `repeats` more)."""
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:])


def _many(run: Path, folder: Path, runs: int) -> Path:
    """`runs` hard-linked copies of the run folder `run` in `folder` (made anew each time)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for i in range(runs):
        shutil.copytree(run, folder / f"vae-{i:03d}", copy_function=os.link)
    return folder


def _api_timings(root: Path, repeats: int) -> dict[str, tuple[float, float]]:
    from fastapi.testclient import TestClient

    from genlab.apps.studio.server import create_app

    client = TestClient(create_app(root))

    def ok(response):
        assert response.status_code == 200, response.text
        return response

    seeds = iter(range(10**6))
    return {
        "GET /api/runs (every run's summary)": _timed(lambda: ok(client.get("/api/runs")), repeats),
        "GET /api/runs/{name} (a run's page)": _timed(lambda: ok(client.get("/api/runs/vae-000")), repeats),
        f"POST /api/sample ({BATCH} VAE samples)": _timed(
            lambda: ok(client.post("/api/sample", json={"run": "vae-000", "n": BATCH, "seed": next(seeds)})), repeats),
    }


def _browser_timings(root: Path, runs: int, repeats: int) -> dict[str, tuple[float, float]] | str:
    """The page's own timings in Chromium, or the reason they cannot be taken here."""
    from importlib.util import find_spec

    chromium = shutil.which("chromium")
    if not (chromium and find_spec("playwright") and find_spec("uvicorn")):
        return "not measured: no Chromium or Playwright here (make test installs them, as root)"
    from playwright.sync_api import sync_playwright

    from genlab.apps.studio.server import serving

    with serving(root) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--disable-gpu"])
        page = browser.new_page()

        def open_list():
            page.goto("about:blank")
            page.goto(url)
            page.wait_for_selector(f"table#runs tbody tr >> nth={runs - 1}")

        listing = _timed(open_list, repeats)
        page.goto(url + "#run=vae-000")
        page.wait_for_selector("#samples[src^='data:image/png']")

        def new_batch():
            old = page.get_attribute("#samples", "src")
            page.click("#new-batch")
            page.wait_for_function("(old) => document.getElementById('samples').src !== old", arg=old)

        batch = _timed(new_batch, repeats)
        browser.close()
    return {f"the runs list page, {runs} rows drawn": listing, f'"New batch" to {BATCH} new VAE samples shown': batch}


def studio(out: Path, *, runs: int = 100, repeats: int = 5) -> Path:
    """Time the studio on `runs` copies of a MNIST VAE; write OUT/studio.md and OUT/studio/timings.json."""
    positive("--runs", runs, "100")
    positive("--repeats", repeats, "5")
    out = Path(out)
    vae = train_or_reuse(out / "runs" / "studio-mnist-vae", load_config(None, VAE), same_settings=True)
    if RunFolder(vae.folder.path).read_evaluation() is None:
        evaluate(vae, iwae_k=1, samples=0)  # the runs list shows its headline figure
    root = _many(vae.folder.path, out / "runs" / f"studio-{runs}", runs)
    api = _api_timings(root, repeats)
    browser = _browser_timings(root, runs, repeats)
    threads = os.environ.get("OMP_NUM_THREADS", "all cores")
    record = {"runs": runs, "repeats": repeats, "threads": threads, "api": api, "browser": browser}
    (out / "studio").mkdir(parents=True, exist_ok=True)
    atomic_write(out / "studio" / "timings.json", json.dumps(record, indent=2).encode())
    rows = [(what, f"{first:.3f}", f"{median:.3f}", f"{TARGET_SECONDS:g}" if "runs list" in what or "New batch" in what
             else "") for what, (first, median) in {**api, **(browser if isinstance(browser, dict) else {})}.items()]
    text = "\n".join([
        "# Studio speed", "",
        f"`genlab bench studio --runs {runs} --repeats {repeats}` (OMP_NUM_THREADS={threads}): {runs} hard-linked "
        f"copies of a MNIST VAE trained {VAE['training']['steps']:,} steps. Seconds: the first call (which loads the "
        f"model or imports what is imported once) and the median of {repeats} more. The issue's targets: a runs list "
        f"of 100 runs in under 1 s, a VAE sample batch in under 1 s on 2 cores.", "",
        *Table(("what", "first (s)", "median (s)", "target (s)"), rows).markdown(), "",
        "The API rows are the server's own work (FastAPI's test client, no network); the page rows are Chromium's, "
        "from the address opened or the button pressed to the rows or picture drawn." if isinstance(browser, dict)
        else f"The page in a browser: {browser}.", ""])
    path = out / "studio.md"
    atomic_write(path, text.encode())
    return path
