"""genlab studio in a real browser: Debian's Chromium driven by Playwright opens the page, lists the runs with
their headline figures, filters them, opens a run, draws samples and a new batch, walks between test examples
and between two uploaded images, compares runs, compresses an upload, with no console error.
make test installs both (as root); without them these tests skip with the reason."""

from __future__ import annotations

import os
import shutil
from importlib.util import find_spec
from pathlib import Path

import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(not (CHROMIUM and find_spec("playwright") and find_spec("uvicorn")),
                                reason="no Chromium or Playwright here: make test installs them (as root)")
# Chromium on a closed network: no background connections, no first-run work, a throwaway profile.
FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def studio_url(digits_run, tmp_path_factory):
    from genlab import api
    from genlab.apps.studio.server import serving

    root = tmp_path_factory.mktemp("browser-runs")
    shutil.copytree(digits_run, root / "vae")
    api.evaluate(api.load_run(root / "vae"), iwae_k=1, samples=0)
    shutil.copytree(digits_run, root / "vae-copy")
    (root / "broken").mkdir()
    (root / "broken" / "config.json").write_text("{}")
    import numpy as np

    np.save(root / "photos.npy", np.random.default_rng(0).integers(0, 256, (20, 3, 32, 32)).astype(np.uint8))
    config = api.load_config(None, {"data": {"source": str(root / "photos.npy")},
                                    "model": {"name": "codec", "channels": 8, "latent_channels": 8},
                                    "training": {"steps": 2, "batch_size": 4}})
    api.train(config, root / "codec", quiet=True)
    (root / "photos.npy").unlink()
    with serving(root) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def test_the_page_lists_opens_and_samples_runs(studio_url, browser, tmp_path):
    page = browser.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(studio_url)
    page.wait_for_selector("table#runs tbody tr")
    rows = page.locator("table#runs tbody tr")
    assert rows.count() == 4
    assert "bits/dim" in page.locator("tr", has_text="vae").first.inner_text()
    assert page.locator("tr.error").count() == 1 and "broken" in page.locator("tr.error").inner_text()
    page.fill("#filter", "copy")
    assert rows.count() == 1 and "vae-copy" in rows.first.inner_text()
    page.fill("#filter", "")
    screenshots = Path(os.environ.get("GENLAB_SCREENSHOTS", tmp_path))  # the README's pictures are taken so
    page.screenshot(path=str(screenshots / "studio-runs.png"))

    page.click("text=vae >> nth=0")
    page.wait_for_selector("#samples[src^='data:image/png']")
    decoded = page.evaluate("document.getElementById('samples').naturalWidth")
    assert decoded > 0
    first = page.get_attribute("#samples", "src")
    page.click("#new-batch")
    page.wait_for_function("(old) => document.getElementById('samples').src !== old", arg=first)
    assert page.input_value("#seed") == "1"
    page.wait_for_selector("#walk:not([disabled])")  # the interpolation slider, once its pictures are in
    page.fill("#walk", "8")  # the slider to the other end (this tiny VAE draws every step alike, so read the step)
    assert page.inner_text("#walk-status") == "step 8"
    assert page.evaluate("document.getElementById('walk-image').naturalWidth") > 0
    for shade, name in ((0, "dark.png"), (255, "light.png")):
        Image.new("L", (16, 16), shade).save(tmp_path / name)
    page.set_input_files("#walk-upload-0", str(tmp_path / "dark.png"))
    page.set_input_files("#walk-upload-1", str(tmp_path / "light.png"))
    page.wait_for_function("document.getElementById('walk-status').textContent.includes('resized')")
    assert page.locator("#steps").count() == 0 and page.locator("#temperature").count() == 1  # a VAE's own knobs
    page.wait_for_selector("#traversal[src^='data:image/png']")
    assert page.locator("canvas#curve").count() == 1 and page.locator("section.card table").count() >= 1
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    page.screenshot(path=str(screenshots / "studio-run.png"), full_page=True)

    page.click("text=all runs")
    page.wait_for_selector("table#runs tbody tr")
    assert page.is_disabled("#compare")
    page.check("input.choose[data-run='vae']")
    page.check("input.choose[data-run='vae-copy']")
    page.click("#compare")
    page.wait_for_selector("table#compared")
    header = page.locator("table#compared thead th").all_inner_texts()
    assert header[1:] == ["vae", "vae-copy"] and "bits/dim" in page.locator("table#compared").inner_text()

    Image.new("RGBA", (40, 32), (200, 80, 40, 128)).save(tmp_path / "photo.png")  # see-through: a note says so
    page.goto(studio_url + "#run=codec")
    page.wait_for_selector("#upload")
    page.set_input_files("#upload", str(tmp_path / "photo.png"))
    page.wait_for_selector("table#coded tbody tr >> nth=4")
    codecs = page.locator("table#coded tbody tr td:first-child").all_inner_texts()
    assert codecs == ["codec", "JPEG", "JPEG 2000", "WebP", "AVIF"]
    assert "transparency was dropped" in page.locator("#upload-status").inner_text()  # the upload's own notes
    page.wait_for_function("[...document.querySelectorAll('figure.coded img')].every(i => i.complete && i.naturalWidth)")
    page.fill("#zoom", "4")
    widths = page.evaluate("[...document.querySelectorAll('figure.coded img')].map(i => i.style.width)")
    assert set(widths) == {"400%"}  # every picture zoomed together
    page.screenshot(path=str(screenshots / "studio-compress.png"), full_page=True)
    assert not errors, errors
