"""The published tables hold the rows of the documents' own tables: the KPI status table (KPIの状況) of the 2016
edition in the sample, the policy evaluation sheet's indicators, and one indicator sheet, in HTML, XLSX and PDF."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from mieruka import storage
from mieruka.publish import reports
from mieruka.publish.sources import UnknownReportSource
from mieruka.publish.workbook import WAREKI_FORMAT
from publish_helpers import html_rows, norm, pdf_tables, pdf_text, xlsx_rows

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "publish"
AT = datetime(2026, 4, 1, 3, 0, tzinfo=timezone.utc)

# The KPI status tables of the 2016 edition (seed 000), row by row as the document prints them: KPI (start of),
# target, actual (start of), rating. The mieruka table adds 【再掲】 where a KPI comes back.
EXPECTED_2016 = [
    ("窓口業務のアウトソーシングなど汎用性", "-", "-", "-"),
    ("-1窓口業務のアウトソーシング", "2020年度までに416団体", "301団体(2017年4月速報値)", "B"),
    ("-2総合窓口の導入", "2020年度までに370団体", "215団体(2017年4月速報値)", "B"),
    ("庶務業務の集約化", "2020年度までに286団体", "413団体(2017年4月速報値)", "A"),
    ("歳出効率化の成果(事後的に検証する指標)", "-", "-", "N"),
    ("標準委託仕様書等を使用するモデル自治体", "6団体(2016年度)", "4団体(各自治体の申入れにより下方修正)", "B"),
    ("モデル自治体等において法令等に則り窓口", "-", "-", "N"),
    ("歳出効率化の成果(事後的に検証する指標)【再掲】", "-", "-", "N"),
    ("「連携中枢都市圏」の形成数", "2020年度までに30圏域", "23圏域(2017年10月1日現在)", "A"),
    ("社会人口増減など(事後的に検証する指標)", "各圏域において設定", "連携中枢都市圏ビジョンを策定している23", "N"),
    ("「定住自立圏」の協定締結等圏域数", "2020年度までに140圏域", "119圏域(2017年10月1日現在)", "A"),
    ("社会人口増減など(事後的に検証する指標)【再掲】", "各圏域において設定", "共生ビジョンを策定している110圏域", "N"),
    ("各種証明書のコンビニ交付の実施団体数", "2016年度中に300団体(実施団体の人口6000万人)", "430団体、約7,693万人(2017年8月31日時点)", "A"),
    ("IT化・BPRに取り組んだ自治体数", "検討中(2016度中に設定)", "(参考)【番号室】子育てワンストップ", "F"),
    ("マイナンバー制度の活用や国による地方", "-", "-", "N"),
    ("自治体にアドバイスや意見交換等を行った件数", "150件(2018年度まで)", "2017年度末に集計予定", "N"),
    ("マイナンバー制度の活用や国による地方", "-", "-", "N"),
    ("政府情報システム数", "2012年度から2018年度までに半減(2012年度:1450)", "1117(2016年度末)", "A"),
    ("政府情報システム運用コスト", "2013年度から2021年度めどに3割圧縮(2013年度:4000億円)", "2013年度と比べて257億円の削減(2015年度)", "A"),
]
ITEMS_2016 = [("⑪", 8), ("⑫", 4), ("⑬", 5), ("⑭", 2)]
REPEATED_2016 = [7, 11, 16]  # rows marked 【再掲】 (0-based)


def _same(rows: list[tuple[str, str, str, str]]) -> None:
    assert len(rows) == len(EXPECTED_2016)
    for got, want in zip(rows, EXPECTED_2016):
        name, target, actual, code = (norm(x) for x in got)
        assert name.startswith(norm(want[0])), (got, want)
        assert target == norm(want[1]), (got, want)
        assert actual.startswith(norm(want[2])), (got, want)
        assert code == want[3], (got, want)
    for i, (name, *_rest) in enumerate(rows):
        assert (norm(name).endswith("【再掲】")) == (i in REPEATED_2016), name


@pytest.fixture(scope="module")
def rated(tmp_path_factory):
    from mieruka.web.evaluation import demo_database

    url = f"sqlite:///{tmp_path_factory.mktemp('publish') / 'sample.db'}"
    demo_database(url)
    yield url
    storage.dispose_engines()


def _report(url, kind, wanted, fmt, **kw):
    with storage.session_scope(url) as s:
        return getattr(reports, kind)(s, wanted, fmt, at=AT, **kw)


def _save(name: str, content: bytes) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(content)
    return path


def test_kpi_table_html_holds_the_2016_table(rated):
    report = _report(rated, "kpi_table_report", "2016", "html")
    html = report.content.decode("utf-8")
    assert report.file_name == "kpi-table-1.html"
    rows = [r for r in html_rows(html) if "data-kpi" in r["attrs"]]
    cells = [r["cells"][-5:] for r in rows]  # a tier cell opens only the first row of its tier
    _same([(c[0], c[1], c[2], c[3]) for c in cells])
    assert re.findall(r"改革項目：([①-⑳])", html) == ["⑪", "⑫", "⑬", "⑭"]  # one table per 改革項目
    assert html.count("重要課題：地方交付税をはじめとした地方の財政に係る制度の改革") == 4
    tiers = [r["cells"][0] for r in rows if len(r["cells"]) == 6]
    assert tiers == ["第一階層", "第二階層", "第一階層", "第二階層", "第一階層", "第二階層", "第一階層", "第二階層",
                     "第一階層", "第二階層", "第一階層", "第二階層", "第一階層", "第二階層"]
    assert 'rowspan="4"' in html  # 第一階層 over the first four rows of ⑪
    # print layout: A4 landscape, page numbers, header repeated, the edition's date both ways, no script, no chrome
    assert "size: A4 landscape" in html and "counter(page)" in html and "table-header-group" in html
    assert "2016-12-21（平成28年12月21日）" in html
    assert "<script" not in html and "<nav" not in html and "<a " not in html
    assert "2026-04-01（令和8年4月1日） 12:00" in html  # generated at, Japan time
    assert cells[1][2] == "301団体(2017年4月速報値)時点 2017年4月（平成29年4月） 速報値"
    assert cells[9][2].endswith("時点 2017-10-01（平成29年10月1日）") or "2017-10-01" in cells[8][2]
    assert "mieruka" not in "".join(c for r in html_rows(html) if not r["attrs"] for c in r["cells"])


def test_kpi_table_shows_the_recomputation_only_when_asked(rated):
    html = _report(rated, "kpi_table_report", "2016", "html", computed_scheme="reform-schedule").content.decode()
    heads = [c for r in html_rows(html) if not r["attrs"] for c in r["cells"]]
    assert "mieruka再計算" in heads
    rows = [r["cells"][-6:] for r in html_rows(html) if "data-kpi" in r["attrs"]]
    official, computed = [r[3] for r in rows], [r[4] for r in rows]
    assert official == [w[3] for w in EXPECTED_2016]
    assert set(computed) - {""} <= {"A", "B", "C", "D", "N", "F"} and any(computed)


def test_kpi_table_xlsx_holds_the_2016_table(rated):
    report = _report(rated, "kpi_table_report", "2016", "xlsx")
    _save("kpi-table-2016.xlsx", report.content)
    values, ws = xlsx_rows(report.content)
    kpi_rows = [r for r in values if r[4] in ("A", "B", "N", "F", "-") and r[1]]
    _same([(r[1], r[2], r[3], r[4]) for r in kpi_rows])
    items = [r[0] for r in values if r[0] and str(r[0]).startswith("改革項目：")]
    assert [i[5] for i in items] == ["⑪", "⑫", "⑬", "⑭"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert "A3:F3" in merged and "A4:F4" in merged  # 重要課題, 改革項目 over the table's width
    assert "A6:B6" in merged and "A7:A10" in merged  # the KPI header over two columns; 第一階層 over four rows
    assert ws.print_title_rows == "$6:$6"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.cell(8, 4).value == "301団体(2017年4月速報値) ／ 時点 2017年4月（平成29年4月） 速報値"
    assert ws.cell(7, 2).border.left.style == "thin"
    assert ws.cell(1, 6).value == "2016-12-21（平成28年12月21日）"


@pytest.mark.browser
def test_kpi_table_pdf_holds_the_2016_table_as_text(rated):
    report = _report(rated, "kpi_table_report", "2016", "pdf")
    path = _save("kpi-table-2016.pdf", report.content)
    rows = [r[-5:] for r in pdf_tables(report.content) if r[-2] in ("A", "B", "N", "F", "-") and r[-5]]
    _same([(r[0], r[1], r[2], r[3]) for r in rows])
    text = norm(pdf_text(report.content))
    assert "重要課題:地方交付税をはじめとした地方の財政に係る制度の改革" in text
    assert norm("2016-12-21（平成28年12月21日）") in text
    assert "1/3" in text and "3/3" in text  # page numbers from CSS @page
    _first_page_png(path)


def _first_page_png(pdf: Path) -> Path:
    """The first page as PNG beside the PDF: pdftoppm when poppler-utils is there, else pdfplumber's renderer."""
    out = pdf.with_suffix("")
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(out)],
                       check=True)
    else:
        import pdfplumber

        with pdfplumber.open(pdf) as doc:
            doc.pages[0].to_image(resolution=80).save(f"{out}.png")
    png = Path(f"{out}.png")
    assert png.stat().st_size > 10_000
    return png


def test_policy_table_html_and_xlsx_hold_the_indicators(rated):
    html = _report(rated, "policy_report", "政策8", "html").content.decode()
    rows = [r for r in html_rows(html) if "data-kpi" in r["attrs"]]
    firsts = [r["cells"] for r in rows if r["cells"][3] == "目標"]
    assert [c[0] for c in firsts] == ["1", "2", "2", "③", "4", "⑤", "6", "7", "8", "9", "10"]
    assert [c[-1] for c in firsts] == ["イ", "イ", "イ", "イ", "ハ", "イ", "イ", "イ", "イ", "イ", "イ"]
    heads = [c for r in html_rows(html) if not r["attrs"] for c in r["cells"]]
    assert "2016年度（平成28年度）" in heads and "2018年度（平成30年度）" in heads
    e_decision = next(c for c in firsts if c[1].startswith("電子決裁"))
    assert e_decision[2] == "40.1時間 【26年度】" and e_decision[4:7] == ["38時間以内", "35時間以内", "32時間以内"]
    actuals = [r["cells"] for r in rows if r["cells"][0] == "実績"]
    assert actuals[4][1:4] == ["56.9時間", "58.7時間", "60.3時間"]
    assert "相当程度進展あり" in html

    values, ws = xlsx_rows(_report(rated, "policy_report", "3", "xlsx").content)
    numbers = [r[0] for r in values[4:] if r[3] == "目標"]
    assert numbers == ["1", "2", "2", "③", "4", "⑤", "6", "7", "8", "9", "10"]
    results = [r for r in values if r[0] and str(r[0]).startswith("目標達成度合い")]
    assert results[0][3] == "相当程度進展あり"
    assert ws.print_title_rows == "$3:$4"


@pytest.mark.browser
def test_policy_table_pdf(rated):
    report = _report(rated, "policy_report", "政策8", "pdf")
    path = _save("policy-8.pdf", report.content)
    text = norm(pdf_text(report.content))
    assert "電子決裁に要する期間" in text and "相当程度進展あり" in text and "平成28年度" in text
    _first_page_png(path)


def test_kpi_sheet_has_svg_chart_values_and_ratings(rated):
    html = _report(rated, "kpi_sheet_report", "2", "html").content.decode()
    assert "<svg" in html and "<script" not in html and "size: A4 portrait" in html
    assert html.count("<circle") >= 1 and "301" in html
    rows = [r["cells"] for r in html_rows(html)]
    actuals = [r for r in rows if r and r[0] == "実績"]
    assert len(actuals) == 1 and actuals[0][1] == "301団体(2017年4月速報値)" and actuals[0][3] == "速報値"
    # a figure cites its documents by number and line, 出典 names each number by title and date, no file name
    assert actuals[0][4] == "[1]、12行目、[2]、29行目"
    assert ("[1] 「改革工程表の進捗状況（地方交付税をはじめとした地方の財政に係る制度の改革 ⑪〜⑮）」"
            "2017-10-01（平成29年10月1日）時点の数値、[2] 「改革工程表の進捗状況（地方交付税をはじめとした地方の財政に係る"
            "制度の改革 ⑯・⑰）」2017-04-01（平成29年4月1日）時点の数値") in html
    assert "000_e89baf27ea3ff1c4.txt" not in html and "001_e45c8b7264fa866c.txt" not in html
    ratings = [r for r in rows if r and r[0] in ("公表", "mieruka")]
    assert [r[2] for r in ratings if r[0] == "公表"] == ["B", "A"]  # 000 rated it B, 001 rated it A
    assert any(r[0] == "mieruka" and r[4] for r in ratings)  # computed, with its explanation


def test_kpi_sheet_xlsx_holds_the_values_ratings_and_print_settings(rated):
    """The indicator sheet's workbook (written from a template made once, not cell by cell through openpyxl): the
    KPI's lines merged across, the values' header repeated on every page, dates real dates shown in 和暦."""
    import io

    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(_report(rated, "kpi_sheet_report", "2", "xlsx").content)).active
    assert ws.title == "指標シート" and ws["A1"].value == "指標シート　窓口業務のアウトソーシング" and ws["A1"].font.sz == 13
    assert [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(2, 6)] == [
        ("改革項目", "⑪民間の大胆な活用による適正な民間委託等の加速"), ("階層", "第一階層"), ("単位", "団体"),
        ("府省庁", "総務省自治行政局 地域力創造グループ")]
    assert sorted(str(r) for r in ws.merged_cells.ranges) == ["B2:E2", "B3:E3", "B4:E4", "B5:E5"]
    assert ws["E2"].border.right.style == "thin" and ws["C2"].border.top.style == "thin"
    assert [c.value for c in ws[7]] == ["種別", "値（文書の記載）", "時点・期限", "速報・確報", "出典"]
    assert ws["A7"].fill.fgColor.rgb == "00E8E8E8" and ws["A7"].font.b and ws["A7"].alignment.horizontal == "center"
    assert ws.print_title_rows == "$7:$7" and ws.freeze_panes == "A8"
    assert (ws.page_setup.paperSize, ws.page_setup.orientation, ws.page_setup.fitToWidth) == (9, "portrait", 1)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.oddFooter.center.text == "&P / &N"
    assert [ws.column_dimensions[c].width for c in "ABCDE"] == [10, 40, 16, 10, 30]
    actual = next(r for r in range(8, ws.max_row + 1) if ws.cell(r, 1).value == "実績")
    assert [ws.cell(actual, c).value for c in range(1, 5)] == ["実績", "301団体(2017年4月速報値)", "2017年4月（平成29年4月）", "速報値"]
    assert ws.cell(actual, 2).border.left.style == "thin" and ws.cell(actual, 2).font.sz == 9
    head = next(r for r in range(8, ws.max_row + 1) if ws.cell(r, 1).value == "評価")
    assert ws.cell(head, 5).value == "説明・出典" and ws.cell(head, 5).fill.fgColor.rgb == "00E8E8E8"
    official = [ws.cell(r, 3) for r in range(head + 1, ws.max_row + 1) if ws.cell(r, 1).value == "公表"]
    assert [c.value for c in official] == ["B", "A"] and official[0].font.b and official[0].alignment.horizontal == "center"
    dated = ws.cell(official[0].row, 4)
    assert dated.value == datetime(2017, 4, 1) and dated.number_format == WAREKI_FORMAT
    assert ws.cell(ws.max_row, 1).value.startswith("出典: [1] 「改革工程表の進捗状況（地方交付税をはじめとした地方の財政に係る制度の改革 ⑪〜⑮）」2017-10-01") and ws.cell(ws.max_row, 1).font.sz == 8


def test_kpi_sheet_xlsx_keeps_hostile_text_as_text():
    """A document's text that a spreadsheet would run (=HYPERLINK) stays quoted text; characters XML cannot hold are
    their pictures; surrounding spaces, markup characters and line breaks are kept."""
    import io

    import openpyxl

    from mieruka.publish.kpi_sheet import KpiSheet, RatingRow, ValueRow, to_xlsx

    sheet = KpiSheet(kpi_id=1, name="名<&>", item="=HYPERLINK(\"http://x\")", tier="第一階層", unit=None,
                     organisation="府省\x07庁", values=[ValueRow("actual", " 200団体\r\n次 ", date(2017, 4, 30), "preliminary", "d", "day"),
                                                       ValueRow("actual", "@SUM(A1)", None, None, "", None)],
                     ratings=[RatingRow(False, "s", "=B", None, "=1+1", "")], documents=[], chart_svg="")
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(sheet))).active
    assert ws["A1"].value == "指標シート　名<&>"
    assert ws["B2"].value == '=HYPERLINK("http://x")' and ws["B2"].data_type == "s" and ws["B2"].quotePrefix
    assert ws["B4"].value == "-" and ws["B5"].value == "府省␇庁" and not ws["B5"].quotePrefix
    assert ws["B8"].value == " 200団体\r\n次 " and ws["C8"].value == datetime(2017, 4, 30)
    assert ws["B9"].value == "@SUM(A1)" and ws["B9"].quotePrefix and ws["C9"].value is None
    assert ws["C12"].value == "=B" and ws["C12"].quotePrefix and ws["C12"].font.b and ws["E12"].value == "=1+1"
    assert ws["A15"].value == "出典: -"


@pytest.mark.browser
def test_kpi_sheet_pdf_is_one_page(rated):
    import pdfplumber
    import io

    report = _report(rated, "kpi_sheet_report", "2", "pdf")
    path = _save("kpi-sheet-2.pdf", report.content)
    with pdfplumber.open(io.BytesIO(report.content)) as pdf:
        assert len(pdf.pages) == 1 and pdf.pages[0].height > pdf.pages[0].width
    assert "窓口業務のアウトソーシング" in norm(pdf_text(report.content))
    _first_page_png(path)


@pytest.mark.parametrize("kind,wanted,listed", [
    ("kpi_table_report", "1999", "経済・財政再生計画 改革工程表 2016改定版"),
    ("kpi_table_report", "nosuchfile", "001_e45c8b7264fa866c.txt"),
    ("policy_report", "政策99", "政策8:電子政府・電子自治体の推進"),
    ("kpi_sheet_report", "99999", "窓口業務のアウトソーシング"),
])
def test_unknown_source_names_it_and_lists_what_exists(rated, kind, wanted, listed):
    with pytest.raises(UnknownReportSource) as e:
        _report(rated, kind, wanted, "html")
    assert f"'{wanted}'" in str(e.value) and listed in str(e.value)


def test_a_document_without_an_edition_is_found_by_file_name(rated):
    html = _report(rated, "kpi_table_report", "001", "html").content.decode()
    codes = [r["cells"][-2] for r in html_rows(html) if "data-kpi" in r["attrs"]]
    assert codes == ["-", "A", "A", "A", "A", "N", "N", "A"]


def _table_facts(url: str, wanted) -> list[tuple]:
    from mieruka.publish.kpi_table import build_kpi_status_table, printed_rows
    from mieruka.publish.sources import document_source, resolve_edition
    from mieruka.storage.publishing import kpi_status_rows, report_sources

    with storage.session_scope(url) as s:
        sources = report_sources(s)
        source = document_source(sources, wanted) if isinstance(wanted, int) else resolve_edition(sources, wanted)
        raw = printed_rows(kpi_status_rows(s, source.document_id))
        table = build_kpi_status_table(source, raw)
    facts = []
    for item in (i for t in table.themes for i in t.items):
        for row, r in zip(item.rows, [x for x in raw if (x["item_number"], x["item_name"]) == (item.number, item.name)]):
            facts.append((item.number, norm(row.name), row.tier, row.rating, row.repeated,
                          # a 見込み printed in the progress text outside the table (000 l.333) is not the table's
                          [(o["value"], o["as_of"], o["status"]) for o in r["observations"]
                           if o["status"] != "forecast" or all(x["status"] == "forecast" for x in r["observations"])],
                          [(t["value"], t["deadline"]) for t in r["targets"]]))
    return facts


# Facts of the 2016 table as mieruka stores them (seed 000): 改革項目, KPI, tier, official rating, 【再掲】,
# actuals (value, point in time, kind), targets (value, deadline). The round trip must give each back exactly.
ROUND_TRIP_2016 = {
    1: ("⑪", "-1窓口業務のアウトソーシング", 1, "B", False, [(301.0, date(2017, 4, 1), "preliminary")],
        [(416.0, date(2021, 3, 31))]),
    3: ("⑪", "庶務業務の集約化", 1, "A", False, [(413.0, date(2017, 4, 1), "preliminary")], [(286.0, date(2021, 3, 31))]),
    5: ("⑪", "標準委託仕様書等を使用するモデル自治体数", 1, "B", False, [(4.0, None, None)], [(6.0, date(2017, 3, 31))]),
    7: ("⑪", "歳出効率化の成果(事後的に検証する指標)", 2, "N", True, [], []),
    10: ("⑫", "「定住自立圏」の協定締結等圏域数", 1, "A", False, [(119.0, date(2017, 10, 1), None)],
         [(140.0, date(2021, 3, 31))]),
    13: ("⑬", "IT化・BPRに取り組んだ自治体数", 1, "F", False, [(None, None, None)], [(None, None)]),
    15: ("⑬", "自治体にアドバイスや意見交換等を行った件数", 1, "N", False, [], [(150.0, date(2019, 3, 31))]),
    18: ("⑭", "政府情報システム運用コスト", 2, "A", False, [(374_300_000_000.0, date(2016, 3, 31), None)],
         [(None, date(2022, 3, 31))]),
}


@pytest.mark.parametrize("fmt", ["xlsx", pytest.param("pdf", marks=pytest.mark.browser)])
def test_round_trip_ingesting_our_table_gives_back_the_table(rated, tmp_path, fmt):
    """mieruka reads what it publishes: the XLSX and the PDF of the 2016 table, each ingested into an empty
    database, are the same table — KPIs, tiers, values, dates, kinds of value, targets, ratings, 【再掲】."""
    from mieruka.loading.documents import ingest_paths
    from mieruka.storage.queries import kpi_rows

    path = tmp_path / f"kpi-table-2016.{fmt}"
    path.write_bytes(_report(rated, "kpi_table_report", "2016", fmt).content)
    url = f"sqlite:///{tmp_path / 'again.db'}"
    reports_ = ingest_paths([path], url)
    assert [r.status for r in reports_] == ["loaded"] and reports_[0].family == "reform-schedule"
    original, again = _table_facts(rated, "2016"), _table_facts(url, path.name)
    for row, expected in ROUND_TRIP_2016.items():
        assert original[row] == expected  # what was published ...
        assert again[row] == expected, (fmt, row)  # ... is what comes back
    assert [f[0] for f in again] == ["⑪"] * 8 + ["⑫"] * 4 + ["⑬"] * 5 + ["⑭"] * 2
    assert len(again) == len(original) == 19
    for a, b in zip(again, original):
        assert a == b
    with storage.session_scope(url) as s:
        # a KPI printed twice (【再掲】) is one KPI again; the population read out of the コンビニ交付 row is its own again
        assert len(kpi_rows(s)) == 17


def test_kpi_table_in_english(rated):
    """--lang en: the table's own words, notes and dates in English; the document's text (names, values) as written."""
    report = _report(rated, "kpi_table_report", "2016", "html", lang="en")
    html = report.content.decode("utf-8")
    assert report.file_name == "kpi-table-1-en.html" and '<html lang="en">' in html
    heads = [c for r in html_rows(html) if not r["attrs"] for c in r["cells"]]
    assert heads[:6] == ["KPI", "Target (deadline)", "Progress of the KPI", "Actual (as of)", "Rating",
                         "Next measurement and policy"]
    rows = [r["cells"] for r in html_rows(html) if "data-kpi" in r["attrs"]]
    assert rows[0][0] == "Tier 1" and rows[1][-3] == "301団体(2017年4月速報値)as of Apr 2017 preliminary"
    assert rows[7][-5] == "歳出効率化の成果(事後的に検証する指標) [repeated]"
    assert 'Key issue: <span lang="ja">地方交付税をはじめとした地方の財政に係る制度の改革</span>' in html and "Generated" not in html
    assert "2016-12-21" in html and "平成" not in html and "重要課題" not in html and "区分" not in html
    assert "Made by: mieruka <span class=\"generated\">2026-04-01 03:00 UTC</span>" in html
    values, ws = xlsx_rows(_report(rated, "kpi_table_report", "2016", "xlsx", lang="en").content)
    assert ws.title == "KPI status" and values[0][5] == "2016-12-21"
    assert [v for v in values[5] if v] == ["KPI", "Target (deadline)", "Actual (as of)", "Rating",
                                           "Next measurement and policy"]
    assert values[6][0] == "Tier 1" and values[7][3] == "301団体(2017年4月速報値) / as of Apr 2017 preliminary"
    assert [v for row in values for v in row if isinstance(v, str) and "／" in v] == []  # the seed's text has none
    heads = [str(v[0]) for v in values if v[0] and str(v[0]).startswith(("Key issue", "Reform item"))]
    assert heads[:2] == ["Key issue: 地方交付税をはじめとした地方の財政に係る制度の改革",
                         "Reform item: ⑪民間の大胆な活用による適正な民間委託等の加速"]
    assert not any("：" in h for h in heads) and "KPI status　" not in html and "KPI status — " in html
    with pytest.raises(reports.UnknownFormat, match="'fr'"):
        _report(rated, "kpi_table_report", "2016", "html", lang="fr")


def test_policy_table_in_english(rated):
    """lang="en": headings, fiscal years, legend and dates in English; the sheet's indicators, values and its
    achievement classes (イ/ロ/ハ) as written."""
    report = _report(rated, "policy_report", "政策8", "html", lang="en")
    html = report.content.decode("utf-8")
    assert report.file_name == "policy-3-en.html" and '<html lang="en">' in html
    heads = [c for r in html_rows(html) if not r["attrs"] for c in r["cells"]]
    assert heads[:5] == ["No.", "Indicator", "Baseline (fiscal year)", "", "Target / actual by fiscal year"]
    assert "FY2016" in heads and "FY2018" in heads and not any("年度（" in h for h in heads)
    rows = [r["cells"] for r in html_rows(html) if "data-kpi" in r["attrs"]]
    firsts = [c for c in rows if c[3] == "Target"]
    assert [c[0] for c in firsts] == ["1", "2", "2", "③", "4", "⑤", "6", "7", "8", "9", "10"]
    assert [c[-1] for c in firsts] == ["イ", "イ", "イ", "イ", "ハ", "イ", "イ", "イ", "イ", "イ", "イ"]
    e_decision = next(c for c in firsts if c[1].startswith("電子決裁"))
    assert e_decision[4:7] == ["38時間以内", "35時間以内", "32時間以内"]
    assert [c for c in rows if c[0] == "Actual"][4][1:4] == ["56.9時間", "58.7時間", "60.3時間"]
    assert "Result of measuring the degree of achievement" in html and "相当程度進展あり" in html
    assert "イ target achieved" in html and "達成区分" not in html
    # the sheet's date in Western form only; its title and values keep the sheet's own 平成
    assert '<span lang="ja">主要な政策に係る評価書(平成30年度実施政策)</span><br>2019-08-01</p>' in html and "令和" not in html

    values, ws = xlsx_rows(_report(rated, "policy_report", "3", "xlsx", lang="en").content)
    assert ws.title == "Indicators" and values[0][0] == "Measurement indicators — 政策8:電子政府・電子自治体の推進"
    assert [v for v in values[2] if v][:3] == ["No.", "Indicator", "Baseline (fiscal year)"]
    assert [r[0] for r in values[4:] if r[3] == "Target"] == ["1", "2", "2", "③", "4", "⑤", "6", "7", "8", "9", "10"]
    assert any(r[0] and str(r[0]).startswith("Source: “") for r in values)


def test_kpi_sheet_in_english(rated):
    """The indicator sheet's words, kinds, value status and dates in English; names, values and explanations as the
    documents write them; sources by title in English quotes."""
    import io

    import openpyxl

    report = _report(rated, "kpi_sheet_report", "2", "html", lang="en")
    html = report.content.decode("utf-8")
    assert report.file_name == "kpi-2-en.html" and '<html lang="en">' in html
    assert '<h1>Indicator sheet — <span lang="ja">窓口業務のアウトソーシング</span></h1>' in html and "<h2>Trend</h2>" in html
    rows = [r["cells"] for r in html_rows(html)]
    actuals = [r for r in rows if r and r[0] == "Actual"]
    assert actuals == [["Actual", "301団体(2017年4月速報値)", "Apr 2017", "preliminary", "[1], line 12; [2], line 29"]]
    assert [r[2] for r in rows if r and r[0] == "Published"] == ["B", "A"]
    assert [r[3] for r in rows if r and r[0] == "Published"] == ["2017-04-01", "2017-04-01"]
    computed = next(r for r in rows if r and r[0] == "mieruka" and r[1] == "reform-schedule")
    assert computed[2:4] == ["A", "2019-03-31"] and computed[4].startswith("Against the target of 416 bodies (by end of FY2020), 301 bodies (Apr 2017)")
    assert ">FY2017</text>" in html and "年度</text>" not in html and ">Actual</text>" in html
    assert '<dt>Ministry</dt><dd><span lang="ja">総務省自治行政局 地域力創造グループ</span></dd>' in html and "<dt>Tier</dt><dd>Tier 1</dd>" in html
    assert '[1] “<span lang="ja">改革工程表の進捗状況（地方交付税をはじめとした地方の財政に係る制度の改革 ⑪〜⑮）</span>” (figures as of 2017-10-01)' in html
    for japanese in ("指標シート", "実績", "公表", "出典", "平成", "令和", "速報値</td>"):
        assert japanese not in html, japanese

    ws = openpyxl.load_workbook(io.BytesIO(_report(rated, "kpi_sheet_report", "2", "xlsx", lang="en").content)).active
    assert ws.title == "Indicator sheet" and ws["A1"].value == "Indicator sheet — 窓口業務のアウトソーシング"
    assert [ws.cell(r, 1).value for r in range(2, 6)] == ["Reform item", "Tier", "Unit", "Ministry"]
    assert [c.value for c in ws[7]] == ["Kind", "Value (as the document writes it)", "As of / deadline",
                                        "Preliminary / final", "Source"]
    actual = next(r for r in range(8, ws.max_row + 1) if ws.cell(r, 1).value == "Actual")
    assert [ws.cell(actual, c).value for c in range(1, 5)] == ["Actual", "301団体(2017年4月速報値)", "Apr 2017", "preliminary"]
    official = [r for r in range(8, ws.max_row + 1) if ws.cell(r, 1).value == "Published"]
    assert ws.cell(official[0], 4).value == "2017-04-01"
    assert ws.cell(ws.max_row, 1).value.startswith("Source: [1] “改革工程表の進捗状況")
    with pytest.raises(reports.UnknownFormat, match="'de'"):
        _report(rated, "kpi_sheet_report", "2", "html", lang="de")
