"""Run-folder files: weights and optimizer state round-trip exactly, writes are atomic, mistakes are UserErrors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from genlab.data.spec import DatasetSpec
from genlab import files
from genlab.errors import UserError
from genlab.models.registry import build_model
from genlab.runs import RunFolder, weights
from genlab.training import checkpoint

SPEC = DatasetSpec("tiny", (1, 8, 8), 17)


def tiny_vae(seed: int = 0, **options):
    torch.manual_seed(seed)
    return build_model("vae", SPEC, {"channels": 8, "latent_dim": 4} | options)


def trained_optimizer(model: torch.nn.Module, steps: int = 3) -> torch.optim.Optimizer:
    """An AdamW that has taken a few steps, so it holds exp_avg / exp_avg_sq / step for every parameter."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    gen = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x = torch.randint(0, 17, (8, 1, 8, 8), generator=gen)
        model.loss({"x": x})["loss"].backward()
        opt.step()
        opt.zero_grad()
    return opt


def _jsonable(obj):
    """Tuples and lists compare equal after a JSON round trip (betas is a tuple in torch, a list in JSON)."""
    return json.loads(json.dumps(obj))


# ---------------------------------------------------------------- model weights


def test_model_weights_round_trip(tmp_path: Path):
    model = tiny_vae(seed=0)
    meta = {"step": 7, "elapsed": 1.5, "model": "vae"}
    weights.save_model(RunFolder(tmp_path), model, None, meta)
    other = tiny_vae(seed=1)
    assert not all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other.state_dict().values()))
    ema, loaded_meta = weights.load_model_weights(RunFolder(tmp_path), other)
    assert ema is None
    assert loaded_meta == meta
    for (ka, a), (kb, b) in zip(model.state_dict().items(), other.state_dict().items()):
        assert ka == kb
        assert torch.equal(a, b), ka


def test_model_weights_with_ema_load_ema_or_plain(tmp_path: Path):
    model = tiny_vae(seed=0)
    ema = {k: v.detach().clone() + 0.5 for k, v in model.state_dict().items()}
    weights.save_model(RunFolder(tmp_path), model, ema, {"step": 1})

    target = tiny_vae(seed=2)
    loaded_ema, _ = weights.load_model_weights(RunFolder(tmp_path), target, use_ema=True)
    assert sorted(loaded_ema) == sorted(ema)
    for k, v in target.state_dict().items():
        assert torch.equal(v, ema[k]), k
        assert torch.equal(loaded_ema[k], ema[k]), k

    target = tiny_vae(seed=2)
    weights.load_model_weights(RunFolder(tmp_path), target, use_ema=False)
    for k, v in target.state_dict().items():
        assert torch.equal(v, model.state_dict()[k]), k


def test_model_file_is_plain_safetensors_without_pickle(tmp_path: Path):
    from safetensors import safe_open

    model = tiny_vae()
    weights.save_model(RunFolder(tmp_path), model, None, {"step": 3})
    raw = (RunFolder(tmp_path).model).read_bytes()
    assert b"\x80\x04\x95" not in raw[:64]  # not a pickle header
    with safe_open(str(RunFolder(tmp_path).model), framework="pt") as f:
        assert json.loads(f.metadata()["genlab"]) == {"step": 3}
        assert sorted(f.keys()) == sorted(model.state_dict())


@pytest.mark.parametrize("other_options", [{"channels": 16}, {"latent_dim": 6}, {"blocks": 2}])
def test_loading_weights_of_a_different_config_is_a_user_error(tmp_path: Path, other_options):
    weights.save_model(RunFolder(tmp_path), tiny_vae(), None, {"step": 1})
    with pytest.raises(UserError, match="different model"):
        weights.load_model_weights(RunFolder(tmp_path), tiny_vae(**other_options))


def test_loading_weights_for_another_level_count_is_a_user_error(tmp_path: Path):
    weights.save_model(RunFolder(tmp_path), tiny_vae(), None, {"step": 1})
    torch.manual_seed(0)
    other = build_model("vae", DatasetSpec("tiny", (1, 8, 8), 2), {"channels": 8, "latent_dim": 4})
    with pytest.raises(UserError):
        weights.load_model_weights(RunFolder(tmp_path), other)


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage bytes that are not safetensors" * 10, b"\xff" * 8 + b"{}", "truncated"],
    ids=["empty", "garbage", "bad-header", "truncated"],
)
def test_damaged_model_file_is_a_user_error(tmp_path: Path, content):
    weights.save_model(RunFolder(tmp_path), tiny_vae(), None, {"step": 1})
    path = RunFolder(tmp_path).model
    if content == "truncated":
        data = path.read_bytes()
        content = data[: len(data) // 2]
    path.write_bytes(content)
    with pytest.raises(UserError, match="not a readable safetensors"):
        weights.load_model_weights(RunFolder(tmp_path), tiny_vae())


def test_missing_model_file_is_a_user_error(tmp_path: Path):
    with pytest.raises(UserError, match="missing"):
        weights.load_model_weights(RunFolder(tmp_path), tiny_vae())


def test_json_helpers(tmp_path: Path):
    files.write_json(tmp_path / "a.json", {"x": [1, 2], "y": None})
    assert files.read_json(tmp_path / "a.json") == {"x": [1, 2], "y": None}
    (tmp_path / "b.json").write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        files.read_json(tmp_path / "b.json")
    with pytest.raises(UserError, match="missing"):
        files.read_json(tmp_path / "c.json")


# ---------------------------------------------------------------- optimizer, step and RNG state


def test_optimizer_state_round_trip_is_identical(tmp_path: Path):
    model = tiny_vae(seed=0)
    opt = trained_optimizer(model)
    checkpoint.save_state(RunFolder(tmp_path), opt, {"step": 3, "elapsed": 2.5, "model": "vae"})

    clone = tiny_vae(seed=5)
    clone.load_state_dict(model.state_dict())
    opt2 = torch.optim.AdamW(clone.parameters(), lr=0.5, weight_decay=0.0)  # different hyper-parameters on purpose
    meta = checkpoint.load_state(RunFolder(tmp_path), opt2)
    assert meta == {"step": 3, "elapsed": 2.5, "model": "vae"}

    a, b = opt.state_dict(), opt2.state_dict()
    assert _jsonable(a["param_groups"]) == _jsonable(b["param_groups"])
    assert sorted(a["state"]) == sorted(b["state"])
    for idx in a["state"]:
        assert sorted(a["state"][idx]) == sorted(b["state"][idx])
        for name, value in a["state"][idx].items():
            other = b["state"][idx][name]
            if torch.is_tensor(value):
                assert torch.is_tensor(other) and other.dtype == value.dtype and torch.equal(value, other), (idx, name)
            else:
                assert value == other, (idx, name)

    # The restored optimizer takes exactly the same next step.
    x = torch.randint(0, 17, (8, 1, 8, 8), generator=torch.Generator().manual_seed(9))
    for m, o in ((model, opt), (clone, opt2)):
        torch.manual_seed(3)
        m.loss({"x": x})["loss"].backward()
        o.step()
    for (k, p), q in zip(model.state_dict().items(), clone.state_dict().values()):
        assert torch.equal(p, q), k


def test_rng_state_is_restored(tmp_path: Path):
    model = tiny_vae()
    opt = trained_optimizer(model, steps=1)
    torch.manual_seed(1234)
    torch.rand(5)
    checkpoint.save_state(RunFolder(tmp_path), opt, {"step": 1, "elapsed": 0.0})
    expected = torch.rand(10)
    torch.manual_seed(999)  # something else moves the generator
    torch.rand(3)
    checkpoint.load_state(RunFolder(tmp_path), torch.optim.AdamW(tiny_vae().parameters()))
    assert torch.equal(torch.rand(10), expected)


def test_state_of_a_model_with_other_parameters_is_a_user_error(tmp_path: Path):
    model = tiny_vae()
    checkpoint.save_state(RunFolder(tmp_path), trained_optimizer(model, steps=1), {"step": 1, "elapsed": 0.0})
    other = torch.nn.Linear(3, 2)
    with pytest.raises(UserError, match="does not match"):
        checkpoint.load_state(RunFolder(tmp_path), torch.optim.AdamW(other.parameters()))


def test_state_of_a_model_with_other_widths_is_a_user_error(tmp_path: Path):
    checkpoint.save_state(RunFolder(tmp_path), trained_optimizer(tiny_vae(channels=16), steps=1), {"step": 1, "elapsed": 0.0})
    model = tiny_vae(channels=8)  # the same parameter list, other shapes
    with pytest.raises(UserError):
        opt = torch.optim.AdamW(model.parameters())
        checkpoint.load_state(RunFolder(tmp_path), opt)
        model.loss({"x": torch.zeros(2, 1, 8, 8, dtype=torch.long)})["loss"].backward()
        opt.step()


def test_state_file_that_is_not_a_state_is_a_user_error(tmp_path: Path):
    model = tiny_vae()
    weights.save_model(RunFolder(tmp_path), model, None, {"step": 1})
    os.replace(RunFolder(tmp_path).model, RunFolder(tmp_path).state)
    with pytest.raises(UserError):
        checkpoint.load_state(RunFolder(tmp_path), torch.optim.AdamW(model.parameters()))


def test_damaged_state_file_is_a_user_error(tmp_path: Path):
    (RunFolder(tmp_path).state).write_bytes(b"\x00" * 100)
    with pytest.raises(UserError):
        checkpoint.load_state(RunFolder(tmp_path), torch.optim.AdamW(tiny_vae().parameters()))


# ---------------------------------------------------------------- atomic writes


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path):
    target = tmp_path / "sub" / "file.bin"
    files.atomic_write(target, b"first")
    files.atomic_write(target, b"second version")
    assert target.read_bytes() == b"second version"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]


@pytest.mark.parametrize("fail_at", ["replace", "fsync", "write"])
def test_failed_atomic_write_keeps_old_file_and_no_temp(tmp_path: Path, monkeypatch, fail_at):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old contents")

    def boom(*args, **kwargs):
        raise OSError(f"simulated failure in {fail_at}")

    if fail_at == "replace":
        monkeypatch.setattr(os, "replace", boom)
    elif fail_at == "fsync":
        monkeypatch.setattr(os, "fsync", boom)
    else:  # half the bytes reach the temporary file, then the disk fills up
        real_fdopen = os.fdopen

        class HalfWritten:
            def __init__(self, f):
                self.f = f

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, data):
                self.f.write(data[: len(data) // 2])
                raise OSError("simulated failure in write")

        monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: HalfWritten(real_fdopen(fd, *a, **k)))

    with pytest.raises(OSError, match="simulated"):
        files.atomic_write(target, b"new contents that never land")
    monkeypatch.undo()
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]


def test_failed_save_model_keeps_previous_checkpoint(tmp_path: Path, monkeypatch):
    first = tiny_vae(seed=0)
    weights.save_model(RunFolder(tmp_path), first, None, {"step": 1})
    before = (RunFolder(tmp_path).model).read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        weights.save_model(RunFolder(tmp_path), tiny_vae(seed=1), None, {"step": 2})
    monkeypatch.undo()
    assert (RunFolder(tmp_path).model).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [RunFolder.MODEL]
    _, meta = weights.load_model_weights(RunFolder(tmp_path), tiny_vae(seed=3))
    assert meta == {"step": 1}
