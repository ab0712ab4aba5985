"""Render lists of records as a terminal table, JSON or CSV: the one output path of every listing command.
Nested values (lists, dicts) are flattened to JSON text in table and CSV form."""
from __future__ import annotations

import csv
import sys
import io
import json
from datetime import date, datetime
from enum import Enum
from typing import Any, Iterable, Sequence


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _default(obj: Any) -> Any:
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_default)


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=_default)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def columns_of(rows: Sequence[dict], columns: Sequence[str] | None) -> list[str]:
    if columns:
        return list(columns)
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def to_csv(rows: Sequence[dict], columns: Sequence[str] | None = None, bom: bool = False) -> str:
    cols = columns_of(rows, columns)
    buf = io.StringIO()
    if bom:
        buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in cols])
    return buf.getvalue()


def print_rows(rows: Iterable[dict], fmt: Format | str = Format.table, columns: Sequence[str] | None = None,
               title: str | None = None, table_columns: Sequence[str] | None = None) -> None:
    """Print rows in the chosen format; table_columns picks the narrower set a terminal can show."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from mieruka.jp import visible

    rows = list(rows)
    fmt = Format(fmt)
    if fmt is Format.json:
        print(to_json(rows))
        return
    if fmt is Format.csv:
        print(to_csv(rows, columns), end="")
        return
    cols = list(table_columns or columns_of(rows, columns))
    # Text, not str: a value is shown as written, never read as rich markup, with its control characters made visible
    table = Table(title=Text(visible(title)) if title else None, show_lines=False)
    for c in cols:
        table.add_column(Text(visible(c)), overflow="fold")
    for row in rows:
        table.add_row(*[Text(_short(visible(cell(row.get(c))))) for c in cols])
    # a pipe or log has no width of its own: give tables room rather than 80 folded columns
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
