"""What share of the machine's arithmetic a training step uses: nanoGPT's habit of showing model FLOPs
utilisation on every log line, measured against this machine instead of a datasheet.

The peak is the fastest fp32 kernel torch runs on the training device at its thread count: a matmul of two
2048 x 2048 matrices or a 3 x 3 convolution of 256 channels, whichever is faster. Both are needed: on AMD
CPUs torch's matmul (MKL) takes its AVX2 path, while its convolutions (oneDNN) use AVX-512, twice as fast on
a Zen 5 core (one-off here: 105 against 197 GFLOP/s on one thread). Measured once per (CPU model and vector
units, device, threads, torch version) and cached. A step's
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
from genlab.machine import cpu_name

PEAK_SIZE = 2048


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _fastest(run: Callable[[], Any], device: torch.device, repeats: int) -> float:
    """The shortest of `repeats` timed calls of `run` after one warm-up call, in seconds."""
    run()
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        started = time.perf_counter()
        run()
        _sync(device)
        best = min(best, time.perf_counter() - started)
    return best


def conv_channels(size: int) -> int:
    """The peak convolution's channels for a peak size: size / 8 (256 at 2048), at least 8."""
    return max(size // 8, 8)


def kernels_in_words(size: int = PEAK_SIZE) -> str:
    """What measure_kernels times, as a benchmark page says it."""
    return (f"a {size} x {size} matmul and a 3 x 3 convolution of {conv_channels(size)} channels over 16 images "
            "of 32 x 32")


def measure_kernels(device: torch.device | str = "cpu", size: int = PEAK_SIZE, repeats: int = 5) -> dict[str, float]:
    """GFLOP/s of two fp32 kernels on `device`, each its fastest of `repeats` calls: "matmul", of two
    size x size matrices, and "conv3x3", a 3 x 3 convolution of size / 8 channels over 16 images of 32 x 32."""
    device = torch.device(device)
    noise = torch.Generator(device).manual_seed(0)  # the caller's random state stays as it was
    a, b = (torch.randn(size, size, device=device, generator=noise) for _ in range(2))
    channels = conv_channels(size)
    images = torch.randn(16, channels, 32, 32, device=device, generator=noise)  # (B, C, H, W)
    kernel = torch.randn(channels, channels, 3, 3, device=device, generator=noise)  # (C_out, C_in, 3, 3)
    flops = {"matmul": 2 * size**3, "conv3x3": 2 * 16 * 32 * 32 * channels**2 * 9}
    seconds = {"matmul": _fastest(lambda: torch.mm(a, b), device, repeats),
               "conv3x3": _fastest(lambda: torch.nn.functional.conv2d(images, kernel, padding=1), device, repeats)}
    return {name: flops[name] / seconds[name] / 1e9 for name in flops}


def measure_peak(device: torch.device | str = "cpu", size: int = PEAK_SIZE, repeats: int = 5) -> float:
    """The faster of measure_kernels' two kernels, in GFLOP/s."""
    return max(measure_kernels(device, size, repeats).values())


def peak_gflops(device: torch.device | str = "cpu") -> float:
    """measure_peak on `device` at the current thread count, measured once and cached."""
    device = torch.device(device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name()
    key = {"device": name, "threads": torch.get_num_threads(), "torch": torch.__version__, "size": PEAK_SIZE,
           "kernels": "matmul, conv3x3"}
    return float(cached_json("peak", [], key, lambda: measure_peak(device)))


def counted(step: Callable[[], Any]) -> tuple[Any, float]:
    """step()'s result and the GFLOPs it did (matmuls and convolutions, forward and backward)."""
    with FlopCounterMode(display=False) as counter:
        result = step()
    return result, counter.get_total_flops() / 1e9
