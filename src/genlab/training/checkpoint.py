"""The trainer's resumable state in a run folder: optimizer moments, scalars, step and RNG state, as
safetensors (genlab/runs/weights.py), so resuming needs no pickle."""

from __future__ import annotations

from typing import Any

import torch

from genlab.errors import UserError
from genlab.runs.folder import RunFolder
from genlab.runs.weights import read_tensors, write_tensors

# --- optimizer, step and RNG state ----------------------------------------------------------
def save_state(folder: RunFolder, optimizer: torch.optim.Optimizer, trainer_meta: dict) -> None:
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
    write_tensors(folder.state, tensors, meta)


def load_state(folder: RunFolder, optimizer: torch.optim.Optimizer) -> dict:
    """Restore optimizer and RNG state; return the trainer metadata (step, elapsed time, ...)."""
    path = folder.state
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
