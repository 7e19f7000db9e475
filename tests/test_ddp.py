"""Data parallelism: 2 processes x 1 shard under torchrun == 1 process x 2 accumulated shards.

The global batch is cut into (processes x accumulate) shards and each shard's noise is seeded by
(seed, step, shard), so the two runs differ only in the order floats are summed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from genlab import api
from genlab.config import load_config

TORCHRUN = Path(sys.executable).parent / "torchrun"
STEPS, BATCH = 6, 32


@pytest.mark.skipif(not TORCHRUN.exists(), reason=f"torchrun not found next to {sys.executable}")
def test_two_processes_equal_one_process_accumulating_two(tmp_path, genlab_at, weights, same_tensors, metrics):
    ddp_out = tmp_path / "ddp"
    result = genlab_at(
        ["--standalone", "--nproc_per_node=2", "-m", "genlab", "train", "--data", "digits", "--model", "vae",
         "--out", ddp_out, "--steps", STEPS, "--batch-size", BATCH,
         "--set", "model.channels=8", "--set", "model.latent_dim=4", "--quiet"],
        tmp_path,
        module=[str(TORCHRUN)],
        timeout=300,
    )
    assert result.returncode == 0, str(result)
    assert "Traceback" not in result.stderr, str(result)

    # The single-process half, with the same settings the CLI flags above resolve to.
    single_out = tmp_path / "single"
    def config(**training):
        return load_config(None, {
            "data": {"source": "digits"},
            "model": {"name": "vae", "channels": 8, "latent_dim": 4},
            "training": {"steps": STEPS, "batch_size": BATCH, **training},
        })

    api.train(config(accumulate=2), single_out, quiet=True)

    same_tensors(weights(ddp_out), weights(single_out), atol=1e-5)

    # Without accumulation one process sees the same examples but other noise: the test can tell them apart.
    plain_out = tmp_path / "plain"
    api.train(config(), plain_out, quiet=True)
    plain, ddp = weights(plain_out), weights(ddp_out)
    assert max(float((plain[k] - ddp[k]).abs().max()) for k in ddp) > 1e-4

    # Rank 0 alone writes: one line per logged step, one checkpoint, one sample grid per evaluation.
    records = metrics(ddp_out)
    keys = [(r["step"], r["split"]) for r in records]
    assert keys == [(1, "train"), (STEPS, "val")]
    assert [(r["step"], r["split"]) for r in metrics(single_out)] == keys
    assert [p.name for p in (ddp_out / "samples").iterdir()] == [f"step_{STEPS:07d}.png"]
    info = json.loads((ddp_out / "config.json").read_text())
    assert info["world_size"] == 2
    assert info["config"]["training"]["accumulate"] == 1
    # The logged training loss is the mean over both processes, as the single process computes it.
    assert records[0]["loss"] == pytest.approx(metrics(single_out)[0]["loss"], rel=1e-5)
    # The CLI reports once, from rank 0.
    assert result.stdout.count("done at step") == 1, str(result)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not TORCHRUN.exists(), reason=f"torchrun not found next to {sys.executable}")
def test_two_nodes_by_c10d_rendezvous_equal_one_process_accumulating_two(tmp_path, weights, same_tensors):
    """Two launchers, as two machines would start them (`--nnodes=2`, a c10d rendezvous on one endpoint), write
    one shared run folder from rank 0 and learn the same weights as one process accumulating two shards."""
    import os
    import subprocess

    port, out = _free_port(), tmp_path / "two-nodes"
    command = [str(TORCHRUN), "--nnodes=2", "--nproc_per_node=1", "--rdzv_backend=c10d",
               f"--rdzv_endpoint=127.0.0.1:{port}", "--rdzv_id=genlab-test", "-m", "genlab", "train",
               "--data", "digits", "--model", "vae", "--out", str(out), "--steps", str(STEPS),
               "--batch-size", str(BATCH), "--set", "model.channels=8", "--set", "model.latent_dim=4", "--quiet"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    nodes = [subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [node.communicate(timeout=300) for node in nodes]
    for node, (stdout, stderr) in zip(nodes, outputs):
        assert node.returncode == 0, stdout + stderr
        assert "Traceback" not in stderr, stderr
    assert sum(stdout.count("done at step") for stdout, _ in outputs) == 1  # rank 0 alone reports
    assert json.loads((out / "config.json").read_text())["world_size"] == 2

    single = tmp_path / "single"
    api.train(load_config(None, {"data": {"source": "digits"}, "model": {"name": "vae", "channels": 8, "latent_dim": 4},
                                 "training": {"steps": STEPS, "batch_size": BATCH, "accumulate": 2}}), single, quiet=True)
    same_tensors(weights(out), weights(single), atol=1e-5)


@pytest.mark.skipif(not TORCHRUN.exists(), reason=f"torchrun not found next to {sys.executable}")
def test_srgan_two_processes_equal_one_process_accumulating_two(tmp_path, genlab_at, weights, same_tensors):
    """Two players and random crops per shard: the adversarial super-resolution family under DDP too."""
    options = {"channels": 8, "blocks": 1, "crop": 32, "d_channels": 4}
    flags = [arg for key, value in options.items() for arg in ("--set", f"model.{key}={value}")]
    result = genlab_at(["--standalone", "--nproc_per_node=2", "-m", "genlab", "train", "--data", "photos",
                        "--model", "srgan", "--out", tmp_path / "ddp", "--steps", 3, "--batch-size", 4, *flags,
                        "--quiet"], tmp_path, module=[str(TORCHRUN)], timeout=300)
    assert result.returncode == 0, str(result)
    config = load_config(None, {"data": {"source": "photos"}, "model": {"name": "srgan", **options},
                                "training": {"steps": 3, "batch_size": 4, "accumulate": 2}})
    api.train(config, tmp_path / "single", quiet=True)
    same_tensors(weights(tmp_path / "ddp"), weights(tmp_path / "single"), atol=1e-5)
