"""`genlab bench speed` at tiny sizes: a tiny vae's training step and one inference path timed at one thread,
FLOPs counted, the share of the (small) matmul peak computed, a case that cannot run named with its reason,
and the same figures in speed.md and speed.json. Timings themselves live in benchmarks/results/speed.md."""

from __future__ import annotations

import json

import pytest

from genlab.benchmarks import speed
from genlab.errors import UserError

TINY = {"channels": 8, "latent_dim": 4}


def test_the_speed_bench_writes_its_table_and_json(tmp_path, monkeypatch):
    monkeypatch.setattr(speed, "training_cases", lambda: [
        speed.Case("tiny vae", "vae", "digits", TINY, {"batch_size": 8}),
        speed.Case("missing data", "vae", str(tmp_path / "none.npz"), TINY, {})])

    def sampled(work, seed):
        from genlab.models.loading import load_run
        from genlab.sampling import sample

        sample(load_run(speed._one_step_run(work, "vae", "digits", TINY)), 4, seed=seed)
        return 12.5
    monkeypatch.setattr(speed, "INFERENCE", [speed.Timed("tiny sampling", "ms / image", sampled)])
    page, record = speed.speed_bench(tmp_path / "out", threads=[1], steps=2, warmup=1, progress=lambda _: None,
                                       peak_size=256)
    found = json.loads(record.read_text())
    tiny = found["training"]["tiny vae"]["1"]
    assert tiny["batch"] == 8 and tiny["ms_per_step"] > 0 and tiny["gflop_per_step"] > 0
    assert tiny["share_of_peak"] == pytest.approx(tiny["gflops"] / found["peak_gflops"]["1"])
    assert "none.npz" in found["training"]["missing data"]["1"]["not measured"]
    assert found["inference"]["tiny sampling"]["1"]["value"] == 12.5
    text = page.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| tiny vae"))
    assert row.split(" | ")[2:4] == ["8", f"{tiny['gflop_per_step']:.2f}"]
    assert f"{100 * tiny['share_of_peak']:.0f}%" in row
    assert "| missing data | " in text and "not measured" in text and "Not measured here:" in text
    assert "| tiny sampling | ms / image | 12.5 |" in text


@pytest.mark.parametrize("kwargs, option", [({"threads": [0]}, "--threads"), ({"threads": [1], "steps": 0}, "--steps"),
                                            ({"threads": [1], "families": ["nope"]}, "--families")])
def test_the_speed_bench_checks_its_arguments_first(tmp_path, kwargs, option):
    with pytest.raises(UserError, match=option):
        speed.speed_bench(tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()
