"""Benchmark: import a generated survey of all 1,741 municipalities (CSV in CP932 and XLSX) into a fresh SQLite file.
Target: under 5 s each, reading, resolving, checking and storing included. Prints the times; exits 1 over target."""
from __future__ import annotations

import io
import random
import sys
import tempfile
import time
from datetime import date

import openpyxl

from mieruka import storage
from mieruka.bodies import registry
from mieruka.municipalities.importing import import_survey

TARGET_SECONDS = 5.0
HEADER = ["団体コード", "都道府県", "市区町村名", "窓口委託", "開始年度", "導入前経費(千円)", "導入後経費(千円)", "人口"]


def survey_rows(seed: int = 17) -> list[list]:
    """One row per municipality; names written with the prefecture so every row resolves by name as well as code."""
    rng = random.Random(seed)
    rows = []
    for body in registry.municipalities():
        adopted = rng.random() < 0.3
        before = rng.randint(10_000, 900_000)
        rows.append([body.code, body.prefecture, body.name, "○" if adopted else "×",
                     f"平成{rng.randint(20, 30)}年度" if adopted else "", before,
                     int(before * rng.uniform(0.5, 0.95)) if adopted else "", rng.randint(500, 3_700_000)])
    return rows


def as_csv(rows: list[list]) -> bytes:
    lines = [",".join(HEADER)] + [",".join(str(c) for c in row) for row in rows]
    return "\r\n".join(lines).encode("cp932")


def as_xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def timed_import(url: str, raw: bytes, file_name: str, as_of: date) -> tuple[dict, float]:
    started = time.perf_counter()
    with storage.session_scope(url) as session:
        result = import_survey(session, raw, file_name, "窓口委託", as_of)
    return result, time.perf_counter() - started


def main() -> int:
    rows = survey_rows()
    files = [("survey.csv", as_csv(rows), date(2017, 4, 1)), ("survey.xlsx", as_xlsx(rows), date(2018, 4, 1))]
    slow = False
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        storage.ensure_schema(url)
        for file_name, raw, as_of in files:
            result, seconds = timed_import(url, raw, file_name, as_of)
            ok = result["loaded"] == registry.MUNICIPALITY_COUNT and not result["errors"]
            slow |= seconds >= TARGET_SECONDS or not ok
            print(f"{file_name:12} {len(raw):>8,} bytes  {result['loaded']:,} rows loaded, {result['rejected']} rejected  "
                  f"{seconds:.3f} s (target < {TARGET_SECONDS:.0f} s)")
        storage.dispose_engines()
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
