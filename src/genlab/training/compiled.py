"""`training.compile`: the training step's forward (and so its backward) through torch.compile, where a
compiler is at hand.

Opt-in, not the default, from one-off probes on a 2-core AVX2 machine (docs/speed.md): compiling took 1-2
minutes per family, after which the MNIST VAE's step was no clearly faster (326 ms against 280-437 ms eager)
and the flow's was slower (335 against 224-300 ms), so a run of a few minutes loses more to compiling than
it gains. On a GPU, or for a long CPU run of a family that gains (`genlab bench speed --compile`), turn it on.

Inductor's own random numbers differ from eager's; `fallback_random` keeps eager's, so a compiled run draws
the same noise and learns the same up to float rounding (fused kernels sum in another order).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable

import torch


def compiler_missing(device: torch.device) -> str | None:
    """Why torch.compile cannot build kernels for `device` here, or None when it can."""
    if device.type == "cuda":
        return None if importlib.util.find_spec("triton") else "the triton package (pip install triton)"
    candidates = [os.environ.get("CXX"), "g++", "c++", "clang++"]
    return None if any(c and shutil.which(c) for c in candidates) else "a C++ compiler (g++ or clang++)"


def compiled(module: torch.nn.Module, device: torch.device, note: Callable[[str], None]) -> Callable:
    """`module` compiled, or `module` itself with one note saying why not (never an error)."""
    missing = compiler_missing(device)
    if missing:
        note(f"note: training.compile needs {missing}, which this machine lacks: training runs uncompiled.")
        return module
    import torch._inductor.config as inductor

    inductor.fallback_random = True  # eager's random numbers: the same noise as an uncompiled run
    return torch.compile(module)
