"""Run-folder files written whole or not at all, and read without pickle.

Weights and optimizer state go to safetensors (tensors + a JSON string of metadata); everything else is
JSON. Each file is written to a temporary name, fsynced, then renamed over the old one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from genlab.errors import UserError
from genlab.files import atomic_write, read_json, write_json  # noqa: F401  (re-exported for run-folder code)

MODEL_FILE, STATE_FILE, CONFIG_FILE = "model.safetensors", "state.safetensors", "config.json"


def write_tensors(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    atomic_write(path, save(tensors, metadata={"genlab": json.dumps(meta)}))


def read_tensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path} is missing: is this a genlab run folder that finished at least one checkpoint?")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads((f.metadata() or {}).get("genlab", "{}"))
        return load_file(str(path)), meta
    except (SafetensorError, OSError, ValueError, json.JSONDecodeError):
        raise UserError(f"{path} is not a readable safetensors file: the run folder is damaged; retrain or restore it.") from None


# --- model weights (+ EMA) -------------------------------------------------------------------
def save_model(run_dir: Path, model: torch.nn.Module, ema: dict[str, torch.Tensor] | None, meta: dict) -> None:
    tensors = dict(model.state_dict())
    if ema is not None:
        tensors.update({f"ema.{k}": v for k, v in ema.items()})
    write_tensors(Path(run_dir) / MODEL_FILE, tensors, meta)


def load_model_weights(run_dir: Path, model: torch.nn.Module, use_ema: bool = True) -> tuple[dict | None, dict]:
    """Load weights into `model` (EMA weights if present and asked for); return (ema dict or None, meta)."""
    path = Path(run_dir) / MODEL_FILE
    tensors, meta = read_tensors(path)
    ema = {k[4:]: v for k, v in tensors.items() if k.startswith("ema.")}
    plain = {k: v for k, v in tensors.items() if not k.startswith("ema.")}
    try:
        model.load_state_dict(ema if (use_ema and ema) else plain)
    except RuntimeError:
        raise UserError(
            f"{path} holds weights of a different model or configuration than {run_dir}/config.json describes: "
            "restore the matching files or retrain."
        ) from None
    return (ema or None), meta


# --- optimizer, step and RNG state ----------------------------------------------------------
def save_state(run_dir: Path, optimizer: torch.optim.Optimizer, trainer_meta: dict) -> None:
    sd = optimizer.state_dict()
    tensors, scalars = {}, {}
    for idx, entry in sd["state"].items():
        for name, value in entry.items():
            if torch.is_tensor(value):
                tensors[f"opt.{idx}.{name}"] = value
            else:
                scalars[f"{idx}.{name}"] = value
    tensors["rng.torch"] = torch.get_rng_state()
    meta = dict(trainer_meta, param_groups=sd["param_groups"], scalars=scalars)
    write_tensors(Path(run_dir) / STATE_FILE, tensors, meta)


def load_state(run_dir: Path, optimizer: torch.optim.Optimizer) -> dict:
    """Restore optimizer and RNG state; return the trainer metadata (step, elapsed time, ...)."""
    path = Path(run_dir) / STATE_FILE
    tensors, meta = read_tensors(path)
    if not {"step", "scalars", "param_groups"} <= meta.keys() or "rng.torch" not in tensors:
        raise UserError(f"{path} is not a genlab training state: restore the run's own file or retrain.")
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("opt."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value
    for key, value in meta.pop("scalars").items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    params = [p for group in optimizer.param_groups for p in group["params"]]
    shapes_match = all(
        idx < len(params) and all(v.shape == params[idx].shape for k, v in entry.items() if torch.is_tensor(v) and v.dim() > 0)
        for idx, entry in state.items()
    )
    try:
        if not shapes_match:
            raise ValueError
        optimizer.load_state_dict({"state": state, "param_groups": meta.pop("param_groups")})
    except (ValueError, KeyError):
        raise UserError(f"{path} does not match this model's parameters: restore the run's own file or retrain.") from None
    torch.set_rng_state(tensors["rng.torch"])
    return meta
