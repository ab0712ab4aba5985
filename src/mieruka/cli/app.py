"""The shared Typer application and the options every command uses (--db, --format)."""
from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console

from mieruka.export.formats import Format

app = typer.Typer(
    name="mieruka",
    help="見える化: reform-progress documents into one database, rated, audited and shown.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Messages are not wrapped: a path or a line of a log must stay whole to be found again.
err = Console(stderr=True, soft_wrap=True)

DbOption = typer.Option(None, "--db", help="Database URL or SQLite path (default: $MIERUKA_DATABASE_URL or ./mieruka.db)")
FormatOption = typer.Option(Format.table, "--format", "-f", help="Output format: table, json or csv")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a clear error on stderr and exit non-zero."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    sys.exit(code)
