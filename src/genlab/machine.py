"""The machine genlab runs on, in words: what a benchmark page and the training log's share of peak name."""

from __future__ import annotations

import platform
from pathlib import Path

# The vector units that set a CPU's fp32 and bf16 speed: two machines sold under one model name ("AMD EPYC")
# can differ in them, and so in their peak.
VECTOR_UNITS = ("avx2", "avx512f", "avx512_bf16", "amx_tile")


def _cpuinfo(field: str) -> str | None:
    """The first value of `field` in /proc/cpuinfo, or None where the file or the field is missing."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.split(":", 1)[0].strip() == field:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    """The CPU's model name as the kernel reports it (platform.processor() where /proc/cpuinfo is missing)."""
    return _cpuinfo("model name") or platform.processor() or platform.machine() or "unknown CPU"


def vector_units() -> list[str]:
    """Which of VECTOR_UNITS the CPU reports (empty where /proc/cpuinfo is missing)."""
    flags = set((_cpuinfo("flags") or "").split())
    return [unit for unit in VECTOR_UNITS if unit in flags]


def cpu_name() -> str:
    """The model name with its vector units, e.g. 'AMD EPYC (avx2, avx512f, avx512_bf16)'."""
    units = vector_units()
    return f"{cpu_model()} ({', '.join(units)})" if units else cpu_model()
