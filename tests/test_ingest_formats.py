"""The same document read from every format users hold: UTF-8, CP932, UTF-16, HTML, PDF and XLSX.
The fixture is our own short text in the presentation layout; PDF and XLSX are generated here."""
from pathlib import Path

import pytest
from sqlalchemy import select

from mieruka import storage
from mieruka.loading.documents import ingest_paths
from mieruka.ingest.sources import read_document
from mieruka.storage import models as m
from mieruka.storage.queries import case_rows

LINES = [
    "公共サービスイノベーション・プラットフォーム in 試験",
    "平成29年7月7日",
    "内閣府",
    "○ 先進的な取組事例",
    "① 窓口業務のアウトソーシング",
    "【神奈川県海老名市】",
    "- ・ 窓口の業務を委託した",
    "効果として、",
    "- ・ 市民総合窓口:0.5億円(▲24%)コスト削減(1年間)",
    "○ 「改革工程表」のKPI",
    "窓口のアウトソーシング導入市町村数",
    "2014年度:208団体⇒2020年度:416団体に",
]
TEXT = "\n\n".join(LINES) + "\n"


def _check_loaded(url, name):
    with storage.session_scope(url) as s:
        doc = s.scalars(select(m.Document).where(m.Document.file_name == name)).one()
        assert doc.family == "platform-presentation"
        cases = case_rows(s)
    [case] = cases
    assert case["municipalities"] == ["神奈川県海老名市"]
    effect = case["effects"][0]
    assert (effect["amount_yen"], effect["change_percent"], effect["period_years"]) == (50_000_000, -24.0, 1)
    return doc


@pytest.mark.parametrize("encoding,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932"),
                                               ("utf-16", "utf-16")])
def test_text_encodings(tmp_path, sqlite_url, encoding, expected):
    path = tmp_path / f"deck-{encoding}.txt"
    path.write_bytes(TEXT.encode(encoding))
    assert read_document(path).text == TEXT
    [report] = ingest_paths([path], sqlite_url)
    assert report.status == "loaded", report.error
    assert report.encoding == expected
    doc = _check_loaded(sqlite_url, path.name)
    assert doc.raw == path.read_bytes()


def test_crlf_line_endings_keep_line_numbers(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(TEXT.replace("\n", "\r\n").encode("cp932"))
    assert read_document(path).text.split("\n")[10] == "【神奈川県海老名市】"


def test_html(tmp_path, sqlite_url):
    body = "".join(f"<p>{line.replace('<', '&lt;')}</p>\n" for line in LINES)
    path = tmp_path / "deck.html"
    path.write_text(f"<!DOCTYPE html><html lang=ja><body>{body}</body></html>", encoding="utf-8")
    [report] = ingest_paths([path], sqlite_url)
    assert report.status == "loaded", report.error
    _check_loaded(sqlite_url, path.name)


def _write_pdf(path: Path, lines: list[str]) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    c = canvas.Canvas(str(path))
    c.setFont("HeiseiKakuGo-W5", 10)
    y = 800
    for line in lines:
        c.drawString(40, y, line)
        y -= 28
    c.save()


def test_pdf_generated_from_fixture(tmp_path, sqlite_url):
    path = tmp_path / "deck.pdf"
    _write_pdf(path, LINES)
    [report] = ingest_paths([path], sqlite_url)
    assert report.status == "loaded", report.error
    assert report.encoding == "pdf"
    _check_loaded(sqlite_url, path.name)


def test_xlsx(tmp_path, sqlite_url):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for line in LINES:
        ws.append([line])
        ws.append([])
    path = tmp_path / "deck.xlsx"
    wb.save(path)
    [report] = ingest_paths([path], sqlite_url)
    assert report.status == "loaded", report.error
    _check_loaded(sqlite_url, path.name)


def test_folder_expands_to_supported_files(tmp_path, sqlite_url):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "notes.docx").write_bytes(b"ignored")
    reports = ingest_paths([tmp_path], sqlite_url)
    assert [Path(r.file).name for r in reports] == ["a.txt"]
