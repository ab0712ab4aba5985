"""Render lists of records as a terminal table, JSON or CSV: the one output path of every listing command.
Nested values (lists, dicts) are flattened to JSON text in table and CSV form."""
from __future__ import annotations

import csv
import io
import json
import re
import sys
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


# The rule (jp.text.formula_like) is shared with the printed reports' workbooks (publish/workbook.py).
from mieruka.jp.text import FORMULA_START, formula_like  # noqa: E402,F401


def readable(value: Any) -> Any:
    """A list or a dict as text a person reads, never JSON: items joined by 「、」 (records by 「; 」), a record as
    "key: value" pairs; anything else as it is."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {cell(readable(v))}" for k, v in value.items() if v is not None and v != [] and v != {})
    if isinstance(value, (list, tuple)):
        parts = [cell(readable(v)) for v in value if v is not None]
        return ("; " if any(isinstance(v, (dict, list, tuple)) for v in value) else "、").join(parts)
    return value


def csv_cell(value: Any) -> str:
    """cell(), with lists and dicts as readable text (readable()), and text a spreadsheet would run as a formula
    quoted by a leading apostrophe, which Excel and LibreOffice show as text; numbers (int, float, and text that is
    a plain number) stay numbers."""
    # the common cells first, as the general path below makes them: a 2,000-row download is 50,000 cells
    kind = type(value)
    if value is None:
        return ""
    if kind is str:
        return "'" + value if value.startswith(FORMULA_START) and formula_like(value) else value
    if kind is int:
        return str(value)
    if kind is date:
        return value.isoformat()
    if kind is float:  # as cell() makes it
        return str(int(value)) if value.is_integer() else str(value)
    if kind is bool:
        return "true" if value else "false"
    value = readable(value)
    text = cell(value)
    return "'" + text if isinstance(value, str) and formula_like(text) else text


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
    write = csv_row_writer(buf)
    for cells in ([csv_cell(c) for c in cols], *([csv_cell(row.get(c)) for c in cols] for row in rows)):
        write(cells)
    return buf.getvalue()


def csv_row_writer(out):
    """A function writing one row of csv_cell() texts to out: every CSV writer of mieruka goes through it."""
    writer = csv.writer(out, lineterminator="\n")
    # csv quotes a field holding the line terminator, "\n", but not a bare CR, which ends a line for Excel
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    return lambda cells: (quoted if any("\r" in c for c in cells) else writer).writerow(cells)


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


def stream_rows(rows: Iterable[dict], fmt: Format | str, columns: Sequence[str], out=None) -> None:
    """print_rows for JSON and CSV written one row at a time (the same text), so a long listing is never held whole;
    a table needs every row for its widths, so it is collected."""
    fmt = Format(fmt)
    out = out or sys.stdout
    if fmt is Format.table:
        print_rows(list(rows), fmt, columns=columns)
        return
    if fmt is Format.csv:
        write = csv_row_writer(out)
        write([csv_cell(c) for c in columns])
        for row in rows:
            write([csv_cell(row.get(c)) for c in columns])
        return
    first = True
    for row in rows:
        item = json.dumps(row, ensure_ascii=False, indent=2, default=_default)
        out.write(("[\n" if first else ",\n") + "\n".join("  " + x for x in item.split("\n")))
        first = False
    out.write("[]\n" if first else "\n]\n")


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
