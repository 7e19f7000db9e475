"""Tensors in a run folder: safetensors files (tensors + a JSON string of metadata), written whole or not at
all and read without pickle. Model weights keep their EMA copy under "ema."; a family maps an older
checkpoint's tensor names to its current ones (GenerativeModel.upgrade_state_dict)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from genlab.errors import UserError
from genlab.files import atomic_write
from genlab.runs.folder import RunFolder

EMA_PREFIX = "ema."


def write_tensors(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    atomic_write(path, save(tensors, metadata={"genlab": json.dumps(meta)}))


def read_tensors(path: Path, device: torch.device | str = "cpu") -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path} is missing: is this a genlab run folder that finished at least one checkpoint?")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = json.loads((f.metadata() or {}).get("genlab", "{}"))
        return load_file(str(path), device=str(device)), meta
    except (SafetensorError, OSError, ValueError, json.JSONDecodeError):
        raise UserError(f"{path} is not a readable safetensors file: the run folder is damaged; retrain or restore it.") from None


def save_model(folder: RunFolder, model: torch.nn.Module, ema: dict[str, torch.Tensor] | None, meta: dict) -> None:
    tensors = dict(model.state_dict())
    if ema is not None:
        tensors.update({f"{EMA_PREFIX}{k}": v for k, v in ema.items()})
    write_tensors(folder.model, tensors, meta)


def load_model_weights(folder: RunFolder, model: torch.nn.Module, use_ema: bool = True) -> tuple[dict | None, dict]:
    """Load weights into `model` (EMA weights if present and asked for), older tensor names mapped by the
    family; return (the EMA weights or None, the checkpoint's metadata)."""
    tensors, meta = read_tensors(folder.model, device=next(model.parameters()).device)
    ema = model.upgrade_state_dict({k[len(EMA_PREFIX):]: v for k, v in tensors.items() if k.startswith(EMA_PREFIX)})
    plain = model.upgrade_state_dict({k: v for k, v in tensors.items() if not k.startswith(EMA_PREFIX)})
    try:
        model.load_state_dict(ema if (use_ema and ema) else plain)
    except RuntimeError:
        raise UserError(
            f"{folder.model} holds weights of a different model or configuration than {folder.config} describes: "
            "restore the matching files or retrain."
        ) from None
    return (ema or None), meta
