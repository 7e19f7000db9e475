"""The trainer: exact resume (with and without EMA), metrics without doubled steps, and the batch/shard
arithmetic that makes gradient accumulation in one process equal to data parallelism over several."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from genlab import api
from genlab.data import load_dataset
from genlab.errors import UserError
from genlab.models.registry import build_model
from genlab.runs import RunFolder
from genlab.runs.weights import read_tensors
from genlab.training.batches import GlobalBatches, shard_seed
from genlab.training.distributed import World
from genlab.training.trainer import Trainer, make_batch, seed_everything

# ---------------------------------------------------------------- exact resume


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory, tiny_config):
    """straight_run(**training) -> run folder of an uninterrupted run with those training settings (cached)."""
    cache: dict[str, Path] = {}

    def get(**training) -> Path:
        key = json.dumps(training, sort_keys=True)
        if key not in cache:
            out = tmp_path_factory.mktemp("straight") / "run"
            result = api.train(tiny_config(training=training), out, quiet=True)
            assert result.stopped == "done" and result.step == training["steps"]
            cache[key] = out
        return cache[key]

    return get


def _without_elapsed(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "elapsed"} for r in records]


def _assert_no_doubled_steps(records: list[dict]) -> None:
    keys = [(r["step"], r.get("split")) for r in records]
    assert len(keys) == len(set(keys)), keys
    for split in {k[1] for k in keys}:
        steps = [s for s, sp in keys if sp == split]
        assert steps == sorted(steps), (split, steps)


@pytest.mark.parametrize(
    "ema, stop",
    [(None, 10), (0.9, 10), (None, 7)],
    ids=["plain-at-checkpoint", "ema-at-checkpoint", "plain-between-evals"],
)
def test_resume_is_exact(tmp_path, tiny_config, straight_run, weights, same_tensors, metrics, ema, stop):
    training = {"steps": 2 * stop, "ema": ema}
    straight = straight_run(**training)

    out = tmp_path / "resumed"
    first = api.train(tiny_config(training=training), out, quiet=True, stop_at_step=stop)
    assert (first.step, first.stopped) == (stop, "paused")
    _, meta = read_tensors(RunFolder(out).state)
    assert meta["step"] == stop

    second = api.train(None, out, resume=True, quiet=True)
    assert (second.step, second.stopped) == (2 * stop, "done")

    # Same weights (and EMA weights) bit for bit, and the same optimizer state.
    final = weights(out)
    same_tensors(weights(straight), final)
    assert any(k.startswith("ema.") for k in final) == (ema is not None)
    same_tensors(weights(straight, RunFolder.STATE), weights(out, RunFolder.STATE))
    assert RunFolder(out).read_info().config == RunFolder(straight).read_info().config

    # metrics.jsonl: no step logged twice; everything the straight run logged, with the same values.
    resumed_records = metrics(out)
    _assert_no_doubled_steps(resumed_records)
    straight_records = _without_elapsed(metrics(straight))
    resumed_records = _without_elapsed(resumed_records)
    if stop % 10 == 0:  # paused on an evaluation step: nothing extra was logged
        assert resumed_records == straight_records
    else:  # the pause evaluates once more, at the pause step
        extra = [r for r in resumed_records if r not in straight_records]
        assert extra == [r for r in resumed_records if r["step"] == stop and r["split"] == "val"]
        assert [r for r in resumed_records if r not in extra] == straight_records


def test_resume_after_a_crash_drops_lines_logged_after_the_checkpoint(tmp_path, tiny_config, straight_run, weights,
                                                                      same_tensors, metrics):
    training = {"steps": 20, "log_every": 2}
    straight = straight_run(**training)
    out = tmp_path / "crashed"
    api.train(tiny_config(training=training), out, quiet=True, stop_at_step=10)
    # A process killed after step 12 had logged steps 11 and 12 past the step-10 checkpoint.
    log = out / "metrics.jsonl"
    template = metrics(out)[0]
    with log.open("a") as f:
        for step in (11, 12):
            f.write(json.dumps(template | {"step": step, "loss": 123.0}) + "\n")
    api.train(None, out, resume=True, quiet=True)
    records = metrics(out)
    _assert_no_doubled_steps(records)
    assert all(r.get("loss") != 123.0 for r in records)
    assert _without_elapsed(records) == _without_elapsed(metrics(straight))
    same_tensors(weights(straight), weights(out))


def test_resume_with_a_larger_budget_continues(tmp_path, tiny_config, weights, same_tensors):
    out = tmp_path / "run"
    api.train(tiny_config(training={"steps": 6, "eval_every": 3}), out, quiet=True)
    done = weights(out)
    again = api.train(None, out, resume=True, quiet=True)  # already finished: nothing more to do
    assert (again.step, again.stopped) == (6, "done")
    same_tensors(done, weights(out))
    longer = api.train(None, out, resume=True, budget={"steps": 9}, quiet=True)
    assert (longer.step, longer.stopped) == (9, "done")
    assert RunFolder(out).read_info().config.training.steps == 9
    assert not all(torch.equal(done[k], v) for k, v in weights(out).items())


def test_resume_takes_the_runs_own_config_and_refuses_another(tmp_path, tiny_config, fingerprint):
    """resume=True with the run's own config (a new budget aside) continues it; any other config is a UserError
    that leaves the run untouched, never a run silently trained on something else."""
    out = tmp_path / "run"
    api.train(tiny_config(training={"steps": 2, "eval_every": 2}), out, quiet=True)
    before = fingerprint(out)
    for other in (tiny_config(training={"steps": 2, "eval_every": 2, "lr": 0.01}),
                  tiny_config(training={"steps": 2, "eval_every": 2}, model={"latent_dim": 6}),
                  tiny_config(training={"steps": 2, "eval_every": 2}, **{"": {"seed": 1}})):
        with pytest.raises(UserError, match="differs"):
            api.train(other, out, resume=True, quiet=True)
        assert fingerprint(out) == before
    own = api.train(tiny_config(training={"steps": 3, "eval_every": 2}), out, resume=True, quiet=True)
    assert (own.step, own.stopped) == (3, "done")
    assert RunFolder(out).read_info().config.training.steps == 3


def test_training_into_an_existing_run_is_refused(tmp_path, tiny_config, fingerprint):
    out = tmp_path / "run"
    api.train(tiny_config(training={"steps": 2, "eval_every": 2}), out, quiet=True)
    before = fingerprint(out)
    with pytest.raises(UserError, match="already holds a run"):
        api.train(tiny_config(training={"steps": 2}), out, quiet=True)
    assert fingerprint(out) == before


# ---------------------------------------------------------------- batches and shards


@pytest.mark.parametrize("batch_size", [16, 32])
def test_global_batch_is_the_same_for_any_number_of_shards(batch_size):
    n, seed = 100, 3
    reference = GlobalBatches(n, batch_size, 1, seed)
    for shards in (2, 4, 8):
        cut = GlobalBatches(n, batch_size, shards, seed)
        assert cut.steps_per_epoch == reference.steps_per_epoch
        for step in range(3 * reference.steps_per_epoch + 1):  # crosses epoch boundaries
            parts = [cut.shard(step, s) for s in range(shards)]
            assert all(len(p) == batch_size // shards for p in parts)
            assert torch.equal(torch.cat(parts), reference.shard(step, 0)), (shards, step)


def test_an_epoch_visits_distinct_examples_and_epochs_differ():
    batches = GlobalBatches(100, 16, 2, seed=0)
    epoch = [torch.cat([batches.shard(step, s) for s in range(2)]) for step in range(batches.steps_per_epoch)]
    seen = torch.cat(epoch)
    assert len(set(seen.tolist())) == len(seen) == 96
    nxt = torch.cat([batches.shard(batches.steps_per_epoch, s) for s in range(2)])
    assert not torch.equal(nxt, epoch[0])


def test_batches_by_length_hold_like_lengths_and_still_visit_every_example_once():
    lengths = np.random.default_rng(0).lognormal(0, 1, 200)  # a long tail, as recorded prompts
    plain, by_length = GlobalBatches(200, 8, 1, seed=1), GlobalBatches(200, 8, 2, seed=1, lengths=lengths)
    epoch = [torch.cat([by_length.shard(step, s) for s in range(2)]) for step in range(by_length.steps_per_epoch)]
    assert sorted(torch.cat(epoch).tolist()) == list(range(200))  # 200 = 25 whole batches: each example once

    def padded(batches):  # what a batch costs: its size times its longest example
        return sum(8 * lengths[b.numpy()].max() for b in batches)

    assert padded(epoch) < 0.6 * padded([plain.shard(step, 0) for step in range(plain.steps_per_epoch)])
    again = GlobalBatches(200, 8, 1, seed=1, lengths=lengths)
    assert all(torch.equal(again.shard(step, 0), epoch[step]) for step in range(25))  # a function of (seed, step)
    assert not torch.equal(by_length.shard(25, 0), by_length.shard(0, 0))  # the next epoch differs


def test_shard_seeds_are_distinct():
    seeds = {shard_seed(seed, step, shard) for seed in range(3) for step in range(50) for shard in range(8)}
    assert len(seeds) == 3 * 50 * 8


@pytest.mark.parametrize("batch_size, shards", [(30, 4), (32, 3)])
def test_batch_that_does_not_split_into_shards_is_a_user_error(batch_size, shards):
    with pytest.raises(UserError, match="equal shards"):
        GlobalBatches(100, batch_size, shards, 0)


def test_batch_larger_than_the_data_is_a_user_error():
    with pytest.raises(UserError, match="larger than"):
        GlobalBatches(20, 32, 1, 0)


def test_accumulated_gradient_is_the_mean_of_the_per_process_gradients(tmp_path, tiny_config):
    """One process with accumulate=2 computes exactly the gradient DDP averages over 2 processes x 1 shard."""
    cfg = tiny_config(training={"steps": 1, "batch_size": 32, "accumulate": 2, "grad_clip": 1e9, "warmup_steps": 0})
    data = load_dataset("digits")
    seed_everything(cfg.seed)
    model = build_model("vae", data.spec, cfg.model.options)
    ddp_like = copy.deepcopy(model)

    trainer = Trainer(cfg, data, model, tmp_path, World(), torch.device("cpu"), quiet=True)
    captured: dict[str, torch.Tensor] = {}
    real_step = trainer.optimizer.step

    def spy(*args, **kwargs):
        captured.update({n: p.grad.detach().clone() for n, p in model.named_parameters()})
        return real_step(*args, **kwargs)

    trainer.optimizer.step = spy
    trainer.train_step()
    assert captured

    # What rank r of 2 computes with accumulate=1 at step 0: shard r of the same global batch, its own noise.
    batches = GlobalBatches(len(data.train), 32, 2, cfg.seed)
    per_rank = []
    ddp_like.train()
    for rank in range(2):
        ddp_like.zero_grad(set_to_none=True)
        torch.manual_seed(shard_seed(cfg.seed, 0, rank))
        ddp_like(make_batch(data.train, batches.shard(0, rank), torch.device("cpu")))["loss"].backward()
        per_rank.append({n: p.grad.detach().clone() for n, p in ddp_like.named_parameters()})
    for name, grad in captured.items():
        mean = (per_rank[0][name] + per_rank[1][name]) / 2
        assert torch.allclose(grad, mean, atol=1e-7, rtol=1e-5), name


def test_accumulated_runs_are_reproducible(tmp_path, tiny_config, weights, same_tensors):
    cfg = tiny_config(training={"steps": 3, "eval_every": 3, "accumulate": 2})
    api.train(cfg, tmp_path / "a", quiet=True)
    api.train(cfg, tmp_path / "b", quiet=True)
    same_tensors(weights(tmp_path / "a"), weights(tmp_path / "b"))


# ---------------------------------------------------------------- run folders


def test_run_trained_on_a_relative_npy_path_evaluates_from_another_directory(tmp_path, tiny_config, levels_npy,
                                                                             monkeypatch):
    monkeypatch.chdir(levels_npy.parent)
    cfg = tiny_config(data={"source": levels_npy.name}, training={"steps": 2, "batch_size": 16, "eval_every": 2})
    api.train(cfg, tmp_path / "run", quiet=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = api.evaluate(api.load_run(tmp_path / "run"), iwae_k=1, write=False)
    assert result.header.examples == 4
    api.train(None, tmp_path / "run", resume=True, budget={"steps": 3}, quiet=True)
    assert RunFolder(tmp_path / "run").read_info().config.data.source == str(levels_npy.resolve())


def test_a_watched_run_shows_its_share_of_the_machines_peak_and_the_same_weights(tmp_path, tiny_config, weights,
                                                                                   same_tensors, capsys, monkeypatch):
    """Counting the first step's FLOPs (and measuring the peak once, cached) changes nothing that is learnt."""
    from genlab.training.peak import peak_gflops

    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    api.train(tiny_config(training={"steps": 3, "log_every": 1}), tmp_path / "watched", quiet=False)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("step ")]
    assert len(lines) == 3 and all("GFLOP/s" in line and "of peak" in line and line.endswith("%") for line in lines)
    api.train(tiny_config(training={"steps": 3, "log_every": 1}), tmp_path / "quiet", quiet=True)
    assert "GFLOP/s" not in capsys.readouterr().err  # a quiet run counts nothing
    same_tensors(weights(tmp_path / "watched"), weights(tmp_path / "quiet"))
    cached = list((tmp_path / "cache" / "peak").glob("*.json"))
    assert len(cached) == 1 and peak_gflops() == pytest.approx(json.loads(cached[0].read_text()))


def test_a_compiled_run_learns_what_an_eager_one_does(tmp_path, tiny_config, weights):
    """training.compile: the same noise (inductor's fallback_random) and the same weights up to float rounding."""
    from genlab.training.compiled import compiler_missing

    if compiler_missing(torch.device("cpu")):
        pytest.skip("no C++ compiler: torch.compile cannot build CPU kernels here")
    eager = api.train(tiny_config(training={"steps": 3}), tmp_path / "eager", quiet=True)
    built = api.train(tiny_config(training={"steps": 3, "compile": True}), tmp_path / "compiled", quiet=True)
    assert built.last_eval["val_bpd"] == pytest.approx(eager.last_eval["val_bpd"], rel=1e-4)
    a, b = weights(tmp_path / "eager"), weights(tmp_path / "compiled")
    assert all(torch.allclose(a[k], b[k], rtol=1e-4, atol=1e-5) for k in a)


def test_without_a_compiler_training_runs_uncompiled_with_one_note(tmp_path, tiny_config, weights, same_tensors,
                                                                   monkeypatch, capsys):
    from genlab.training import compiled

    monkeypatch.setattr(compiled.shutil, "which", lambda name: None)
    monkeypatch.delenv("CXX", raising=False)
    api.train(tiny_config(training={"steps": 3, "compile": True}), tmp_path / "asked", quiet=True)
    notes = [line for line in capsys.readouterr().out.splitlines() if "training.compile" in line]
    assert notes == ["note: training.compile needs a C++ compiler (g++ or clang++), which this machine lacks: "
                     "training runs uncompiled."]
    api.train(tiny_config(training={"steps": 3}), tmp_path / "plain", quiet=True)
    same_tensors(weights(tmp_path / "asked"), weights(tmp_path / "plain"))


def test_every_validator_applies_to_some_family_by_its_capabilities():
    """The trainer's validation comes from genlab/validation by capability: a validator no family reaches is
    dead, and a family none measures logs nothing but its step."""
    from genlab.models.registry import MODELS, model_class
    from genlab.validation.registry import validators

    families = [model_class(name) for name in MODELS]  # capabilities are class attributes
    chosen = {v.name: [f.name for f in families if v.applies(f)] for v in validators()}
    assert all(chosen.values()), chosen
    assert all(any(v.applies(f) for v in validators()) for f in families)
    assert "tts" in chosen["loss"] and "vae" in chosen["likelihood"] and "srgan" in chosen["upscale"]
