"""Decompression and size bombs: a small XLSX that unzips to hundreds of MB, a survey of too many rows, a PDF of too
many pages, pathological HTML. Each is refused before it is parsed, with a message naming the file, a non-zero exit
and the database as it was; a survey of many bad lines stores a summary, not every line."""
from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from mieruka.cli import load_commands
from mieruka.ingest import sources
from mieruka.bodies import registry

MB = 2**20
SURVEY_ARGS = ("--initiative", "窓口委託", "--as-of", "2017-04-01")


def cli(*args):
    return CliRunner().invoke(load_commands(), [str(a) for a in args])


def _bomb(path: Path, sheet_bytes: int) -> Path:
    """A real workbook whose first sheet is sheet_bytes of rows, streamed into the zip: a few hundred KB on disk."""
    book = Workbook()
    book.active.append(["団体コード", "導入"])
    book.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    head = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    row = b'<row><c t="inlineStr"><is><t>011002</t></is></c></row>'
    tail = b"</sheetData></worksheet>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                z.writestr(name, data)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(head)
            chunk = row * (MB // len(row))
            written = len(head) + len(tail)
            while written + len(chunk) <= sheet_bytes:
                sheet.write(chunk)
                written += len(chunk)
            sheet.write(b" " * (sheet_bytes - written) + tail)
    return path


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("documents", "kpis", "survey_imports", "survey_responses", "local_bodies")}


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "b.db"
    assert cli("db", "upgrade", "--db", path).exit_code == 0
    return path


EMPTY = {"documents": 0, "kpis": 0, "survey_imports": 0, "survey_responses": 0, "local_bodies": 0}


def test_a_survey_workbook_that_unzips_past_the_limit_is_refused_unread(tmp_path, db):
    bomb = _bomb(tmp_path / "bomb.xlsx", 60 * MB)
    assert bomb.stat().st_size < MB
    result = cli("survey", "import", bomb, *SURVEY_ARGS, "--db", db)
    assert result.exit_code == 1
    assert result.stderr == "error: bomb.xlsx: the workbook unzips to 60 MB; the limit is 50 MB\n"
    assert _counts(db) == EMPTY


def test_a_document_workbook_part_that_expands_like_a_bomb_is_refused_unread(tmp_path, db):
    bomb = _bomb(tmp_path / "bomb.xlsx", 20 * MB)
    result = cli("ingest", bomb, "--db", db, "--format", "json")
    assert result.exit_code == 1
    [report] = json.loads(result.stdout)
    assert report["status"] == "error"
    assert re.fullmatch(r"its part xl/worksheets/sheet1\.xml expands [\d,]+ times \(0\.\d MB to 20 MB\), a zip bomb; "
                        r"the limit is 100 times", report["error"]), report["error"]
    assert f"error: {bomb}: its part xl/worksheets/sheet1.xml expands" in result.stderr
    assert _counts(db) == EMPTY


def test_a_survey_of_more_rows_than_the_limit_is_refused(tmp_path, db):
    survey = tmp_path / "long.csv"
    survey.write_text("団体コード,導入\n" + "011002,○\n" * 20_001, encoding="utf-8")
    result = cli("survey", "import", survey, *SURVEY_ARGS, "--db", db)
    assert result.exit_code == 1
    assert result.stderr == ("error: long.csv: more than 20,000 rows; a survey has one row per municipality (1,741), "
                             "and the limit is 20,000\n")
    assert _counts(db) == EMPTY


def test_a_survey_file_past_the_size_limit_is_refused_before_it_is_read(tmp_path, db):
    survey = tmp_path / "big.csv"
    with survey.open("wb") as f:
        f.truncate(21 * MB)  # sparse: no disk used
    result = cli("survey", "import", survey, *SURVEY_ARGS, "--db", db)
    assert result.exit_code == 1
    assert result.stderr == (f"error: {survey}: the file is 21 MB; a survey of every municipality is far smaller, "
                             "and the limit is 20 MB\n")
    assert _counts(db) == EMPTY


def test_many_rejected_lines_store_a_summary_and_print_the_first(tmp_path, db):
    bodies = registry.municipalities()
    lines = ["団体コード,市区町村名,導入"] + [f"{b.code},,○" for b in bodies] + [f",存在しない町{i},○" for i in range(300)]
    survey = tmp_path / "noisy.csv"
    survey.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("survey", "import", survey, *SURVEY_ARGS, "--db", db, "--format", "json")
    assert result.exit_code == 0, result.output
    shown = result.stderr.splitlines()
    assert len(shown) == 21
    assert shown[0] == "skipped line 1743: 存在しない町0 is neither a prefecture nor one of the 1,741 municipalities"
    assert shown[-1] == "skipped 280 more line(s); the first 100 are kept with the import (--format json)"
    printed = json.loads(result.stdout)
    assert (printed["loaded"], printed["rejected"], len(printed["errors"])) == (1741, 300, 100)
    with sqlite3.connect(db) as conn:
        [(report,)] = conn.execute("SELECT report FROM survey_imports").fetchall()
    stored = json.loads(report)
    assert (stored["rejected"], len(stored["errors"]), stored["errors"][-1]["line"]) == (300, 100, 1842)
    assert len(report) < 25_000  # 100 lines' worth, however many were rejected
    listed = json.loads(cli("survey", "list", "--db", db, "--format", "json").stdout)
    assert [(i["responses"], i["rejected"]) for i in listed] == [(1741, 300)]


def test_a_pdf_of_more_pages_than_the_limit_is_refused(tmp_path, db, monkeypatch):
    from reportlab.pdfgen import canvas

    monkeypatch.setattr(sources, "MAX_PDF_PAGES", 2)
    path = tmp_path / "deck.pdf"
    pdf = canvas.Canvas(str(path))
    for page in range(3):
        pdf.drawString(72, 720, f"page {page}")
        pdf.showPage()
    pdf.save()
    result = cli("ingest", path, "--db", db, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["error"] == "the PDF has 3 pages; the limit is 2"
    assert _counts(db) == EMPTY


def test_a_workbook_of_more_cells_than_the_limit_is_refused(tmp_path, db, monkeypatch):
    monkeypatch.setattr(sources, "MAX_XLSX_CELLS", 100)
    book = Workbook()
    for i in range(60):
        book.active.append([f"KPI {i}", "2020年度までに 416団体"])
    path = tmp_path / "cells.xlsx"
    book.save(path)
    result = cli("ingest", path, "--db", db, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["error"] == ("the workbook has more than 100 cells (sheet Sheet, row 51 of the "
                                                     "text); the limit is 100")
    assert _counts(db) == EMPTY


def test_a_text_past_the_character_limit_is_refused(tmp_path, db, monkeypatch):
    monkeypatch.setattr(sources, "MAX_TEXT_CHARS", 1000)
    path = tmp_path / "long.txt"
    path.write_text("窓口業務のアウトソーシング\n" * 100, encoding="utf-8")
    result = cli("ingest", path, "--db", db, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["error"] == ("its 101 lines hold more than 1,000 characters of text; the limit "
                                                     "is 1,000")
    assert _counts(db) == EMPTY


def test_html_of_unclosed_tags_is_read_in_one_pass(tmp_path, db):
    # 400,000 unclosed <script> and <p tags: each used to rescan the rest of the file (minutes for 300 KB)
    path = tmp_path / "tags.html"
    path.write_text("<html><body>" + "<p" * 200_000 + "<script>" * 200_000, encoding="utf-8")
    result = cli("ingest", path, "--db", db, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["error"] == ("not a document of a known family (reform schedule progress, "
                                                     "policy evaluation sheet, national measure catalogue, platform "
                                                     "presentation)")
    assert sources.html_to_text("<p>a<script>x</script>b<STYLE>y</style>c<td>1</td> <td>2</td>") == "abc1\t2\n"
    assert _counts(db) == EMPTY


def test_a_document_report_keeps_the_first_unplaced_lines_and_their_count(tmp_path, db, monkeypatch):
    from mieruka.loading import documents as loader

    monkeypatch.setattr(loader, "REPORTED_UNPLACED", 2)
    result = cli("ingest", Path(__file__).parent / "fixtures" / "reform_schedule" / "broken.txt", "--db", db,
                 "--format", "json")
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)
    assert (report["counts"]["unplaced"], len(report["unplaced"])) == (4, 2)
    with sqlite3.connect(db) as conn:
        [(stored,)] = conn.execute("SELECT report FROM documents").fetchall()
    assert len(json.loads(stored)["unplaced"]) == 2
