"""The one way a registry turns its "module:name" entries into objects: the module is imported only then, so a
registry can be listed (and a command's --help made) without importing what its entries need (torch)."""

from __future__ import annotations

import importlib
from typing import Any


def resolve(target: str) -> Any:
    """The object `target` names, "package.module:name" (or the module itself, "package.module"), its module
    imported now."""
    module, _, name = target.partition(":")
    found = importlib.import_module(module)
    return getattr(found, name) if name else found
