"""Core commands: database migrations and parsing one cell of Japanese text."""
from __future__ import annotations

import typer

from mieruka import storage
from mieruka.cli.app import DbOption, FormatOption, app, fail
from mieruka.export.formats import Format, print_rows, to_json

db_app = typer.Typer(help="Database schema: upgrade, downgrade, show the revision.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head"), db: str = DbOption) -> None:
    """Apply migrations up to REVISION (default: newest)."""
    storage.upgrade(db, revision)
    print(f"database {storage.resolve_url(db)} at revision {storage.current_revision(db)}")


@db_app.command("repair")
def db_repair(db: str = DbOption) -> None:
    """Drop the empty tables an interrupted first upgrade left (no schema revision), then upgrade."""
    done = storage.repair(db)
    if not done["dropped"]:
        print(f"database {storage.resolve_url(db)} needs no repair: at revision {done['revision']}")
        return
    print(f"dropped {len(done['dropped'])} empty table(s) left without a schema revision; "
          f"database {storage.resolve_url(db)} at revision {done['revision']}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument("base"), db: str = DbOption,
                 yes: bool = typer.Option(False, "--yes", help="Drop what the tables hold, documents included")) -> None:
    """Revert migrations down to REVISION (default: empty database)."""
    kept = storage.document_count(db)
    if kept and not yes:
        # a downgrade drops tables, and with them the raw documents users gave us
        fail(f"{storage.resolve_url(db)} keeps {kept} document(s) that a downgrade to {revision} may drop; "
             "save them first (mieruka documents --save DIR) and give --yes to go on")
    storage.downgrade(db, revision)
    print(f"database {storage.resolve_url(db)} at revision {storage.current_revision(db) or 'base'}")


@db_app.command("current")
def db_current(db: str = DbOption) -> None:
    """Print the schema revision of the database."""
    print(storage.current_revision(db) or "base")


@app.command("parse")
def parse_cmd(
    text: str = typer.Argument(..., help="One cell as written, e.g. '2020年度までに 416団体'"),
    role: str = typer.Option(None, "--role", help="target or actual: where a bare period goes"),
    fmt: Format = FormatOption,
) -> None:
    """Show what mieruka reads from one cell of Japanese text."""
    from mieruka.jp import ParseError, parse

    try:
        parsed = parse(text, role=role)
    except ParseError as exc:
        fail(str(exc))
    data = parsed.to_dict()
    if fmt is Format.json:
        print(to_json(data))
    else:
        print_rows([{"field": k, "value": v} for k, v in data.items()], fmt)
