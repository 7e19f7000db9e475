"""The machine a benchmark ran on, in the words its page prints beside the minutes each run took."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name as the kernel reports it (platform.processor() where /proc/cpuinfo is missing)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def describe() -> str:
    """"<CPU model> (N cores), torch X, T torch thread(s)": what the minutes on a page were measured on."""
    import torch

    threads = torch.get_num_threads()
    return (f"{cpu_model()} ({os.cpu_count()} cores), torch {torch.__version__}, {threads} torch "
            f"thread{'s' if threads != 1 else ''}")
