"""Issue 11, class 4 in the static site's data: data/*.csv and datapackage.json carry how precisely the document gave
each date (*_precision), as the web downloads do, so a 年度 stored at its 31 March is not read as that day.
On seed 000 and on a small document of the same shape with other numbers."""
from __future__ import annotations

import csv
import io
import json
from datetime import date

from mieruka import storage
from mieruka.export.workbook import database_tables
from mieruka.loading.documents import ingest_file
from mieruka.publish.site import PublishResult, _Writer, _write_data
from mieruka.storage.queries import document_rows

SMALL = "\n".join([
    "重要課題: 国の行政の改革", "", "改革項目: 国の業務システムの統廃合", "", "KPIの状況", "",
    "KPI\t目標値 (達成時期)\tKPIの進捗\t\t",
    "\t\t実績値 (時点)\t区分\t次回の把握時期と今後の方針",
    "第一階層 業務システム数\t2015年度から2020年度までに半減(2015年度:800)\t700 (2018年3月)\tA\t2019年6月頃に公表",
    "",
])


def _site_data(url, tmp_path, *paths):
    storage.ensure_schema(url)
    for p in paths:
        ingest_file(p, url)
    with storage.session_scope(url) as s:
        tables, documents = database_tables(s, date(2019, 3, 31), "ja"), document_rows(s)
    out = tmp_path / "site"
    out.mkdir()
    _write_data(_Writer(out, {}, PublishResult()), tables, documents)
    read = {name: list(csv.DictReader(io.StringIO((out / "data" / f"{name}.csv").read_text(encoding="utf-8"))))
            for name in ("kpis", "targets", "observations")}
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    return read, package


def test_small_document_dates_keep_their_precision_in_the_site_data(sqlite_url, tmp_path):
    doc = tmp_path / "small.txt"
    doc.write_text(SMALL, encoding="utf-8")
    read, package = _site_data(sqlite_url, tmp_path, doc)
    kpi = next(r for r in read["kpis"] if r["name"] == "業務システム数")
    assert (kpi["baseline_as_of"], kpi["baseline_as_of_precision"]) == ("2016-03-31", "fiscal_year")
    assert (kpi["target_deadline"], kpi["target_deadline_precision"]) == ("2021-03-31", "fiscal_year")
    assert (kpi["latest_as_of"], kpi["latest_as_of_precision"]) == ("2018-03-01", "month")
    target = next(r for r in read["targets"] if r["kpi"] == "業務システム数")
    assert (target["deadline"], target["deadline_precision"]) == ("2021-03-31", "fiscal_year")
    obs = [(r["as_of"], r["as_of_precision"]) for r in read["observations"] if r["kpi"] == "業務システム数"]
    assert obs == [("2018-03-01", "month")]
    fields = {f["name"]: f for r in package["resources"] if r["name"] == "observations" for f in r["schema"]["fields"]}
    assert fields["as_of_precision"]["descriptions"]["ja"].startswith("時点の精度（day: 日、month: 月、fiscal_year: 年度")


def test_seed_fiscal_year_target_is_not_a_day_in_the_site_data(sqlite_url, tmp_path, seed_file):
    read, _ = _site_data(sqlite_url, tmp_path, seed_file("000"))
    # 000 l.332: 「2012年度から2018年度までに半減(2012年度:1450)」 → 2019-03-31 as 2018年度末, baseline 2012年度
    kpi = next(r for r in read["kpis"] if r["name"] == "政府情報システム数")
    assert (kpi["target_deadline"], kpi["target_deadline_precision"]) == ("2019-03-31", "fiscal_year")
    assert (kpi["baseline_as_of"], kpi["baseline_as_of_precision"]) == ("2013-03-31", "fiscal_year")
    obs = {(r["line"], r["as_of"], r["as_of_precision"], r["status"]) for r in read["observations"]
           if r["kpi"] == "政府情報システム数"}
    assert ("332", "2017-03-31", "fiscal_year", "") in obs  # 「1117 (2016年度末)」
