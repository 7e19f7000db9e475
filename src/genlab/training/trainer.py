"""The training loop every family goes through: one process or many (DDP), resumable exactly.

Determinism: the examples of each step and the model's own noise are pure functions of (seed, step,
shard), so a run is the same whether it is interrupted and resumed or split over several processes.
"""

from __future__ import annotations

import contextlib
import copy
import math
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from genlab.config import DEFAULT_STEPS, RunConfig, TrainingConfig
from genlab.data.spec import Dataset
from genlab.errors import UserError
from genlab.models.base import GenerativeModel
from genlab.models.batched import make_batch
from genlab.runs import RunFolder
from genlab.runs.weights import load_model_weights, save_model
from genlab.training import checkpoint
from genlab.training.compiled import compiled
from genlab.training.batches import GlobalBatches, shard_seed
from genlab.training.distributed import World
from genlab.training.metrics import MetricsLog
from genlab.training.peak import counted, peak_gflops
from genlab.training.progress import TrainingProgress
from genlab.validation import Context, describe, validate

class TrainingDiverged(UserError):
    """The loss or the gradient became NaN/inf; the last good checkpoint is left untouched."""


@dataclass
class TrainResult:
    step: int
    elapsed: float
    stopped: str  # "done", "time budget", "interrupted", "paused"
    last_eval: dict
    is_main: bool = True  # False on the other torchrun processes, which print nothing
    family: type | None = None  # the model's class, whose own validators describe their figures too

    @property
    def validation(self) -> list[str]:
        """The last evaluation's figures in words, one line per validator that measured something."""
        return describe(self.last_eval, self.family)


def learning_rate(cfg: TrainingConfig, step: int, progress: float) -> float:
    """Linear warm-up, then constant or cosine decay over `progress` in [0, 1]."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    if cfg.schedule == "constant":
        return cfg.lr
    return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def total_steps(cfg: TrainingConfig, steps_per_epoch: int) -> int | None:
    """The step budget; None when only a time budget bounds the run."""
    if cfg.steps:
        return cfg.steps
    if cfg.epochs:
        return cfg.epochs * steps_per_epoch
    return None if cfg.minutes else DEFAULT_STEPS


class _StopFlag:
    """Ctrl-C asks for a clean stop at the end of the current step instead of killing mid-update."""

    def __init__(self):
        self.raised = False
        self._previous = None

    def __enter__(self):
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread
            self._previous = None
        return self

    def _handle(self, *_):
        self.raised = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


class Trainer:
    def __init__(self, config: RunConfig, data: Dataset, model: GenerativeModel, run_dir: Path, world: World,
                 device: torch.device, *, quiet: bool = False):
        self.cfg, self.tcfg = config, config.training
        # Denormal floats (below float32's normal range; they appear as losses and gradients approach zero)
        # make CPU arithmetic several times slower: an M2 run on digits fell from 16 to 3 steps/s. Treat them
        # as zero, as GPUs do.
        torch.set_flush_denormal(True)
        self.data, self.model, self.world, self.device = data, model, world, device
        self.folder = RunFolder(run_dir)
        self.quiet = quiet
        groups = model.optimizer_groups()
        for group in groups:
            group["lr_scale"] = group.get("lr_scale", 1.0)
        opt_cls = torch.optim.AdamW if self.tcfg.optimizer == "adamw" else torch.optim.Adam
        self.optimizer = opt_cls(groups, lr=self.tcfg.lr, weight_decay=self.tcfg.weight_decay)
        self.ema = {k: v.detach().clone() for k, v in model.state_dict().items()} if self.tcfg.ema else None
        self.batches = GlobalBatches(len(data.train), self.tcfg.batch_size, world.size * self.tcfg.accumulate, config.seed,
                                     model.example_lengths(data.train))
        self.total = total_steps(self.tcfg, self.batches.steps_per_epoch)
        self.step, self.elapsed = 0, 0.0
        self.metrics = MetricsLog(self.folder.metrics, enabled=world.is_main)
        self.ddp = DistributedDataParallel(model) if world.size > 1 else model
        self.forward = compiled(self.ddp, device, self._note) if self.tcfg.compile else self.ddp
        self.last_eval: dict = {}

    def _note(self, text: str) -> None:
        if self.world.is_main:
            print(text)

    # --- state ----------------------------------------------------------------------------------
    def resume(self) -> None:
        ema, _ = load_model_weights(self.folder, self.model, use_ema=False)
        if self.ema is not None and ema is not None:
            self.ema = {k: v.to(self.device) for k, v in ema.items()}
        meta = checkpoint.load_state(self.folder, self.optimizer)
        self.step, self.elapsed = int(meta["step"]), float(meta["elapsed"])
        self.metrics.truncate_after(self.step)

    def save(self) -> None:
        if self.world.is_main:
            meta = {"step": self.step, "elapsed": self.elapsed, "model": self.model.name}
            checkpoint.save_state(self.folder, self.optimizer, meta)
            save_model(self.folder, self.model, self.ema, meta)
        self.world.barrier()

    # --- one optimisation step ------------------------------------------------------------------
    def _autocast(self):
        if self.tcfg.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def train_step(self) -> dict:
        progress = self.step / self.total if self.total else self.elapsed / (60 * self.tcfg.minutes)
        lr = learning_rate(self.tcfg, self.step, progress)
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group["lr_scale"]
        self.model.train()
        parts: dict[str, float] = {}
        for a in range(self.tcfg.accumulate):
            shard = self.world.rank * self.tcfg.accumulate + a
            batch = make_batch(self.data.train, self.batches.shard(self.step, shard), self.device)
            torch.manual_seed(shard_seed(self.cfg.seed, self.step, shard))
            last = a == self.tcfg.accumulate - 1
            sync = contextlib.nullcontext() if (last or self.world.size == 1) else self.ddp.no_sync()
            with sync:
                with self._autocast():
                    out = self.forward(batch)
                (out["loss"] / self.tcfg.accumulate).backward()
            for k, v in out.items():
                parts[k] = parts.get(k, 0.0) + float(v.detach() if torch.is_tensor(v) else v) / self.tcfg.accumulate
        names = sorted(parts)
        # On the training device: NCCL reduces only CUDA tensors.
        reduced = self.world.mean(torch.tensor([parts[k] for k in names], dtype=torch.float64, device=self.device))
        parts = dict(zip(names, reduced.tolist()))
        params = [p for p in self.model.parameters() if p.grad is not None]
        grad_norm = float(torch.nn.utils.clip_grad_norm_(params, self.tcfg.grad_clip or float("inf")))
        if not (math.isfinite(parts["loss"]) and math.isfinite(grad_norm)):
            self._diverged(parts["loss"], grad_norm)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.ema is not None:
            # Warm-up: early on the average forgets its random start quickly (decay -> the configured value).
            decay = min(self.tcfg.ema, (1 + self.step) / (10 + self.step))
            with torch.no_grad():
                for k, v in self.model.state_dict().items():
                    if v.dtype.is_floating_point:
                        self.ema[k].lerp_(v, 1.0 - decay)
                    else:
                        self.ema[k].copy_(v)
        self.step += 1
        return parts | {"lr": lr, "grad_norm": grad_norm}

    def step_gflops(self) -> float:
        """The GFLOPs of one training step's forward and backward pass (training/peak.py), counted on a copy of
        the model and under a forked random state: counting dispatches every op through Python, which may sum
        floats in another order, and the run must learn the same whether someone watches it or not."""
        model = copy.deepcopy(self.model).train()
        batch = make_batch(self.data.train, self.batches.shard(self.step, 0), self.device)
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            def step():
                with self._autocast():
                    out = model(batch)
                out["loss"].backward()
            _, gflop = counted(step)
        return gflop * self.tcfg.accumulate

    def _diverged(self, loss: float, grad_norm: float) -> None:
        kept = self.folder.has_weights()
        where = f"the last good checkpoint in {self.folder.path} is kept" if kept else "no checkpoint had been written yet"
        raise TrainingDiverged(
            f"Training diverged at step {self.step + 1} (loss {loss}, gradient norm {grad_norm}); {where}: "
            "lower training.lr or set training.grad_clip, then retrain or --resume."
        )

    # --- evaluation -----------------------------------------------------------------------------
    def eval_model(self) -> GenerativeModel:
        """The weights to evaluate and sample: the EMA copy when EMA is on."""
        if self.ema is None:
            return self.model
        shadow = copy.deepcopy(self.model)
        shadow.load_state_dict(self.ema)
        return shadow

    def evaluate(self) -> dict:
        """The validators' figures for the weights to evaluate (genlab/validation), logged as one "val" record;
        their previews go to samples/."""
        record: dict = {"step": self.step, "split": "val"}
        if self.world.is_main:
            context = Context(self.data.spec, self.cfg.seed, self.folder.preview(self.step), self.tcfg.batch_size,
                              self.device)
            record.update(validate(self.eval_model().eval(), self.data.val, context))
            self.metrics.append(record)
            self.last_eval = record
        self.model.train()
        return record


    # --- the loop -------------------------------------------------------------------------------
    def _should_stop(self, flag: _StopFlag, stop_at_step: int | None) -> str | None:
        reasons = []
        if self.total is not None and self.step >= self.total:
            reasons.append("done")
        if self.tcfg.minutes and self.elapsed >= 60 * self.tcfg.minutes:
            reasons.append("time budget")
        if flag.raised:
            reasons.append("interrupted")
        if stop_at_step is not None and self.step >= stop_at_step:
            reasons.append("paused")
        # Every process must stop at the same step: agree on whether anyone wants to.
        vote = torch.tensor([1.0 if reasons else 0.0], dtype=torch.float64, device=self.device)
        wanted = self.world.mean(vote).item() > 0
        return (reasons[0] if reasons else "interrupted") if wanted else None

    def run(self, stop_at_step: int | None = None) -> TrainResult:
        progress = TrainingProgress(self.total, self.step, quiet=self.quiet, enabled=self.world.is_main,
                                    elapsed=self.elapsed)
        # Someone watching sees the share of the machine's peak (nanoGPT's habit): the peak measured once per
        # machine and cached, the first step's FLOPs counted. Quiet runs (benchmarks, tests) skip both.
        if not self.quiet and self.world.is_main:
            progress.arithmetic(self.step_gflops(), peak_gflops(self.device))
        stopped = None
        try:
            with _StopFlag() as flag:
                while (stopped := self._should_stop(flag, stop_at_step)) is None:
                    started = time.perf_counter()
                    parts = self.train_step()
                    self.elapsed += time.perf_counter() - started  # the budget counts training, not evaluation
                    if self.step % self.tcfg.log_every == 0 or self.step == 1:
                        self.metrics.append({"step": self.step, "split": "train", "elapsed": round(self.elapsed, 3)} | parts)
                        progress.update(self.step, parts, self.elapsed)
                    if self.step % self.tcfg.eval_every == 0:
                        self.evaluate()
                        self.save()
            if not self.last_eval or self.last_eval.get("step") != self.step:
                self.evaluate()
            self.save()
        finally:
            progress.close()
        if stopped == "interrupted":
            progress.note(f"Stopped at step {self.step}; continue with: genlab train --out {self.folder.path} --resume")
        return TrainResult(self.step, self.elapsed, stopped or "done", self.last_eval, self.world.is_main,
                           type(self.model))


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
