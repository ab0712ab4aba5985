"""The `mieruka` command: thin Typer commands over the library, one module per area.
Each area module adds its commands to the shared `app` when imported; `load_commands` imports them all."""
from __future__ import annotations

from importlib import import_module

from mieruka.cli.app import app

AREAS = ("core", "ingest", "evaluate", "web", "municipalities", "export", "accounts", "cycle", "corrections", "report",
         "evidence", "publish", "plans")


def load_commands():
    """The application with every area's commands registered."""
    for area in AREAS:
        import_module(f"mieruka.cli.{area}")
    return app


def main() -> None:
    load_commands()()


__all__ = ["app", "load_commands", "main"]
