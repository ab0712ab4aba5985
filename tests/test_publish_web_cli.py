"""The reports where users find them: `mieruka report …` and the download links of the document and KPI pages."""
from __future__ import annotations

import io

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import load_commands
from publish_helpers import html_rows


@pytest.fixture(scope="module")
def rated(tmp_path_factory):
    from mieruka.web.evaluation import demo_database

    url = f"sqlite:///{tmp_path_factory.mktemp('publish-web') / 'sample.db'}"
    demo_database(url)
    yield url
    storage.dispose_engines()


@pytest.fixture(scope="module")
def client(rated):
    from mieruka.web.app import create_app

    return TestClient(create_app(rated))


def _codes(html: str) -> list[str]:
    return [r["cells"][-2] for r in html_rows(html) if "data-kpi" in r["attrs"]]


def test_report_commands_write_the_files(rated, tmp_path):
    runner = CliRunner()
    app = load_commands()
    out = tmp_path / "kpi.xlsx"
    result = runner.invoke(app, ["report", "kpi-table", "--edition", "2016", "-f", "xlsx", "-o", str(out), "--db", rated])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out).active
    assert ws.title == "KPIの状況" and ws.cell(4, 1).value == "改革項目：⑪民間の大胆な活用による適正な民間委託等の加速"
    out = tmp_path / "policy.html"
    result = runner.invoke(app, ["report", "policy", "--policy", "政策8", "-o", str(out), "--db", rated])
    assert result.exit_code == 0 and "電子決裁に要する期間" in out.read_text(encoding="utf-8")
    out = tmp_path / "sheet.html"
    result = runner.invoke(app, ["report", "kpi-sheet", "--kpi", "18", "-o", str(out), "--db", rated])
    assert result.exit_code == 0 and "クラウド導入市区町村数" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("args,named,listed", [
    (["kpi-table", "--edition", "1999"], "'1999'", "2016: 経済・財政再生計画 改革工程表 2016改定版 (2016-12-21)"),
    (["policy", "--policy", "政策1"], "'政策1'", "3: 政策8:電子政府・電子自治体の推進 (002_62d7159f10255d34.txt)"),
    (["kpi-sheet", "--kpi", "999"], "'999'", "18: クラウド導入市区町村数"),
    (["kpi-table", "--edition", "2016", "--computed", "nosuch"], "'nosuch'", "reform-schedule"),
    (["kpi-table", "--edition", "2016", "-f", "docx"], "'docx'", "html, pdf, xlsx"),
])
def test_report_commands_refuse_what_does_not_exist(rated, tmp_path, args, named, listed):
    out = tmp_path / "x.html"
    result = CliRunner().invoke(load_commands(), ["report", *args, "-o", str(out), "--db", rated])
    assert result.exit_code == 1
    assert named in result.output and listed in result.output and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize("args", [["report", "kpi-table", "--edition", "2016"], ["report", "kpi-sheet", "--kpi", "18"],
                                  ["survey", "workbook", "1", "--as", "nobody"]])
def test_an_output_that_is_a_folder_is_refused_before_anything_is_made(rated, tmp_path, args):
    result = CliRunner().invoke(load_commands(), [*args, "-o", str(tmp_path), "--db", rated])
    assert result.exit_code == 1 and f"{tmp_path} is a folder" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["report", "kpi-table", "--edition", "2016"], ["survey", "workbook", "1", "--as", "sec"],
                                  ["publish", "SITE"]])
def test_a_mistyped_database_is_refused_not_made(tmp_path, args):
    """A --db naming no file is refused: made anew and empty, it would publish an empty site over the real one."""
    typo = tmp_path / "typo.db"
    result = CliRunner().invoke(load_commands(), [a.replace("SITE", str(tmp_path / "site")) for a in args]
                                + ["--db", str(typo)])
    assert result.exit_code == 1 and f"no database file at {typo}" in result.output and "Traceback" not in result.output
    assert not typo.exists() and not (tmp_path / "site").exists()


def test_document_and_kpi_pages_link_their_reports(client):
    page = client.get("/documents/1").text
    assert 'href="/documents/1/kpi-table.pdf"' in page and 'href="/documents/1/kpi-table.xlsx"' in page
    assert "policy-table" not in page
    page = client.get("/documents/3?lang=en").text
    assert 'href="/documents/3/policy-table.html?lang=en"' in page
    assert "Measurement indicators" in page
    assert "kpi-table" not in client.get("/documents/4").text  # a measure catalogue has no table
    assert 'href="/kpis/2/sheet.pdf"' in client.get("/kpis/2").text


def test_report_downloads(client):
    r = client.get("/documents/1/kpi-table.html")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert _codes(r.text) == ["-", "B", "B", "A", "N", "B", "N", "N", "A", "N", "A", "N", "A", "F", "N", "N", "N", "A", "A"]
    assert "<script" not in r.text
    r = client.get("/documents/2/kpi-table.html?computed=reform-schedule")
    assert "mieruka再計算" in r.text and len(_codes(r.text)) == 8
    r = client.get("/documents/3/policy-table.xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert openpyxl.load_workbook(io.BytesIO(r.content)).active.title == "測定指標"
    r = client.get("/kpis/2/sheet.html")
    assert r.status_code == 200 and "<svg" in r.text


@pytest.mark.parametrize("path,status,says", [
    ("/documents/4/kpi-table.html", 404, "000_e89baf27ea3ff1c4.txt"),
    ("/documents/1/policy-table.html", 404, "政策8"),
    ("/kpis/999/sheet.html", 404, "クラウド導入市区町村数"),
    ("/kpis/999/sheet.html", 404, "KPI「999」はありません。あるKPI"),
    ("/kpis/999/sheet.html?lang=en", 404, "no KPI &#39;999&#39;. KPIs there are"),
    ("/documents/1/kpi-table.docx", 404, "html、pdf、xlsx"),
    ("/documents/1/kpi-table.docx?lang=en", 404, "Formats there are: html, pdf, xlsx"),
    ("/documents/1/kpi-table.html?computed=nosuch", 404, "reform-schedule"),
    ("/documents/x/kpi-table.html", 422, "document_id"),
])
def test_report_downloads_refuse_what_does_not_exist(client, path, status, says):
    r = client.get(path)
    assert r.status_code == status and says in r.text


def test_english_pages_offer_their_reports_in_english(client, rated, tmp_path):
    """An English page's report links carry lang=en and give the report in English; the command takes --lang."""
    page = client.get("/kpis/2?lang=en").text
    assert 'href="/kpis/2/sheet.html?lang=en"' in page and "in Japanese" not in page
    r = client.get("/kpis/2/sheet.html?lang=en")
    assert r.status_code == 200 and '<h1>Indicator sheet — <span lang="ja">窓口業務のアウトソーシング</span></h1>' in r.text
    assert "<h1>指標シート　窓口業務のアウトソーシング</h1>" in client.get("/kpis/2/sheet.html").text
    r = client.get("/documents/3/policy-table.xlsx?lang=en")
    assert r.status_code == 200 and "policy-3-en.xlsx" in r.headers["content-disposition"]
    assert openpyxl.load_workbook(io.BytesIO(r.content)).active.title == "Indicators"
    assert "Key issue" in client.get("/documents/1/kpi-table.html?lang=en").text
    out = tmp_path / "policy-en.html"
    result = CliRunner().invoke(load_commands(), ["report", "policy", "--policy", "政策8", "--lang", "en", "-o", str(out),
                                                  "--db", rated])
    assert result.exit_code == 0 and "Measurement indicators — 政策8" in out.read_text(encoding="utf-8")
    result = CliRunner().invoke(load_commands(), ["report", "kpi-sheet", "--kpi", "2", "--lang", "fr", "-o",
                                                  str(tmp_path / "x.html"), "--db", rated])
    assert result.exit_code == 1 and "'fr'" in result.output and not (tmp_path / "x.html").exists()


def test_a_served_report_follows_a_write_made_after_it(rated, tmp_path):
    """A report is kept per state of the database: a row's name changed after the table was served (a write that adds
    no document and stores no rating) shows in the next answer, in HTML and in XLSX."""
    import shutil

    from mieruka.storage import models as m
    from mieruka.web.app import create_app

    url = f"sqlite:///{tmp_path / 'renamed.db'}"
    shutil.copy(rated.removeprefix("sqlite:///"), tmp_path / "renamed.db")
    served = TestClient(create_app(url))
    before = served.get("/documents/1/kpi-table.html").text
    workbook = served.get("/documents/1/kpi-table.xlsx").content
    with storage.session_scope(url) as s:
        row = s.scalars(select(m.KpiAppearance).where(m.KpiAppearance.document_id == 1, m.KpiAppearance.next_measurement
                                                      .is_not(None)).order_by(m.KpiAppearance.line_start)).first()
        old, row.name_as_written = row.name_as_written, "改名した指標"
    assert before.count(old) == 1 and "改名した指標" not in before
    after = served.get("/documents/1/kpi-table.html").text
    assert after.count("改名した指標") == 1 and after.count(old) == 0
    cells = [c.value for r in openpyxl.load_workbook(io.BytesIO(served.get("/documents/1/kpi-table.xlsx").content))
             .active.iter_rows() for c in r]
    assert "改名した指標" in cells and old not in cells and workbook != served.get("/documents/1/kpi-table.xlsx").content
    storage.dispose_engines()
