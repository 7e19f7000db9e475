"""What share of the machine's arithmetic a training step uses: nanoGPT's habit of showing model FLOPs
utilisation on every log line, measured against this machine instead of a datasheet.

The peak is the fastest fp32 matmul of two 2048 x 2048 matrices on the training device at its thread count,
the fastest thing it does; measured once per (CPU model, device, threads, torch version) and cached. A step's
FLOPs are the matmuls and convolutions of its forward and backward pass, as FlopCounterMode counts them
(elementwise work costs time but counts none, so the share is a floor on how busy the arithmetic units are).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from genlab.files import cached_json
from genlab.machine import cpu_model

PEAK_SIZE = 2048


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure_peak(device: torch.device | str = "cpu", size: int = PEAK_SIZE, repeats: int = 5) -> float:
    """The fastest of `repeats` fp32 matmuls of two size x size matrices on `device`, in GFLOP/s."""
    device = torch.device(device)
    noise = torch.Generator(device).manual_seed(0)  # the caller's random state stays as it was
    a, b = (torch.randn(size, size, device=device, generator=noise) for _ in range(2))
    torch.mm(a, b)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        started = time.perf_counter()
        torch.mm(a, b)
        _sync(device)
        best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best / 1e9


def peak_gflops(device: torch.device | str = "cpu") -> float:
    """measure_peak on `device` at the current thread count, measured once and cached."""
    device = torch.device(device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_model()
    key = {"device": name, "threads": torch.get_num_threads(), "torch": torch.__version__, "size": PEAK_SIZE}
    return float(cached_json("peak", [], key, lambda: measure_peak(device)))


def counted(step: Callable[[], Any]) -> tuple[Any, float]:
    """step()'s result and the GFLOPs it did (matmuls and convolutions, forward and backward)."""
    with FlopCounterMode(display=False) as counter:
        result = step()
    return result, counter.get_total_flops() / 1e9
