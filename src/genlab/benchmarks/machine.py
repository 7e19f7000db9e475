"""The machine a benchmark ran on, in the words its page prints beside the minutes each run took."""

from __future__ import annotations

import os

from genlab.machine import cpu_model, vector_units


def describe() -> str:
    """"<CPU model> (N cores, its vector units), torch X, T torch thread(s)": what the minutes on a page were
    measured on."""
    import torch

    threads = torch.get_num_threads()
    parts = ", ".join([f"{os.cpu_count()} cores", *vector_units()])
    return (f"{cpu_model()} ({parts}), torch {torch.__version__}, {threads} torch "
            f"thread{'s' if threads != 1 else ''}")


def command(text: str) -> str:
    """The command as a page prints it, with the torch thread count it ran at: the same figures need the same
    count (a float sum splits differently over more threads)."""
    import torch

    return f"OMP_NUM_THREADS={torch.get_num_threads()} {text}"
