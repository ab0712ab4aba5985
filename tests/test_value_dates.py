"""Issue 11, class 4 for values: a value the document gives for a fiscal year (「2014年度:208団体」, a figure in a 28年度
column) is stored at the year's 31 March with fiscal_year precision and shown as that 年度 — 「2014年度（平成26年度）」 —
never as 2015-03-31 nor as 年度末; 年度末 only where the document prints 末 or までに for it. Pages, explanations, the
CLI, the reports and the CSV/XLSX/JSON downloads all carry it. On the seeds and on small documents of the same shapes
with other numbers."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fastapi.testclient import TestClient

from mieruka import storage
from mieruka.cli.ingest import _kpi_line
from mieruka.evaluate.rate import rate_all
from mieruka.evaluate.schemes import load
from mieruka.export.shapes import kpi_listing
from mieruka.jp.dates import format_period_en, format_period_ja, point_end
from mieruka.loading.documents import ingest_file
from mieruka.publish.kpi_sheet import build_kpi_sheet
from mieruka.records import extraction as r
from mieruka.storage.load import add_document, store_extraction
from mieruka.storage.queries import kpi_rows
from mieruka.web import create_app

# The shape of seed 004 (l.93–95) and of seed 000 (l.12, l.332) with other numbers and years.
PRESENTATION = "\n".join([
    "", "公共サービスイノベーション・プラットフォーム in 四国", "", "窓口改革の取組について", "", "平成30年11月2日", "",
    "内閣府", "", "○ 「改革工程表」のKPI", "", "窓口の委託導入市町村数", "", "2015年度:310団体⇒2021年度:520団体に", ""])
SCHEDULE = "\n".join([
    "重要課題: 地方の行財政の改革", "", "改革項目: 窓口業務の民間委託の推進", "", "KPIの状況", "",
    "KPI\t目標値 (達成時期)\tKPIの進捗\t\t",
    "\t\t実績値 (時点)\t区分\t次回の把握時期と今後の方針",
    "第一階層 窓口業務の委託団体数\t2022年度までに 500団体\t330団体 (2016年度)\tA\t2019年6月頃に公表。",
    "第一階層 業務システム数\t2016年度から2021年度までに半減(2016年度:900)\t620 (2017年度末)\tA\t"
    "2018年度末実績は翌年度末に把握。",
    ""])


def _load(url, *paths):
    storage.ensure_schema(url)
    for p in paths:
        ingest_file(p, url)
    with storage.session_scope(url) as s:
        return {k["name"]: k for k in kpi_rows(s)}


def _client(url):
    return TestClient(create_app(url), base_url="http://127.0.0.1")


@pytest.mark.parametrize("text, day, shown, shown_en", [
    ("2014年度:208団体", date(2015, 3, 31), "2014年度（平成26年度）", "FY2014"),
    ("1117 (2016年度末)", date(2017, 3, 31), "2016年度末（平成28年度末）", "end of FY2016"),
    ("2018年度までに894システムの減(62%減)の見込み", date(2019, 3, 31), "2018年度末（平成30年度末）", "end of FY2018"),
    ("2016年度(見込み):99.2%【現年分】", date(2017, 3, 31), "2016年度（平成28年度）", "FY2016"),
    ("577,273千件", date(2017, 3, 31), "2016年度（平成28年度）", "FY2016"),  # a figure in the 28年度 column
    ("2019年度:77団体", date(2020, 3, 31), "2019年度（令和元年度）", "FY2019"),
])
def test_a_value_is_shown_as_the_fiscal_year_it_is_for(text, day, shown, shown_en):
    end = point_end("fiscal_year", text, day)
    assert format_period_ja(day, "fiscal_year", end) == shown
    assert format_period_en(day, "fiscal_year", end) == shown_en
    assert format_period_ja(day, "fiscal_year") == shown.replace("年度（", "年度末（").replace("年度）", "年度末）") \
        if not shown.endswith("末）") else shown  # a deadline keeps 年度末


def test_seed_004_baseline_2014_fiscal_year(sqlite_url, seed_file):
    kpis = _load(sqlite_url, seed_file("000"), seed_file("004"))
    window = kpis["窓口業務のアウトソーシング"]
    # 004 l.95: 2014年度:208団体⇒2020年度:416団体に
    b = next(b for b in window["baselines"] if b["source"]["line"] == 95)
    assert (b["value"], b["as_of"], b["as_of_precision"], b["text"]) == (208.0, date(2015, 3, 31), "fiscal_year",
                                                                          "2014年度:208団体")
    html = _client(sqlite_url).get(f"/kpis/{window['id']}").text
    assert "208団体</span> — <time datetime=\"2015-03-31\"><span class=\"nw\">2014年度</span><span class=\"nw\">（平成26年度）" in html
    assert "2015-03-31（平成27年3月31日）" not in html and "2014年度末" not in html
    api = _client(sqlite_url).get(f"/api/kpis/{window['id']}").json()
    assert {"as_of": "2015-03-31", "as_of_precision": "fiscal_year", "text": "2014年度:208団体"}.items() <= next(
        x for x in api["baselines"] if x["source"]["line"] == 95).items()


def test_seeds_values_of_a_fiscal_year_and_of_its_end(sqlite_url, seed_file):
    kpis = _load(sqlite_url, seed_file("000"), seed_file("001"), seed_file("002"))
    systems = kpis["政府情報システム数"]
    # 000 l.332: 1117 (2016年度末) is the end of the year; 2012年度:1450 the year itself
    o = next(o for o in systems["observations"] if o["value"] == 1117)
    assert (o["as_of"], o["as_of_precision"]) == (date(2017, 3, 31), "fiscal_year")
    line = _kpi_line(kpi_listing([systems])[0])
    assert line["baseline"] == "1,450システム 2012年度（平成24年度）"
    page = _client(sqlite_url).get(f"/kpis/{systems['id']}").text
    assert "2016年度末</span><span class=\"nw\">（平成28年度末）" in page
    # 002 l.35–37: e-Gov accesses per year in the 28–30年度 columns are yearly totals, not counts at 31 March
    egov = kpis["電子政府の総合窓口(e-Gov)へのアクセス件数"]
    assert [(o["value"], o["as_of"], o["as_of_precision"]) for o in egov["observations"]] == [
        (577273000.0, date(2017, 3, 31), "fiscal_year"), (821737000.0, date(2018, 3, 31), "fiscal_year"),
        (1506096000.0, date(2019, 3, 31), "fiscal_year")]
    page = _client(sqlite_url).get(f"/kpis/{egov['id']}").text
    assert "<time datetime=\"2019-03-31\"><span class=\"nw\">2018年度</span><span class=\"nw\">（平成30年度）</span></time>" in page
    sheet = build_kpi_sheet(egov)
    assert [v.shown_when for v in sheet.values if v.kind == "actual"] == [
        "2016年度（平成28年度）", "2017年度（平成29年度）", "2018年度（平成30年度）"]
    # 001 l.179: 2014年度:98.9%【現年分】 and 2016年度(見込み):99.2%
    tax = rate_all([kpis["地方税の徴収率"]], load("reform-schedule"), date(2018, 6, 1))[0]
    assert "98.9%(2014年度)" in tax.explanation and "見込み値99.2%(2016年度)" in tax.explanation
    assert "98.9% (FY2014)" in tax.explanation_en


def test_downloads_carry_the_precision(sqlite_url, seed_file):
    kpis = _load(sqlite_url, seed_file("000"), seed_file("004"))
    client = _client(sqlite_url)
    rows = list(csv.DictReader(io.StringIO(client.get("/kpis.csv?q=窓口業務のアウトソーシング").content.decode("utf-8-sig"))))
    row = next(x for x in rows if x["名称"] == "窓口業務のアウトソーシング")
    # the list shows the first baseline, 208 of 2014年10月 (000 l.22), the latest 301 of 2017年4月, the target 2020年度
    assert (row["基準値の時点"], row["基準値の時点の精度"]) == ("2014-10-01", "月")
    assert (row["最新値の時点"], row["最新値の時点の精度"]) == ("2017-04-01", "月")
    assert (row["目標年限"], row["目標年限の精度"]) == ("2021-03-31", "年度")
    english = list(csv.DictReader(io.StringIO(client.get("/kpis.csv?q=窓口業務のアウトソーシング&lang=en").content
                                              .decode("utf-8-sig"))))
    assert next(x for x in english if x["name"] == "窓口業務のアウトソーシング")["target_deadline_precision"] == "fiscal_year"
    listed = kpi_listing([kpis["窓口業務のアウトソーシング"]])[0]
    assert {"value": 208.0, "as_of": date(2014, 10, 1), "as_of_precision": "month"} == listed["baseline"]
    assert listed["targets"][0]["deadline_precision"] == "fiscal_year"
    assert [(o["text"], o["as_of_precision"]) for o in listed["observations"]] == [("301団体(2017年4月速報値)", "month")]


def test_small_documents_of_the_same_shapes(sqlite_url, tmp_path):
    (tmp_path / "pres.txt").write_text(PRESENTATION, encoding="utf-8")
    (tmp_path / "sched.txt").write_text(SCHEDULE, encoding="utf-8")
    kpis = _load(sqlite_url, tmp_path / "pres.txt", tmp_path / "sched.txt")
    pres = kpis["窓口の委託導入市町村数"]
    assert [(b["value"], b["as_of"], b["as_of_precision"]) for b in pres["baselines"]] == [
        (310.0, date(2016, 3, 31), "fiscal_year")]
    client = _client(sqlite_url)
    page = client.get(f"/kpis/{pres['id']}").text
    assert "310団体</span> — <time datetime=\"2016-03-31\"><span class=\"nw\">2015年度</span><span class=\"nw\">（平成27年度）" in page
    assert "2021年度末</span><span class=\"nw\">（令和3年度末）" in page  # the target's 2021年度 is its end
    window = kpis["窓口業務の委託団体数"]
    assert [(o["value"], o["as_of"], o["as_of_precision"]) for o in window["observations"]] == [
        (330.0, date(2017, 3, 31), "fiscal_year")]
    listing = client.get("/kpis?q=委託団体数").text
    assert "2016年度</span><span class=\"nw\">（平成28年度）" in listing and "2016年度末" not in listing
    assert _kpi_line(kpi_listing([window])[0])["actual"] == "330団体 2016年度（平成28年度）"
    systems = kpis["業務システム数"]
    line = _kpi_line(kpi_listing([systems])[0])
    assert (line["baseline"], line["actual"]) == ("900システム 2016年度（平成28年度）", "620システム 2017年度末（平成29年度末）")
    api = client.get(f"/api/kpis/{systems['id']}").json()
    assert [(o["as_of"], o["as_of_precision"]) for o in api["observations"]] == [("2018-03-31", "fiscal_year")]
    rated = rate_all([systems], load("reform-schedule"), date(2018, 6, 1))[0]
    assert "620システム(2017年度末)" in rated.explanation and "基準900システム(2016年度)" in rated.explanation


def test_records_stored_without_a_precision_get_it_from_their_text(sqlite_url):
    """A record built elsewhere than a reader (a saved sample, a test's fixture) is stored with its dates' precision."""
    storage.ensure_schema(sqlite_url)
    ex = r.Extraction(family="reform-schedule", kpis=[r.KpiRecord(
        name="窓口の数", source=r.Source(3), unit="団体",
        baseline=r.BaselineRecord(text="2013年度 120団体", source=r.Source(3), value=120.0, as_of=date(2014, 3, 31)),
        observations=[r.ObservationRecord(text="150団体 (2016年5月)", source=r.Source(3), value=150.0,
                                          as_of=date(2016, 5, 1))])])
    with storage.session_scope(sqlite_url) as s:
        doc = add_document(s, file_name="made.txt", sha256="0" * 64, family="reform-schedule",
                           size_bytes=1, raw=b"x")
        store_extraction(s, doc, ex)
    with storage.session_scope(sqlite_url) as s:
        (k,) = kpi_rows(s)
    assert (k["baseline"]["as_of_precision"], k["observations"][0]["as_of_precision"]) == ("fiscal_year", "month")
