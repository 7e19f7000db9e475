"""How good a run is: a registry of evaluators (registry.py), each applying to the runs it can measure and
declaring its options; `evaluate(run)` (running.py) runs those that apply. The pure mathematics lives in
genlab/metrics/.

The package's names load on first use, so the registry (and the command line's flags made from it) is read
without torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {"Evaluation": "running", "evaluate": "running", "read_evaluation": "running", "typed": "running",
          "Options": "options"}
__all__ = list(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'genlab.evaluation' has no attribute {name!r}")
    return getattr(importlib.import_module(f"genlab.evaluation.{_HOMES[name]}"), name)
