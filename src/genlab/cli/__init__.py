"""The `genlab` command line: parses, calls genlab's API, prints. No logic of its own; one module per command
group, all on the one app in app.py, each imported here by finding it (a new command is its module only). Heavy imports (torch) happen inside commands so `genlab --help` and
argument errors stay fast."""

from __future__ import annotations

import importlib
import pkgutil
import sys

from genlab.cli.app import app
from genlab.errors import UserError

SHARED = {"app", "declared"}  # what the commands share; every other module here registers commands on `app`
for _module in pkgutil.iter_modules(__path__):
    if _module.name not in SHARED:
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
