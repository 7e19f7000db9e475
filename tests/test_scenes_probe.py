"""`genlab bench scenes --probe`: every recipe trains, its curve (validation FG-ARI at each evaluation, with the
minutes by then) and test scores are kept, the page lists each recipe beside the floor and draws the curves, and
a second call remakes the page from the records without training."""

from __future__ import annotations

import json

from genlab.benchmarks import scene_settings, scenes_probe
from genlab.benchmarks.scenes import scenes


def test_a_tiny_probe_writes_curves_and_scores_and_reuses_its_records(tmp_path, monkeypatch):
    monkeypatch.setattr(scene_settings, "SCENES", 4)
    monkeypatch.setattr(scenes_probe, "EVAL_EVERY", 1)
    monkeypatch.setattr(scene_settings, "ARCHITECTURE", {"kernel": 3, "decoder_layers": 1, "channels": 8})
    [page] = scenes(tmp_path, steps=2, datasets="tetrominoes", probe=True)
    text = page.read_text()
    for label, _ in scenes_probe.RECIPES.values():
        assert f"| {label} |" in text
    assert "k-means, colour + position (floor)" in text and (tmp_path / "scenes" / "probe-tetrominoes-35-2.png").exists()
    record = json.loads((tmp_path / "scenes" / "probe-tetrominoes-35-paper-2-0.json").read_text())["result"]
    assert [point[0] for point in record["curve"]] == [1, 2] and record["scores"]["scenes"] == 4
    assert all(0 <= point[1] < 5 and -1 <= point[2] <= 1 for point in record["curve"])

    for run in (tmp_path / "runs").iterdir():  # the page is remade from the records alone
        for item in run.iterdir():
            item.unlink() if item.is_file() else None
    again = scenes(tmp_path, steps=2, datasets="tetrominoes", probe=True)
    assert again[0].read_text() == text
