"""The one way a registry turns its "module:name" entries into objects: the module is imported only then, so a
registry can be listed (and a command's --help made) without importing what its entries need (torch)."""

from __future__ import annotations

import importlib
from typing import Any


def resolve(target: str) -> Any:
    """The object `target` names, "package.module:name", its module imported now."""
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)
