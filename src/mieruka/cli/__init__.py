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
    from mieruka.cli.app import _WITHOUT_TEARDOWN

    _WITHOUT_TEARDOWN[0] = False  # only the command this call runs may ask for it (not one a test ran before)
    try:
        load_commands()()
    except SystemExit as exc:
        if not without_teardown():
            raise
        code = exc.code
        if code is not None and not isinstance(code, int):
            _say(code)
            code = 1
        _end(code or 0)


def _say(message) -> None:
    try:
        print(message, file=sys.stderr)
    except (AttributeError, OSError, ValueError):  # no stderr, or closed
        pass


def _end(code: int) -> None:
    """Close the databases (a SQLite file gets what its write-ahead log holds: a copy of the file alone is whole),
    flush what was printed, and end the process at once (end_without_teardown)."""
    from mieruka.storage import close_all

    try:
        close_all()
    except Exception as exc:  # noqa: BLE001 - the command's work is done: say what failed, end as it asked
        _say(f"mieruka: closing the database: {exc}")
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed stream or a reader gone (a pipe): nothing more can be said there
            pass
    os._exit(code)


__all__ = ["app", "load_commands", "main"]
