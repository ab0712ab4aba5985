"""Issue 11, classes 2 and 3 and the KPI list's dates. The overview heads with the ratings the documents published, with
mieruka's recomputation beside it under its own name; every page, API answer, download and CLI listing says which
rating is which. One evaluation date governs a page (ratings, counts, audit), stated and chosen among the stored ones
(?as_of=, `--as-of`); a date nothing is stored as of is answered as of the nearest stored one with a message, never by
rating or auditing on the request. The KPI list shows 年度 and month dates and the 推定 mark.
On the five seeds (what `make demo` serves) and on a small document written here with other numbers."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

import webdata
from mieruka import storage
from mieruka.cli import load_commands
from mieruka.evaluate import rate, stored
from mieruka.evaluate.schemes import available
from mieruka.storage import models as m
from mieruka.web import create_app

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
HOST = "http://127.0.0.1"

# A reform-schedule KPI table of the seeds' shape, with other numbers: published A, B, F and N, one each.
SMALL = "\n".join([
    "重要課題: 国の行政の改革", "", "改革項目: 申請手続のオンライン化", "", "KPIの状況", "",
    "KPI\t目標値 (達成時期)\tKPIの進捗\t\t",
    "\t\t実績値 (時点)\t区分\t次回の把握時期と今後の方針",
    "第一階層 オンライン申請の件数\t2015年度から2020年度までに倍増(2015年度:100万件)\t180万件 (2017年度末)\tA\t"
    "2018年度末実績は翌年度末に把握。",
    "第一階層 電子申告を導入した団体数\t2020年度までに 500団体\t120団体 (2017年4月速報値)\tB\t確報値は2018年3月頃に公表。",
    "第一階層 窓口の待ち時間\t検討中 (2017年度中に設定)\t-\tF\t今年度中に目標を決める。",
    "第二階層 オンライン化による効果(事後的に検証する指標)\t-\t-\tN\t効果の測り方を整理する。",
    "",
])


def run(url: str, *args: str):
    result = CliRunner().invoke(load_commands(), [*args, "--db", url])
    assert result.exit_code == 0, (args, result.stderr[-2000:])
    return result


def distribution(client: TestClient, url: str) -> tuple[list[str], dict[str, list[str]]]:
    p = webdata.parse_html(client.get(url).text)
    table = p.tables["distribution"]
    return table[0], {r[0].split()[0]: r[1:3] for r in table[1:]}


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory):
    """The seeds ingested, rated under every scheme as of 2019-03-31 and audited as of that date, through the CLI."""
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    url = f"sqlite:///{tmp_path_factory.mktemp('h11a') / 'seeds.db'}"
    run(url, "ingest", str(SEEDS))
    for name in sorted(available()):
        run(url, "evaluate", "-s", name, "--as-of", "2019-03-31", "--format", "json")
    run(url, "audit", "--format", "json")
    yield url
    storage.dispose_engines()


@pytest.fixture(scope="module")
def seeds(seeds_db):
    return TestClient(create_app(seeds_db), base_url=HOST)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    """The small document rated as of 2018-06-01 and audited as of that date and as of 2017-12-31 (audit only)."""
    folder = tmp_path_factory.mktemp("h11a-small")
    doc = folder / "small.txt"
    doc.write_text(SMALL, encoding="utf-8")
    url = f"sqlite:///{folder / 'small.db'}"
    run(url, "ingest", str(doc))
    run(url, "evaluate", "-s", "reform-schedule", "--as-of", "2018-06-01", "--format", "json")
    run(url, "audit", "--format", "json")  # as of the ratings' date by default
    run(url, "audit", "--as-of", "2017-12-31", "--format", "json")
    yield url
    storage.dispose_engines()


@pytest.fixture(scope="module")
def small(small_db):
    return TestClient(create_app(small_db), base_url=HOST)


# --- class 2: the published ratings head the overview ----------------------------------------------------------------

def test_seed_overview_heads_with_the_published_reform_schedule_ratings(seeds):
    head, rows = distribution(seeds, "/")
    assert head[:4] == ["評価", "公表（文書の評価）", "mierukaの再計算", "割合（公表）"]
    # Published in 000/001 (the latest per KPI): A 10, B 1, N 7, F 1, 15 of the 34 KPIs without one (among them the
    # population that コンビニ交付 covers and the part of クラウド導入市区町村数 the catalogue counts on its own, second
    # measures no document rates); mieruka's recomputation as of 2019-03-31: A 10 (that population, 約7,693万人 against
    # 6000万人, among them), B 4, N 18 (the catalogue's part has no actual), F 2, every KPI rated.
    assert rows == {"A": ["10", "10"], "B": ["1", "4"], "N": ["7", "18"], "F": ["1", "2"], "評価なし": ["15", "0"]}
    text = webdata.parse_html(seeds.get("/").text).text
    assert "評価の件数は、文書が公表した評価（公表評価）です。mierukaの再計算はその右に並べて示します。" in "".join(text)


def test_seed_policy_sheet_headline_is_its_printed_grades(seeds):
    _, rows = distribution(seeds, "/?scheme=policy-evaluation")
    # 002 prints a grade for 10 KPIs: ハ for 電子決裁に要する期間 (l.40), イ for nine; recomputed イ 9, ハ 2, ー 7, NA 16.
    assert {c: rows[c] for c in ("イ", "ロ", "ハ", "ー", "NA", "評価なし")} == {
        "イ": ["9", "9"], "ロ": ["0", "0"], "ハ": ["1", "2"], "ー": ["0", "7"], "NA": ["0", "16"], "評価なし": ["24", "0"]}


def test_seed_scheme_nobody_publishes_is_headed_by_the_recomputation_and_says_so(seeds):
    head, rows = distribution(seeds, "/?scheme=municipal-sabc")
    assert head[3] == "割合（再計算）"
    assert "この評価方式で公表された評価はありません。" in seeds.get("/?scheme=municipal-sabc").text
    assert rows.pop("評価なし") == ["34", "0"]
    assert {c: r[0] for c, r in rows.items()} == {c: "0" for c in rows}
    assert sum(int(r[1]) for r in rows.values()) == 34


def test_seed_list_api_and_download_name_each_rating(seeds):
    def names(url):
        return [r[1] for r in webdata.parse_html(seeds.get(url).text).tables["kpi-table"][1:]]

    assert len(names("/kpis?rating=B&basis=official")) == 1
    assert len(names("/kpis?rating=B&basis=computed")) == 4
    api = seeds.get("/api/kpis?rating=B&basis=official").json()
    assert api["total"] == 1
    assert api["items"][0]["rating"] == {"scheme": "reform-schedule", "code": "B", "basis": "official",
                                         "official": "B", "computed": "B", "as_of": "2019-03-31"}
    rows = list(csv.DictReader(io.StringIO(seeds.get("/kpis.csv?lang=en").content.decode("utf-8-sig"))))
    assert {r["evaluation_date"] for r in rows} == {"2019-03-31"}
    assert sum(r["rating_basis"] == "official" for r in rows) == 19
    assert sum(r["rating_basis"] == "computed" for r in rows) == 15  # no published rating: the recomputation, named


def test_small_document_headline_and_recomputation(small):
    head, rows = distribution(small, "/")
    assert head[1:3] == ["公表（文書の評価）", "mierukaの再計算"]
    # published A, B, F, N; recomputed as of 2018-06-01: A (180万件 above the planned 140万件), N (no baseline for the
    # planned path), F (no target), N (verified after the fact)
    assert rows == {"A": ["1", "1"], "B": ["1", "0"], "N": ["1", "2"], "F": ["1", "1"], "評価なし": ["0", "0"]}
    cells = webdata.parse_html(small.get("/kpis").text).tables["kpi-table"]
    assert [r[8] for r in cells[1:]] == ["公表 A 順調（達成を含む） 再計算 A 順調（達成を含む）",
                                         "公表 B 遅れ 再計算 N 現時点で判断できない",
                                         "公表 F 目標未設定 再計算 F 目標未設定",
                                         "公表 N 現時点で判断できない 再計算 N 現時点で判断できない"]


# --- class 3: one evaluation date per page ---------------------------------------------------------------------------

def test_seed_overview_states_one_date_for_ratings_and_audit(seeds):
    html = seeds.get("/").text
    p = webdata.parse_html(html)
    text = "".join(p.text)
    assert "評価日: 2019-03-31（平成31年3月31日）" in text
    assert "（2019-03-31（平成31年3月31日）時点で判定）" in text
    # every overdue measurement is judged as of the page's date, none as of today
    judged = re.findall(r"(\d{4}-\d\d-\d\d)時点で過ぎた", text)
    assert len(judged) > 3 and set(judged) == {"2019-03-31"}
    assert '<option value="2019-03-31" selected>' in html


def test_unstored_date_is_answered_as_of_the_nearest_stored_one_without_computing(small, monkeypatch):
    calls = []
    monkeypatch.setattr(rate, "rate_series", lambda *a, **k: calls.append("rate"))
    monkeypatch.setattr(stored, "audit_stream", lambda *a, **k: calls.append("audit") or iter(()))
    r = small.get("/?as_of=2020-01-01")
    assert r.status_code == 200
    text = "".join(webdata.parse_html(r.text).text)
    assert ("2020-01-01（令和2年1月1日）時点の評価・監査は保存されていません（ページを開くたびに計算し直すことはしません）。"
            "保存されている評価日は 2017-12-31（平成29年12月31日）、2018-06-01（平成30年6月1日） です。"
            "最も近い2018-06-01（平成30年6月1日）時点で表示しています。") in text
    en = "".join(webdata.parse_html(small.get("/?as_of=2017-10-01&lang=en").text).text)
    assert "Nothing is stored as of 2017-10-01" in en and "Shown as of the nearest, 2017-12-31" in en
    for url in ("/kpis?as_of=2016-01-01", "/kpis/2?as_of=2030-01-01", "/api/audit?as_of=2000-01-01",
                "/api/kpis?as_of=2019-01-01", "/audit.csv?as_of=2019-01-01"):
        assert small.get(url).status_code == 200, url
    assert calls == []


def test_a_date_before_meiji_is_a_422_in_the_pages_language(small):
    # a page shows each date with its 和暦, which does not exist before 明治元年: such a date was a 500
    client = TestClient(small.app, base_url=HOST, raise_server_exceptions=False)
    for url in ("/?as_of=0001-01-01", "/kpis?as_of=1867-12-31", "/kpis/2?as_of=1868-01-24"):
        r = client.get(url)
        value = url.rsplit("=", 1)[1]
        assert (r.status_code, r.headers["content-type"][:9]) == (422, "text/html"), url
        assert f"as_of: 1868-01-25（明治元年1月25日）以降の日付を指定してください({value})。" in r.text, url
    en = client.get("/kpis?as_of=1800-06-01&lang=en")
    assert en.status_code == 422
    assert "as_of: give a date on or after 1868-01-25, the first day of a Japanese era (1800-06-01)." in en.text
    assert client.get("/?as_of=1868-01-25").status_code == 200


def test_the_api_refuses_a_date_before_meiji_as_the_pages_do(small):
    # /api/kpis and /api/audit took 1867-12-31 and answered as of the nearest stored date, naming a date no page can
    client = TestClient(small.app, base_url=HOST, raise_server_exceptions=False)
    for url in ("/api/kpis?as_of=1867-12-31", "/api/audit?as_of=0001-01-01", "/api/kpis/2?as_of=1868-01-24"):
        r = client.get(url)
        value = url.rsplit("=", 1)[1]
        assert r.status_code == 422, url
        assert f"as_of: 1868-01-25（明治元年1月25日）以降の日付を指定してください({value})。" in r.text, url
    en = client.get("/api/audit?as_of=1800-06-01&lang=en")
    assert en.status_code == 422
    assert "as_of: give a date on or after 1868-01-25, the first day of a Japanese era (1800-06-01)." in en.text
    assert client.get("/api/kpis?as_of=1868-01-25").status_code == 200


def test_a_date_with_an_audit_only_counts_published_ratings_dated_by_then(small):
    # 2017-12-31: an audit is stored, no recomputation; 180万件 (2017年度末, dated 2018-03-31) and its A not yet published
    head, rows = distribution(small, "/?as_of=2017-12-31")
    assert rows == {"A": ["0", "—"], "B": ["1", "—"], "N": ["1", "—"], "F": ["1", "—"], "評価なし": ["1", "—"]}
    text = "".join(webdata.parse_html(small.get("/?as_of=2017-12-31").text).text)
    assert "この評価日のmierukaの再計算は保存されていません" in text
    # the audit of that date: 電子申告's measurement announced for 2018年3月 is not overdue yet
    assert "指摘はありません。" in text
    text = "".join(webdata.parse_html(small.get("/").text).text)
    # the document cited by the title its 重要課題 and 改革項目 give it and its newest figure's date (small.txt on hover)
    assert ("次回の把握時期「確報値は2018年3月頃に公表。」（2018年3月、「改革工程表の進捗状況（国の行政の改革 申請手続の"
            "オンライン化）」2018-03-31（平成30年3月31日）時点の数値、10行目）を2018-06-01時点で過ぎた") in text
    api = small.get("/api/audit?as_of=2017-12-31").json()
    assert (api["as_of"], api["stored"], api["total"]) == ("2017-12-31", True, 0)
    assert small.get("/api/audit").json()["total"] == 1


def test_kpi_list_and_page_follow_the_date(small):
    rows = webdata.parse_html(small.get("/kpis?as_of=2017-12-31").text).tables["kpi-table"]
    assert rows[1][8] == "評価なし"  # its published A is dated 2018-03-31; no recomputation stored as of 2017-12-31
    assert rows[2][8] == "公表 B 遅れ"
    kpi = small.get("/kpis/1?as_of=2017-12-31").text
    assert "評価日: " in kpi and "2017-12-31" in kpi and "計画線上の想定" not in kpi
    kpi = small.get("/kpis/1").text
    assert "計画線上の想定" in kpi  # the recomputation of 2018-06-01 with its explanation


def test_a_bad_date_is_refused_in_the_page_language(small):
    r = small.get("/?as_of=someday")
    assert r.status_code == 422 and "as_of: 日付として読めません(someday)。" in r.text
    assert small.get("/kpis?as_of=someday&lang=en").text.count("as_of: not a date (someday).") == 1
    assert small.get("/?as_of=平成30年6月1日").status_code == 200


def test_cli_kpis_as_of_lists_the_ratings_of_that_date(small_db):
    out = json.loads(run(small_db, "kpis", "--as-of", "2018-06-01", "--format", "json").stdout)
    assert [[(r["basis"], r["code"]) for r in k["ratings"]] for k in out] == [
        [("official", "A"), ("computed", "A")], [("official", "B"), ("computed", "N")],
        [("official", "F"), ("computed", "F")], [("official", "N"), ("computed", "N")]]
    earlier = run(small_db, "kpis", "--as-of", "2017-12-31", "--format", "json")
    assert [[(r["basis"], r["code"]) for r in k["ratings"]] for k in json.loads(earlier.stdout)] == [
        [], [("official", "B")], [("official", "F")], [("official", "N")]]
    assert "no rating of mieruka's is stored as of 2017-12-31 (stored: 2018-06-01)" in earlier.stderr
    table = run(small_db, "kpis", "--format", "table").stdout
    assert "公表B(sma:10)" in table and "再計算N[reform-schedule]" in table


def test_cli_audit_defaults_to_the_date_the_ratings_were_made(small_db):
    result = run(small_db, "audit", "--format", "json")
    assert "1 finding(s) as of 2018-06-01: stale 1" in result.stderr


# --- the KPI list: 年度 and month dates, the inferred ministry ------------------------------------------------------

def test_kpi_list_shows_fiscal_years_months_and_inferred_ministries(seeds, small):
    rows = webdata.parse_html(small.get("/kpis").text).tables["kpi-table"]
    assert rows[1][5] == "1,000,000件 2015年度（平成27年度）"  # 「2015年度:100万件」: the year, not its end
    assert rows[1][6] == "1,800,000件 2017年度末（平成29年度末）"
    assert rows[1][7].endswith("2020年度末（令和2年度末）")
    assert rows[2][6] == "120団体 (速報値) 2017年4月（平成29年4月）"
    seed_rows = webdata.parse_html(seeds.get("/kpis?q=窓口業務のアウトソーシング").text).tables["kpi-table"]
    outsourcing = next(r for r in seed_rows[1:] if r[1] == "窓口業務のアウトソーシング")
    assert outsourcing[3] == "総務省自治行政局 地域力創造グループ （推定）"
    assert outsourcing[7] == "416団体 2020年度末（令和2年度末）"


def test_migration_0009_fills_the_list_rows_precision_and_goes_down(db_url, tmp_path):
    doc = tmp_path / "small.txt"
    doc.write_text(SMALL, encoding="utf-8")
    storage.upgrade(db_url)
    from mieruka.loading.documents import ingest_file

    ingest_file(doc, db_url)
    cols = (m.KpiSummary.kpi_id, m.KpiSummary.baseline_as_of_precision, m.KpiSummary.latest_as_of_precision,
            m.KpiSummary.target_deadline_precision)
    with storage.session_scope(db_url) as s:
        before = [tuple(r) for r in s.execute(select(*cols).order_by(m.KpiSummary.kpi_id))]
    assert before == [(1, "fiscal_year", "fiscal_year", "fiscal_year"), (2, None, "month", "fiscal_year"),
                      (3, None, None, None), (4, None, None, None)]
    storage.downgrade(db_url, "0008")
    assert storage.current_revision(db_url) == "0008"
    storage.upgrade(db_url)
    with storage.session_scope(db_url) as s:
        assert [tuple(r) for r in s.execute(select(*cols).order_by(m.KpiSummary.kpi_id))] == before


def test_a_stored_date_before_meiji_is_listed_without_a_wareki_not_a_500(tmp_path, small_db):
    # an audit stored as of 1867-12-31 (the shell took it until ccf18bc) is in every page's list of stored dates: its
    # 和暦 raised, and every page and the published site's / and /?lang=en were 500s
    import sqlite3

    from mieruka.jp import format_date_ja
    from mieruka.web.formatting import datetime_ja

    url = f"sqlite:///{tmp_path / 'early.db'}"
    with sqlite3.connect(small_db.removeprefix("sqlite:///")) as source, sqlite3.connect(tmp_path / "early.db") as copy:
        source.backup(copy)  # the WAL's pages too
    with storage.session_scope(url) as s:
        stored.audit_and_store(s, date(1867, 12, 31))
    client = TestClient(create_app(url), base_url=HOST, raise_server_exceptions=False)
    for path in ("/?as_of=1868-02-01", "/kpis?as_of=1869-01-01", "/kpis/2?as_of=1868-01-25&lang=en"):
        r = client.get(path)  # answered as of the nearest stored date, 1867-12-31, the stored dates listed
        assert r.status_code == 200, path
        text = re.sub(r"<[^>]+>", "", r.text)
        assert "1867-12-31" in text and "1867-12-31（明治" not in text and "2018-06-01（平成30年6月1日）" in text, path
    assert format_date_ja(date(1867, 12, 31)) == "1867-12-31"
    assert format_date_ja(date(1868, 1, 25)) == "1868-01-25（明治元年1月25日）"
    assert datetime_ja(datetime(1867, 12, 30, 12, 0)).startswith("1867-12-30 21:") \
        and "（" not in datetime_ja(datetime(1867, 12, 30, 12, 0))  # Tokyo kept local mean time (+9:18:59) then


def test_a_date_after_2200_is_a_422_on_the_pages_and_the_api_alike(small):
    # 9999-12-31 and 3000-01-01 were answered as of the nearest stored date, naming a 和暦 year no era will reach
    client = TestClient(small.app, base_url=HOST, raise_server_exceptions=False)
    for url in ("/?as_of=9999-12-31", "/kpis?as_of=3000-01-01", "/kpis/2?as_of=2201-01-01", "/audit.csv?as_of=3000-01-01",
                "/local?as_of=2201-01-01", "/api/kpis?as_of=9999-12-31", "/api/audit?as_of=3000-01-01"):
        r = client.get(url)
        value = url.rsplit("=", 1)[1]
        assert r.status_code == 422, url
        assert f"as_of: 2200-12-31 以前の日付を指定してください({value})。" in r.text, url
    en = client.get("/kpis?as_of=9999-12-31&lang=en")
    assert en.status_code == 422 and en.headers["content-type"].startswith("text/html")
    assert "as_of: give a date on or before 2200-12-31 (9999-12-31)." in en.text
    assert client.get("/api/kpis?as_of=3000-01-01&lang=en").json()["detail"] == \
        "as_of: give a date on or before 2200-12-31 (3000-01-01)."
    for url in ("/?as_of=2200-12-31", "/api/kpis?as_of=2200-12-31", "/local?as_of=2200-12-31"):
        assert client.get(url).status_code == 200, url


def test_a_pages_as_of_is_one_date_not_a_text_holding_one(small):
    # the pages read the first date found anywhere in as_of: "9999-12-31 2019-03-31" passed the 2200-12-31 bound,
    # "abc2019-03-31xyz" and "2019-03-31<script>" were answered as of 2019-03-31
    client = TestClient(small.app, base_url=HOST, raise_server_exceptions=False)
    for value in ("9999-12-31 2019-03-31", "1800-01-01 2019-03-31", "abc2019-03-31xyz", "2019-03-31<script>",
                  "2019-03-31 or 2017-04-01"):
        for path in ("/kpis", "/local"):
            r = client.get(path, params={"as_of": value})
            assert r.status_code == 422, (path, value)
            assert f"as_of: 日付として読めません({value})。" in r.text.replace("&lt;", "<").replace("&gt;", ">"), value
    for value in ("2019-03-31", " 2019-03-31 ", "平成31年3月31日", "H31.3.31", "2019/3/31", "２０１９-03-31"):
        assert client.get("/kpis", params={"as_of": value}).status_code == 200, value
