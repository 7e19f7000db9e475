"""`genlab bench scenes`, and with --probe: every recipe trains, its curve (validation FG-ARI at each evaluation,
with the minutes by then) and test scores are kept, the page lists each recipe beside the floor and draws the
curves, and a second call remakes the page from the records without training."""

from __future__ import annotations

import json

from genlab.benchmarks import scene_settings, scenes_probe
from genlab.benchmarks.scenes import scenes


def test_a_tiny_probe_writes_curves_and_scores_and_reuses_its_records(tmp_path, monkeypatch):
    monkeypatch.setattr(scene_settings, "SCENES", 4)
    monkeypatch.setattr(scene_settings, "EVAL_EVERY", 1)
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


def test_the_benchmark_trains_the_chosen_recipe_over_seeds_beside_the_paper_and_remakes_its_page(tmp_path, monkeypatch):
    """Every seed of the chosen recipe and an earlier recipe beside it at seed 0 are kept with their curves;
    the page has a row each (with the same-colour scenes' FG-ARI), the floor, curves and the overview, and
    scenes.json the same figures; a second call remakes both from the records alone."""
    monkeypatch.setattr(scene_settings, "SCENES", 6)
    monkeypatch.setattr(scene_settings, "EVAL_EVERY", 1)
    monkeypatch.setattr(scene_settings, "ARCHITECTURE", {"kernel": 3, "decoder_layers": 1, "channels": 8})
    monkeypatch.setitem(scene_settings.DATASETS, "tetrominoes",
                        scene_settings.DATASETS["tetrominoes"] | {"beside": (("paper", 1),)})
    page = scenes(tmp_path, seeds=2, steps=2, datasets="tetrominoes")
    text = page.read_text()
    assert "| tetrominoes (35x35): BO-QSA: learnt starting slots, implicit gradient, 2 steps (seeds 0, 1) |" in text
    assert "| tetrominoes (35x35): the paper's masks, 1 steps (seed 0) |" in text
    assert "k-means, colour + position (floor)" in text
    for picture in ("curves-tetrominoes-35-2.png", "probe-tetrominoes-35-bo-qsa-2-0.png"):
        assert (tmp_path / "scenes" / picture).exists() and f"(scenes/{picture})" in text
    rows = json.loads((tmp_path / "scenes.json").read_text())["rows"]
    chosen = next(row for row in rows if row["recipe"] == "bo-qsa")
    assert chosen["seeds"] == 2 and len(chosen["fg_ari_per_seed"]) == 2 and chosen["steps"] == 2
    record = json.loads((tmp_path / "scenes" / "probe-tetrominoes-35-bo-qsa-2-1.json").read_text())["result"]
    assert len(record["curve"]) == 2
    same = record["scores"]["same_colour"]  # 6 test scenes: some hold two pieces of one colour
    assert same["scenes"] > 0 and -1 <= same["model"] <= 1 and chosen["same_colour_fg_ari"] is not None
    floor_row = next(line for line in text.splitlines() if "k-means, colour + position (floor)" in line)
    assert f"| {100 * same['kmeans']:.1f} |" in floor_row

    for run in (tmp_path / "runs").iterdir():  # the page is remade from the records alone
        for item in run.iterdir():
            item.unlink() if item.is_file() else None
    assert scenes(tmp_path, seeds=2, steps=2, datasets="tetrominoes").read_text() == text
