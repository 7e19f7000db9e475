"""Take the README's studio screenshots from real runs: `python docs/screenshots.py RUNS_DIR docs/pictures`.

Opens `genlab studio RUNS_DIR` in Debian's Chromium (Playwright) and saves studio-runs.png (the runs list) and,
for the first run of each kind found, its page: studio-<family>.png, with live samples drawn and, for a run
that splits scenes, an example scene uploaded. Needs the studio extra, Playwright and Chromium (make test
installs them)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

SHOWN = ("vae", "diffusion", "charrnn", "slots", "video")  # families with a page worth showing, in order


def main(root: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    from genlab.apps.studio import catalog
    from genlab.apps.studio.server import serving

    out.mkdir(parents=True, exist_ok=True)
    runs = {}
    for name in catalog.run_names(root):
        row = catalog.summary(root, name)
        runs.setdefault(row.get("family"), name)
    with serving(root) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--disable-gpu"])
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(url)
        page.wait_for_selector("table#runs tbody tr")
        page.screenshot(path=str(out / "studio-runs.png"))
        for family in SHOWN:
            if family not in runs:
                continue
            page.goto("about:blank")  # a fresh page, so nothing of the last run's is waited for
            page.goto(url + f"#run={runs[family]}")
            page.wait_for_selector("h1")
            if page.locator("#samples").count():
                page.wait_for_selector("#samples[src^='data:']", timeout=120_000)
            if page.locator("#walk").count():
                page.wait_for_selector("#walk:not([disabled])", timeout=120_000)
            if page.locator("#upload").count() and family == "slots":
                test = _scene(root / runs[family])
                page.set_input_files("#upload", str(test))
                page.wait_for_selector("#overview", timeout=120_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(out / f"studio-{family}.png"), full_page=False)
        browser.close()


def _scene(run: Path) -> Path:
    """One test scene of a slots run, as a PNG beside the screenshots' temporary files."""
    from genlab import api

    opened = api.load_run(run)
    scene = opened.dataset().test.x[0]  # (C, H, W) levels
    path = Path("/tmp/genlab-screenshot-scene.png")
    Image.fromarray(np.ascontiguousarray(scene.transpose(1, 2, 0)).astype(np.uint8)).save(path)
    return path


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]))
