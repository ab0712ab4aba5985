"""The `mieruka` command: thin Typer commands over the library, one module per area.
Each area module adds its commands to the shared `app` when imported; `load_commands` imports them all."""
from __future__ import annotations

import os
import sys
from importlib import import_module

from mieruka.cli.app import app, without_teardown

AREAS = ("core", "ingest", "evaluate", "web", "municipalities", "export", "accounts", "cycle", "corrections", "report",
         "evidence", "publish", "plans")


def load_commands():
    """The application with every area's commands registered."""
    for area in AREAS:
        import_module(f"mieruka.cli.{area}")
    return app


def main() -> None:
    try:
        load_commands()()
    except SystemExit as exc:
        if not without_teardown():
            raise
        code = exc.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code or 0)


__all__ = ["app", "load_commands", "main"]
