"""Spreadsheet formula injection: a document's cell beginning with =, +, -, @, tab or CR never becomes a live formula
in `mieruka export`, `--format csv` or a web download; numbers, negative ones included, stay numbers."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from mieruka.cli import load_commands
from mieruka.export.downloads import make_download, to_xlsx
from mieruka.export.formats import formula_like, to_csv
from mieruka.export.workbook import to_workbook

FIXTURES = Path(__file__).parent / "fixtures"
HYPERLINK = '=HYPERLINK("http://x","庶務")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"


def cli(*args):
    return CliRunner().invoke(load_commands(), [str(a) for a in args])


@pytest.fixture
def formula_db(tmp_path):
    text = (FIXTURES / "reform_schedule" / "tabbed.txt").read_text(encoding="utf-8")
    text = (text.replace("庶務業務の集約化", HYPERLINK, 1).replace("総合窓口の導入", DDE, 1)
            .replace("301団体 (2017年4月速報値)", "+301団体 (2017年4月速報値)", 1))
    doc = tmp_path / "formula.txt"
    doc.write_text(text, encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'f.db'}"
    assert cli("ingest", doc, "--db", db, "--format", "csv").exit_code == 0
    return db


def _cells(book):
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row]


def _assert_no_live_formula(book) -> int:
    """No formula cell anywhere; every text a spreadsheet would run is a quote-prefixed text cell. How many."""
    cells = _cells(book)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    quoted = [c for c in cells if isinstance(c.value, str) and formula_like(c.value)]
    assert all(c.data_type == "s" and c.quotePrefix for c in quoted)
    return len(quoted)


def test_export_xlsx_writes_formula_text_as_quoted_text_and_numbers_as_numbers(formula_db, tmp_path):
    out = tmp_path / "all.xlsx"
    assert cli("export", out, "--db", formula_db, "--as-of", "2018-03-31").exit_code == 0
    book = load_workbook(out)
    assert _assert_no_live_formula(book) >= 3
    kpis = list(book["KPI一覧"].iter_rows(values_only=True))
    names = {r[0]: r[1] for r in kpis[1:]}
    assert names[3] == DDE and names[4] == HYPERLINK
    observations = list(book["実績値"].iter_rows(values_only=True))
    header = observations[0]
    texts = {r[header.index("text")]: r[header.index("value")] for r in observations[1:]}
    assert texts["+301団体(2017年4月速報値)"] is None  # the parser did not read the "+" cell: its text is kept
    assert texts["301団体(2017年4月速報値)"] == 301 and isinstance(texts["301団体(2017年4月速報値)"], (int, float))


def test_export_csv_quotes_formula_text_with_an_apostrophe(formula_db, tmp_path):
    out = tmp_path / "csv"
    assert cli("export", out, "--db", formula_db, "--as-of", "2018-03-31").exit_code == 0
    kpis = list(csv.DictReader(io.StringIO((out / "kpis.csv").read_text(encoding="utf-8-sig"))))
    assert {k["id"]: k["name"] for k in kpis}["4"] == "'" + HYPERLINK
    assert {k["id"]: k["name"] for k in kpis}["3"] == "'" + DDE
    observations = list(csv.DictReader(io.StringIO((out / "observations.csv").read_text(encoding="utf-8-sig"))))
    # the population beside 430団体 is its own observation (the count's second measure, issue 11) with the same text
    assert sorted((o["text"], o["value"]) for o in observations) == sorted([
        ("'+301団体(2017年4月速報値)", ""), ("301団体(2017年4月速報値)", "301"), ("215団体(2017年4月速報値)", "215"),
        ("413団体(2017年4月速報値)", "413"), ("1117 (2016年度末)", "1117"),
        ("430団体、約7,693万人(2017年8月31日時点)", "430"), ("430団体、約7,693万人(2017年8月31日時点)", "76930000"),
        ("(参考)別の集計で152団体", ""), ("2013年度と比べて257億円の削減(2015年度)", "374300000000")])


def test_cli_csv_listing_quotes_formula_text(formula_db):
    result = cli("kpis", "--db", formula_db, "--format", "csv")
    assert result.exit_code == 0
    names = [row["name"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert "'" + HYPERLINK in names and "'" + DDE in names and HYPERLINK not in names


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_web_downloads_carry_no_live_formula(formula_db, fmt):
    from mieruka.web import create_app

    response = TestClient(create_app(formula_db)).get(f"/kpis.{fmt}")
    assert response.status_code == 200
    if fmt == "xlsx":
        assert _assert_no_live_formula(load_workbook(io.BytesIO(response.content))) == 2
    else:
        names = [r["名称"] for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))]  # a Japanese page
        assert "'" + HYPERLINK in names and HYPERLINK not in names


ROW = {"formula": "=1+1", "plus": "+cmd", "minus": "-1+2", "at": "@SUM(A1)", "tab": "\t=1", "cr": "\r=1",
       "negative": -5.0, "negative_text": "-5", "percent": "-2.5%", "thousands": "-1,234", "dash": "-",
       "fullwidth": "＝1", "plain": "窓口"}


def test_every_trigger_is_quoted_in_csv_and_numbers_stay_numbers():
    written = next(csv.DictReader(io.StringIO(to_csv([ROW]))))
    assert written == {"formula": "'=1+1", "plus": "'+cmd", "minus": "'-1+2", "at": "'@SUM(A1)", "tab": "'\t=1",
                       "cr": "'\r=1", "negative": "-5", "negative_text": "-5", "percent": "-2.5%",
                       "thousands": "-1,234", "dash": "-", "fullwidth": "＝1", "plain": "窓口"}


@pytest.mark.parametrize("write", [lambda rows: to_xlsx(rows), lambda rows: to_workbook({"kpis": rows}),
                                   lambda rows: make_download(rows, "xlsx", "kpis").content])
def test_every_trigger_is_text_in_xlsx_and_numbers_stay_numbers(write):
    ws = load_workbook(io.BytesIO(write([ROW]))).worksheets[0]
    cells = dict(zip((c.value for c in ws[1]), ws[2]))
    values = {k: c.value for k, c in cells.items()}
    # a carriage return comes back as written, or as a newline where the XML reader folds line ends
    assert values.pop("cr") in ("\r=1", "\n=1")
    assert values == {**{k: v for k, v in ROW.items() if k != "cr"}, "negative": -5}
    assert sorted(k for k, c in cells.items() if c.quotePrefix) == ["at", "cr", "formula", "minus", "plus", "tab"]
    assert cells["negative"].data_type == "n"
    assert all(c.data_type == "s" for k, c in cells.items() if k != "negative")


def _hostile_family_documents(tmp_path: Path) -> list[Path]:
    """A document of every family with formula text where a name or a sentence goes."""
    edits = {
        "reform_schedule/tabbed.txt": [("庶務業務の集約化", HYPERLINK), ("総合窓口の導入", DDE)],
        "policy_evaluation/heisei_sheet.txt": [("研修の受講者数", "=1+1 研修の受講者数"),
                                               ("委託の拡大が進んだ。", "@SUM(1+1) 委託の拡大")],
        "measure_catalogue/two_layouts.txt": [("電子調達の利用件数", HYPERLINK), ("産業保安手続のスマート化", DDE)],
        "presentation/platform_slides.txt": [("二つの市で窓口の手順をそろえた", "=HYPERLINK(\"http://x\",\"手順\")")],
    }
    out = []
    for name, replacements in edits.items():
        text = (FIXTURES / name).read_text(encoding="utf-8")
        for old, new in replacements:
            assert old in text, (name, old)
            text = text.replace(old, new)
        path = tmp_path / Path(name).name
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


def test_every_download_of_a_database_holding_a_hostile_document_of_every_family_has_no_live_formula(tmp_path):
    from mieruka.web import create_app

    db = f"sqlite:///{tmp_path / 'all.db'}"
    loaded = cli("ingest", *_hostile_family_documents(tmp_path), "--db", db, "--format", "json")
    assert loaded.exit_code == 0, loaded.output
    survey = tmp_path / "survey.csv"
    survey.write_text("団体コード,導入\n142158,○\n142123,×\n", encoding="utf-8")
    assert cli("survey", "import", survey, "--initiative", HYPERLINK, "--as-of", "2017-04-01", "--db", db).exit_code == 0
    defined = cli("survey", "define-kpi", "--initiative", HYPERLINK, "--name", DDE, "--db", db, "--format", "json")
    kpi_id = json.loads(defined.stdout)[0]["kpi_id"]
    assert cli("evaluate", "--scheme", "municipal-sabc", "--as-of", "2018-03-31", "--db", db,
               "--format", "json").exit_code == 0

    client = TestClient(create_app(db))
    query = "?" + urlencode({"initiative": HYPERLINK})
    pages = ["/kpis", "/items", "/measures", "/cases", "/documents", "/audit", f"/local{query}",
             f"/local/142158{query}", f"/local/kpi/{kpi_id}"]
    quoted = 0
    for page in pages:
        path, _, q = page.partition("?")
        for fmt in ("csv", "xlsx"):
            response = client.get(f"{path}.{fmt}" + (f"?{q}" if q else ""))
            assert response.status_code == 200, (page, fmt, response.text[:200])
            if fmt == "xlsx":
                quoted += _assert_no_live_formula(load_workbook(io.BytesIO(response.content)))
            else:
                cells = [c for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig"))) for c in row]
                assert [c for c in cells if formula_like(c)] == [], (page, fmt)
                quoted += sum(c.startswith("'") and formula_like(c[1:]) for c in cells)
    out = tmp_path / "export.xlsx"
    assert cli("export", out, "--db", db, "--as-of", "2018-03-31").exit_code == 0
    quoted += _assert_no_live_formula(load_workbook(out))
    assert quoted >= 20  # the hostile text reached the downloads, and every time as text
