"""`genlab bench compression`'s lossy part, shrunk: two codec runs of two steps, one photo, so the plumbing
(train when missing, reuse when present, real files, table, curves, pictures) is checked in seconds. The
figures themselves live in benchmarks/results."""

from __future__ import annotations

import pytest

from genlab.benchmarks import compression as bench_compression


def test_value_at_the_target_is_interpolated_between_the_settings_around_it():
    at = bench_compression._at_target
    assert at([(0.3, 30.0), (0.1, 20.0)]) == pytest.approx(25.0)  # unsorted input
    assert at([(0.1, 20.0), (0.2, 24.0), (0.4, 30.0)]) == 24.0
    assert at([(0.25, 20.0), (0.4, 30.0)]) is None  # the settings do not reach down to 0.2
    assert at([(0.05, 20.0), (0.15, 30.0)]) is None


def test_lossy_bench_trains_codes_and_reports(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_compression, "EVALUATION_PHOTOS", ("rocket",))
    monkeypatch.setattr(bench_compression, "CODEC_LAMBDAS", (0.005, 0.05))
    # small fp32 batches: bf16 on a CPU without bf16 units is emulated, 15 s a step of batch 8 here
    monkeypatch.setattr(bench_compression, "CODEC_TRAINING", bench_compression.CODEC_TRAINING | {
        "batch_size": 2, "precision": "fp32"})
    # three settings per classical codec around the 0.2 bits/dim of the table (the full ladders cost a minute)
    monkeypatch.setattr(bench_compression, "SWEEPS", {"JPEG": [5, 20, 60], "JPEG 2000": [8 / 0.1, 8 / 0.2, 8 / 0.5],
                                                      "WebP": [10, 50, 90], "AVIF": [20, 50, 80]})

    def bench():
        return bench_compression.compression_bench(tmp_path, datasets=[], codec_steps=2, refine=2,
                                                   lossless=False)

    (path,) = bench()
    text = path.read_text()
    assert path.name == "compression-lossy.md" and "--refine 2" in text
    assert "one run per lambda (0.005, 0.05), trained 2 steps at batch 2 (fp32 transforms)" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [row.split(" | ")[0] for row in rows] == ["| genlab codec", "| JPEG", "| JPEG 2000", "| WebP", "| AVIF"]
    for name in ("compression-rd.png", "compression-rocket.png"):
        assert (tmp_path / name).stat().st_size > 10_000
    weights = [tmp_path / "runs" / "codec-photos" / f"lambda-{lam}" / "model.safetensors" for lam in (0.005, 0.05)]
    before = [w.stat().st_mtime_ns for w in weights]
    bench()
    assert [w.stat().st_mtime_ns for w in weights] == before  # finished runs are reused, not retrained
