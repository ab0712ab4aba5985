"""The shared Typer application and the options every command uses (--db, --format)."""
from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from mieruka.export.formats import Format
from mieruka.jp import visible


def _shown_usage_error(exc: Exception) -> Exception:
    """A usage error (unknown command or option, bad value) quotes what was typed: its control characters are shown
    as pictures, never sent to the terminal (an argument may hold ESC or BEL)."""
    message = getattr(exc, "message", None)
    if hasattr(exc, "format_message") and isinstance(message, str):  # click's errors, whichever click typer uses
        exc.message = visible(message)
    return exc


class _Commands(TyperGroup):
    """Every command: a database that cannot be used as it stands (missing folder, not a database, locked, server not
    answering, partial or unknown schema) is explained in a line or two, not shown as a traceback, and a usage
    error shows the control characters of what was typed, never obeys them."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except Exception as exc:
            raise _shown_usage_error(exc)

    def invoke(self, ctx):
        from mieruka.storage import plain_error

        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = plain_error(exc)
            if message is None:
                raise _shown_usage_error(exc)
            fail(message)


_WITHOUT_TEARDOWN = [False]


def end_without_teardown() -> None:
    """Once the command ends, main() ends the process without the interpreter's teardown: a command that leaves a
    large heap (publish at 10,000 KPIs: the pages' keys, links and kept values, millions of objects) spent 0.45 s
    freeing it object by object, which the system does at once. Its output is flushed and the databases closed
    first (mieruka.cli.main)."""
    _WITHOUT_TEARDOWN[0] = True


def without_teardown() -> bool:
    return _WITHOUT_TEARDOWN[0]


app = typer.Typer(
    cls=_Commands,
    name="mieruka",
    help="見える化: reform-progress documents into one database, rated, audited and shown.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _Messages(Console):
    """stderr for messages: a string is printed as written, never read as rich markup (a survey may name a column
    "[/]"), and its control characters are shown, not obeyed; style goes in a Text, as labelled() builds."""

    def print(self, *objects, **kwargs) -> None:
        kwargs.setdefault("markup", False)
        kwargs.setdefault("highlight", False)
        super().print(*(visible(o) if isinstance(o, str) else o for o in objects), **kwargs)


# Messages are not wrapped: a path or a line of a log must stay whole to be found again.
err = _Messages(stderr=True, soft_wrap=True)


def labelled(label: str, style: str, message: str) -> Text:
    """"error: message" with the label styled and the message shown exactly (no markup, controls made visible)."""
    return Text.assemble((label, style), " ", visible(str(message)))


DbOption = typer.Option(None, "--db", help="Database URL or SQLite path (default: $MIERUKA_DATABASE_URL or ./mieruka.db)")
FormatOption = typer.Option(Format.table, "--format", "-f", help="Output format: table, json or csv")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a clear error on stderr and exit non-zero."""
    err.print(labelled("error:", "bold red", message))
    sys.exit(code)
