"""Downloads for the office (issue 12, item 3): a Japanese page's CSV and XLSX have Japanese headers, an English
page's keep the keys; every XLSX explains its columns, source and licence on a second sheet 「列の説明」; numbers and
dates are typed in Excel; no JSON in a CSV cell; the CLI's CSV has the web's columns."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

import webdata
from mieruka import storage
from mieruka.export.downloads import make_download
from mieruka.export.formats import csv_cell, readable
from mieruka.web import create_app
from mieruka.web.listings import CASE_COLUMNS, DOCUMENT_COLUMNS, KPI_COLUMNS, MEASURE_COLUMNS


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('office') / 'web.db'}"
    webdata.build(url)
    storage.dispose_engines()
    return url, TestClient(create_app(url))


def _csv(client, url) -> list[list[str]]:
    return list(csv.reader(io.StringIO(client.get(url).content.decode("utf-8-sig"))))


def test_a_japanese_page_downloads_japanese_headers(site):
    _, client = site
    rows = _csv(client, "/kpis.csv")
    assert rows[0][:9] == ["ID", "名称", "階層", "改革項目番号", "改革項目", "府省庁", "府省庁は推定", "単位", "基準値"]
    assert _csv(client, "/measures.csv")[0][:4] == ["ID", "番号", "コード", "名称"]
    assert _csv(client, "/cases.csv")[0][:3] == ["ID", "題名", "自治体"]
    assert _csv(client, "/documents.csv")[0][:5] == ["ID", "ファイル名", "文書の種類", "題名", "文書の日付"]
    assert _csv(client, "/kpis.csv?lang=en")[0] == KPI_COLUMNS  # English pages keep the keys
    assert list(client.get("/kpis.json").json()[0])[:2] == ["id", "name"]  # and so does JSON


def test_the_download_links_keep_the_pages_language(site):
    _, client = site
    assert 'href="/kpis.csv?lang=en"' in client.get("/kpis?lang=en").text
    assert 'href="/kpis.csv"' in client.get("/kpis").text


def test_every_xlsx_explains_its_columns_source_and_licence(site):
    _, client = site
    for url in ("/kpis.xlsx", "/measures.xlsx", "/cases.xlsx", "/documents.xlsx", "/items.xlsx"):
        book = load_workbook(io.BytesIO(client.get(url).content))
        assert book.sheetnames[1] == "列の説明", url
        notes = [[c.value for c in row] for row in book["列の説明"].iter_rows()]
        header = [c.value for c in book.worksheets[0][1]]
        assert notes[0] == ["列", "キー", "説明"]
        assert [n[0] for n in notes[1:len(header) + 1]] == header
        assert any(n[0] and n[0].startswith("出典:") for n in notes)
        assert any(n[0] and "政府標準利用規約（第2.0版）" in n[0] for n in notes)
    book = load_workbook(io.BytesIO(client.get("/kpis.xlsx").content))
    notes = {r[1].value: r[2].value for r in book["列の説明"].iter_rows(min_row=2) if r[1].value}
    assert notes["latest_status"] == "速報値・確報値・見込みの別"
    english = load_workbook(io.BytesIO(client.get("/kpis.xlsx?lang=en").content))
    assert english.sheetnames == ["kpis", "Columns"]


def test_numbers_are_numbers_and_dates_are_dates_in_excel(site):
    _, client = site
    sheet = load_workbook(io.BytesIO(client.get("/kpis.xlsx").content))["kpis"]
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, sheet[2]))
    assert first["基準値"].value == 208 and first["基準値"].data_type == "n"
    assert first["目標年限"].value == datetime(2021, 3, 31) and first["目標年限"].is_date  # ISO text made a date
    assert first["次回の測定日"].value == datetime(2018, 3, 1) and first["次回の測定日"].is_date
    assert first["最新値の種別"].value == "速報値"  # the code in words on a Japanese page
    english = load_workbook(io.BytesIO(client.get("/kpis.xlsx?lang=en").content))["kpis"]
    assert dict(zip([c.value for c in english[1]], english[2]))["latest_status"].value == "preliminary"
    docs = load_workbook(io.BytesIO(client.get("/documents.xlsx").content))["documents"]
    dated = dict(zip([c.value for c in docs[1]], docs[2]))
    assert dated["文書の日付"].is_date and dated["サイズ（バイト）"].data_type == "n"


def test_no_json_in_a_csv_cell():
    assert readable(["総務省", "経済産業省"]) == "総務省、経済産業省"
    assert readable({"value": 416, "unit": "団体"}) == "value: 416, unit: 団体"
    assert readable([{"document": "a.txt", "line": 3}, {"document": "b.txt", "line": None}]) == \
        "document: a.txt, line: 3; document: b.txt"
    assert csv_cell(["=cmd", "x"]) == "'=cmd、x"  # joined text still cannot become a formula
    made = make_download([{"ministries": ["総務省", "内閣府"], "target": {"value": 1}}], "csv", "t", lang="en")
    assert made.content.decode("utf-8-sig") == "ministries,target\n総務省、内閣府,value: 1\n"


def test_formulas_stay_neutralised_in_japanese_downloads():
    made = make_download([{"name": "=HYPERLINK(\"x\")"}], "xlsx", "kpis")
    cell = load_workbook(io.BytesIO(made.content))["kpis"]["A2"]
    assert cell.value == "=HYPERLINK(\"x\")" and cell.data_type == "s" and cell.quotePrefix


@pytest.mark.parametrize("command, url, columns", [
    ("kpis", "/kpis.csv?lang=en&as_of=2017-04-01", KPI_COLUMNS), ("measures", "/measures.csv?lang=en", MEASURE_COLUMNS),
    ("cases", "/cases.csv?lang=en", CASE_COLUMNS), ("documents", "/documents.csv?lang=en", DOCUMENT_COLUMNS),
])
def test_the_cli_csv_has_the_web_csv_columns_and_rows(site, command, url, columns):
    db, client = site
    as_of = ["--as-of", "2017-04-01"] if command == "kpis" else []  # one evaluation date on both sides
    out = subprocess.run([sys.executable, "-m", "mieruka", command, "--db", db, "--format", "csv", *as_of],
                         capture_output=True,
                         text=True, env={"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
                                         "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr
    cli = list(csv.reader(io.StringIO(out.stdout)))
    web = _csv(client, url)
    assert cli[0] == web[0] == columns
    assert cli[1:] == web[1:] and len(cli) > 1


def test_downloads_name_their_sources_by_title_and_date_with_the_file_in_its_own_column(site):
    db, client = site
    documents = {d["file_name"]: d for d in client.get("/api/documents?limit=100").json()["items"]}
    cases = _csv(client, "/cases.csv")
    header = cases[0]
    assert header[4:8] == ["出典文書", "出典文書の日付", "出典ファイル", "出典の行"]
    row = dict(zip(header, cases[1]))
    doc = documents[row["出典ファイル"]]
    assert row["出典文書"] == doc["title"] == "公共サービスイノベーション・プラットフォーム(試験用)"
    assert row["出典文書の日付"] == doc["doc_date"] == "2017-07-07"
    english = client.get("/measures.json?lang=en").json()[0]
    assert english["source_document"] == "国の施策一覧(試験用)" and english["source_date"] is None
    assert english["source_file"] in documents and english["source_line"] == 3
    # the audit names its sources by title and date, the files in a column of their own
    audit = list(csv.DictReader(io.StringIO(client.get("/audit.csv").content.decode("utf-8-sig"))))
    first = audit[0]
    schedule = next(d for d in documents.values() if d["family"] == "reform-schedule")
    assert first["出典"].startswith(f"{schedule['title']} {schedule['doc_date']}:")
    assert first["出典ファイル"].startswith(f"{schedule['file_name']}:")
    # the CLI's audit says the same
    out = subprocess.run([sys.executable, "-m", "mieruka", "audit", "--db", db, "--format", "csv", "--as-of", "2017-04-01"],
                         capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    cli = list(csv.DictReader(io.StringIO(out.stdout)))
    assert cli and all(r["sources"].startswith(schedule["title"]) for r in cli if r["source_files"].startswith("schedule"))
    assert any(r["sources"].startswith(f"{schedule['title']} {schedule['doc_date']}:") for r in cli)


def test_a_japanese_download_gives_a_schemes_word_codes_and_the_basis_in_japanese(tmp_path):
    from typer.testing import CliRunner

    import mieruka.cli.evaluate  # noqa: F401  (registers the command)
    from mieruka.cli import app

    url = f"sqlite:///{tmp_path / 'escap.db'}"
    webdata.build(url)
    storage.dispose_engines()
    assert CliRunner().invoke(app, ["evaluate", "--scheme", "progress-cagr", "--db", url, "--as-of", "2017-04-01"]).exit_code == 0
    storage.dispose_engines()
    client = TestClient(create_app(url))
    ja = _csv(client, "/kpis.csv?scheme=progress-cagr")
    cols = [ja[0].index(h) for h in ("評価方式", "評価", "評価の根拠", "評価（再計算）")]
    assert sorted({tuple(row[i] for i in cols) for row in ja[1:]}) == [
        ("年平均成長率による進捗評価（ESCAP方式）", "大きく進展（必要な成長率の95%以上）", "再計算", "大きく進展（必要な成長率の95%以上）"),
        ("年平均成長率による進捗評価（ESCAP方式）", "目標達成", "再計算", "目標達成"),
        ("年平均成長率による進捗評価（ESCAP方式）", "評価できない", "再計算", "評価できない")]
    en = _csv(client, "/kpis.csv?scheme=progress-cagr&lang=en")
    cols = [en[0].index(h) for h in ("scheme", "rating", "rating_basis")]
    assert sorted({tuple(row[i] for i in cols) for row in en[1:]}) == [
        ("progress-cagr", "achieved", "computed"), ("progress-cagr", "na", "computed"),
        ("progress-cagr", "substantial", "computed")]
    # the documents' own one-character codes stay as printed
    assert sorted({row[ja[0].index("評価（公表）")] for row in _csv(client, "/kpis.csv")[1:]}) == ["A", "B", "N"]


# a value of every kind a download meets: texts that are dates, formulas, numbers, error codes, control characters,
# spaces, XML's specials or too long for a cell; numbers, booleans, dates, lists and records; the codes shown in words
_EVERY_KIND = ["", " a ", "=SUM(A1)", "-12", "-", "+3%", "2021-03-31", "2021-02-30", "2021-03-31T10:00:00Z",
               "２０２１-03-31", "2021年度", "#N/A", "\x01bell", "\tx", "a<b&c>\r", "x" * 33000, 1, 0, -5, 10**20, 1.5,
               float("nan"), float("inf"), True, False, None, date(2020, 1, 1), datetime(2020, 1, 1, 5),
               [1, "a"], {"k": "v"}, "substantial", "na", "official", "A", "preliminary", "reform-schedule", "=1"]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_download_s_cells_are_those_openpyxl_writes_cell_by_cell(lang):
    """The XLSX download writes its rows' XML itself (and the usual texts, numbers and dates without xlsx_cell's way
    through them): every part of the workbook is what openpyxl's write-only sheet gives for the same cells, whatever
    kind of value comes first; the JSON is json.dumps(indent=2) whatever its values."""
    import json
    import zipfile

    from openpyxl import Workbook

    from mieruka.export.columns import CODED, shown
    from mieruka.export.downloads import _bold_row, _describe_columns, header, stream_download, xlsx_cell
    from mieruka.export.formats import _default

    columns = list(KPI_COLUMNS) + ["note"]
    rows = [{c: _EVERY_KIND[(i * 7 + j) % len(_EVERY_KIND)] for j, c in enumerate(columns)}
            for i in range(len(_EVERY_KIND) * 2)]

    def members(content: bytes) -> dict[str, bytes]:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # the moment it was made

    for some in (rows, rows[::-1], rows[5:9]):
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title="kpis")
        ws.freeze_panes = "A2"
        ws.append(_bold_row(ws, [header(c, lang) for c in columns]))
        for row in some:
            ws.append([xlsx_cell(ws, shown(c, row[c], lang) if lang == "ja" and c in CODED else row[c])
                       for c in columns])
        _describe_columns(wb, columns, lang)
        expected = io.BytesIO()
        wb.save(expected)
        made = b"".join(stream_download(iter(some), "xlsx", "kpis", columns, lang)[0])
        assert members(made) == members(expected.getvalue())
        assert b"".join(stream_download(iter(some), "json", "kpis", columns, lang)[0]).decode("utf-8") == \
            json.dumps([{c: row[c] for c in columns} for row in some], ensure_ascii=False, indent=2, default=_default)
