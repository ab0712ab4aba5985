"""`mieruka export`: the whole database as an Excel workbook, JSON, or a folder of CSV files."""
from __future__ import annotations

from pathlib import Path

import typer

from mieruka import storage
from mieruka.cli.app import DbOption, app, err, fail


@app.command("export")
def export_cmd(
    out: Path = typer.Argument(..., help="OUT.xlsx (one sheet per table), OUT.json, or a folder for CSV files"),
    as_of: str = typer.Option(None, "--as-of", help="Date the audit judges against (ISO or 和暦; default today)"),
    lang: str = typer.Option("ja", "--lang", help="Language of the audit messages: ja or en"),
    db: str = DbOption,
) -> None:
    """Write KPIs, targets, observations, ratings, audit findings, measures, cases and documents, with sources."""
    from datetime import date

    from mieruka.export.workbook import database_tables, write_export
    from mieruka.jp import parse_date

    when = date.today()
    if as_of:
        try:
            when = date.fromisoformat(as_of)
        except ValueError:
            when = parse_date(as_of) or fail(f"--as-of: cannot read the date {as_of!r} (use 2018-06-01 or 平成30年6月1日)")
    if lang not in ("ja", "en"):
        fail(f"--lang: {lang!r} is not ja or en")
    if out.suffix.lower() not in (".xlsx", ".json", "") and not out.is_dir():
        fail(f"{out}: give a .xlsx or .json file, or a folder for CSV files")
    storage.ensure_schema(db)
    with storage.session_scope(db) as session:
        tables = database_tables(session, when, lang)
    written = write_export(tables, out)
    err.print(", ".join(f"{k} {len(v)}" for k, v in tables.items()), highlight=False)
    for path in written:
        print(path)
