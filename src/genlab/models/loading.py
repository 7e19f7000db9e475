"""A trained run folder opened for use: its config, dataset spec and model, on the device asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from genlab.config import RunConfig
from genlab.data import load_data
from genlab.data.spec import Dataset, DatasetSpec
from genlab.errors import UserError
from genlab.models.base import GenerativeModel
from genlab.models.registry import build_model, saved_options
from genlab.runs import RunFolder, RunInfo
from genlab.runs.weights import load_model_weights


@dataclass
class Run:
    """An opened run: the folder, its info (config.json), the model (EMA weights if any) and its step."""

    folder: RunFolder
    info: RunInfo
    model: GenerativeModel
    step: int
    _dataset: Dataset | None = field(default=None, repr=False, compare=False)

    @property
    def path(self) -> Path:
        return self.folder.path

    @property
    def config(self) -> RunConfig:
        return self.info.config

    @property
    def spec(self) -> DatasetSpec:
        return self.model.spec

    @property
    def device(self) -> torch.device:
        return self.model.device

    def dataset(self) -> Dataset:
        """The run's dataset with the splits it was trained and is evaluated on, read once per opened run
        (evaluation, the report and interpolation all ask for it)."""
        if self._dataset is None:
            self._dataset = load_data(self.config.data, self.config.seed)
        return self._dataset


def resolve_device(name: str | torch.device, rank: int = 0) -> torch.device:
    """"cpu", "cuda" (the process's GPU under torchrun) or "cuda:N"; an absent GPU is a UserError."""
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"Device '{name}' is not a device name: use cpu, cuda or cuda:N.") from None
    if device.type not in ("cpu", "cuda"):
        raise UserError(f"Device '{name}' is not supported: use cpu, cuda or cuda:N.")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"Device '{name}' was asked for but no CUDA device is visible: use --device cpu.")
        if device.index is None:
            device = torch.device("cuda", rank % torch.cuda.device_count())
        elif device.index >= torch.cuda.device_count():
            raise UserError(f"Device '{name}' does not exist: this machine has {torch.cuda.device_count()} CUDA "
                            "device(s), cuda:0 onwards.")
    return device


def load_run(path: Path | str, device: str | torch.device = "cpu", use_ema: bool = True) -> Run:
    """Open the run folder at `path` with its model on `device` (evaluation mode)."""
    device = resolve_device(device)
    folder = RunFolder(path)
    info = folder.read_info()
    name = info.config.model.name
    model = build_model(name, info.spec, saved_options(name, info.config.model.options)).to(device)
    _, meta = load_model_weights(folder, model, use_ema=use_ema)
    model.eval()
    return Run(folder, info, model, int(meta.get("step", 0)))


def load_named_run(setting: str, path: Path | str, hint: str, device: str | torch.device = "cpu") -> Run:
    """The run another setting names (model.features=RUN, model.generator=RUN, --vocoder RUN, ...), opened on
    `device`, or a one-line UserError "SETTING=PATH holds no run: HINT." when there is none."""
    if not RunFolder(path).holds_run():
        raise UserError(f"{setting}={path} holds no run: {hint}.")
    return load_run(path, device)
