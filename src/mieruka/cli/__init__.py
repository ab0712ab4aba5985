"""The `mieruka` command: thin Typer commands over the library, one module per area.
Each area module adds its commands to the shared `app` when imported."""
from __future__ import annotations

from mieruka.cli.app import app


def main() -> None:
    from mieruka.cli import core  # noqa: F401  (registers commands)
    for area in ("ingest", "evaluate", "web", "municipalities", "export"):
        try:
            __import__(f"mieruka.cli.{area}")
        except ModuleNotFoundError as exc:
            if exc.name != f"mieruka.cli.{area}":
                raise
    app()


__all__ = ["app", "main"]
