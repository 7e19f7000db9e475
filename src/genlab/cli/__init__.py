"""The `genlab` command line: parses, calls genlab's API, prints. No logic of its own; one module per command
group, all on the one app in app.py. Heavy imports (torch) happen inside commands so `genlab --help` and
argument errors stay fast."""

from __future__ import annotations

import sys

from genlab.cli import (bench, compress, data, decompose, demo, design, evaluate, inpaint, sample,  # noqa: F401
                        speak, studio, train, traverse, upscale)  # (they register commands)
from genlab.cli.app import app
from genlab.errors import UserError

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
