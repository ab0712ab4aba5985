"""Issue 11, class 3 (stored evaluations per date): a scheme's computed ratings are stored per (scheme, evaluation date)
— each edition's date, each published round's as-of date and each date `mieruka evaluate --as-of` was run for — and
the pages' date menu lists them; a date nothing is stored as of is answered as of the nearest stored one, said so, and
never rated on the request. On the seeds (editions of 2015-12-24 and 2016-12-21) and on a small document of the same
shape with other numbers and dates."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import load_commands
from mieruka.evaluate import stored
from mieruka.publish.kpi_sheet import build_kpi_sheet
from mieruka.storage import models as m
from mieruka.storage.queries import kpi_rows
from mieruka.storage.cycle_models import Round
from mieruka.storage.ratings import MAX_RATING_DATES, rating_runs, record_rating_run
from mieruka.web import create_app

# A schedule table of one edition (the shape of seed 000 l.22) and a progress table (l.12), other numbers and dates.
SMALL = "\n".join([
    "重要課題: 地方の行財政の改革", "", "改革項目: 窓口業務の民間委託の推進", "", "KPIの状況", "",
    "KPI\t目標値 (達成時期)\tKPIの進捗\t\t",
    "\t\t実績値 (時点)\t区分\t次回の把握時期と今後の方針",
    "第一階層 窓口業務の委託団体数\t2016年度から2022年度までに倍増(2016年度:250団体)\t320団体 (2019年7月速報値)\tA\t"
    "2020年6月頃に公表。",
    ""])


def _cli(url, *args):
    result = CliRunner().invoke(load_commands(), [*args, "--db", url, "--format", "json"])
    assert result.exit_code == 0, (args, result.stderr[-2000:])
    return result


def _menu(html: str) -> list[str]:
    select_html = re.search(r'<select id="as-of-date" name="as_of">(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([0-9-]+)"', select_html)


def _runs(url):
    with storage.session_scope(url) as s:
        return [(r["scheme"], r["as_of"]) for r in rating_runs(s)]


@pytest.fixture
def seeds_db(sqlite_url, seed_file):
    for prefix in ("000", "001"):
        _cli(sqlite_url, "ingest", str(seed_file(prefix)))
    _cli(sqlite_url, "evaluate", "-s", "reform-schedule", "--as-of", "2019-03-31")
    return sqlite_url


def test_seed_ratings_are_stored_per_edition_and_asked_date(seeds_db):
    # 000 prints two schedule editions: 経済・財政再生計画 改革工程表 (2015-12-24) and its 2016改定版 (2016-12-21)
    assert _runs(seeds_db) == [("reform-schedule", date(2015, 12, 24)), ("reform-schedule", date(2016, 12, 21)),
                               ("reform-schedule", date(2019, 3, 31))]
    with storage.session_scope(seeds_db) as s:
        window = s.scalar(select(m.Kpi.id).where(m.Kpi.name == "窓口業務のアウトソーシング"))
        codes = {r.as_of: r.code for r in s.scalars(select(m.Rating).where(
            m.Rating.kpi_id == window, m.Rating.official.is_(False)))}
    # 301団体 (2017年4月速報値) is not known on either edition's date: no actual then (N); on 2019-03-31 it is above
    # the planned path from 208 (2014年10月) to 416 (2020年度末): A
    assert codes == {date(2015, 12, 24): "N", date(2016, 12, 21): "N", date(2019, 3, 31): "A"}
    client = TestClient(create_app(seeds_db), base_url="http://127.0.0.1")
    page = client.get("/kpis").text
    assert _menu(page) == ["2015-12-24", "2016-12-21", "2019-03-31"]
    assert 'option value="2019-03-31" selected' in page  # the newest stored date by default
    older = client.get("/kpis?as_of=2016-12-21&basis=computed&q=窓口業務のアウトソーシング").text
    assert 'option value="2016-12-21" selected' in older and 'id="as-of-notice"' not in older
    api = client.get(f"/api/kpis/{window}?as_of=2016-12-21").json()
    assert (api["rating"]["computed"], api["rating"]["as_of"]) == ("N", "2016-12-21")
    # the one-page indicator sheet shows the scheme's newest date's rating, not one per date
    with storage.session_scope(seeds_db) as s:
        sheet = build_kpi_sheet(next(k for k in kpi_rows(s) if k["id"] == window))
    assert [(r.code, r.as_of) for r in sheet.ratings if not r.official] == [("A", date(2019, 3, 31))]


def test_a_date_not_stored_is_answered_as_of_the_nearest_without_rating(seeds_db, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a request rated")

    monkeypatch.setattr(stored, "evaluate", refuse)
    client = TestClient(create_app(seeds_db), base_url="http://127.0.0.1")
    page = client.get("/kpis?as_of=2017-06-01").text
    assert 'option value="2016-12-21" selected' in page  # 2017-06-01 is 162 days after 2016-12-21, 668 before 2019
    notice = re.search(r'<p class="notice" id="as-of-notice" role="status">(.*?)</p>', page, re.S).group(1)
    assert notice.startswith("2017-06-01（平成29年6月1日）時点の評価・監査は保存されていません")
    assert "最も近い2016-12-21（平成28年12月21日）時点で表示しています" in notice
    assert _runs(seeds_db)[-1] == ("reform-schedule", date(2019, 3, 31))  # nothing added by the request


def test_a_published_round_date_is_rated_at_the_next_write(seeds_db):
    with storage.session_scope(seeds_db, write=True) as s:
        s.add(Round(name="2018年度上期", as_of=date(2018, 9, 30), deadline=date(2018, 10, 31), state="published",
                    opened_by="test", published_by="test", published_at=datetime.now(timezone.utc)))
    with storage.session_scope(seeds_db, write=True) as s:
        done = stored.refresh_ratings(s)
        kpis = s.scalar(select(m.KpiSummary.kpi_id).order_by(m.KpiSummary.kpi_id.desc()))
    assert ("reform-schedule", date(2018, 9, 30)) in _runs(seeds_db)
    assert done == {"reform-schedule": len(_kpi_ids(seeds_db))} and kpis
    page = TestClient(create_app(seeds_db), base_url="http://127.0.0.1").get("/kpis").text
    assert _menu(page) == ["2015-12-24", "2016-12-21", "2018-09-30", "2019-03-31"]


def _kpi_ids(url):
    with storage.session_scope(url) as s:
        return list(s.scalars(select(m.Kpi.id)))


def test_small_document_dates_and_the_bound(sqlite_url, tmp_path):
    doc = tmp_path / "small.txt"
    doc.write_text(SMALL, encoding="utf-8")
    _cli(sqlite_url, "ingest", str(doc))
    # no edition in a progress table alone: only the dates asked for are stored, each kept beside the other
    _cli(sqlite_url, "evaluate", "-s", "reform-schedule", "--as-of", "2019-03-31")
    _cli(sqlite_url, "evaluate", "-s", "reform-schedule", "--as-of", "2020-03-31")
    assert _runs(sqlite_url) == [("reform-schedule", date(2019, 3, 31)), ("reform-schedule", date(2020, 3, 31))]
    with storage.session_scope(sqlite_url) as s:
        codes = sorted((r.as_of, r.code) for r in s.scalars(select(m.Rating).where(m.Rating.official.is_(False))))
    # 320団体 (2019年7月) is not known on 2019-03-31 (no actual: N); on 2020-03-31 it is below the path from 250
    # (2016年度) to 500 (2022年度末), about 344 planned for July 2019: B
    assert codes == [(date(2019, 3, 31), "N"), (date(2020, 3, 31), "B")]
    # the scheme keeps at most MAX_RATING_DATES dates: the oldest runs and their ratings go first
    with storage.session_scope(sqlite_url, write=True) as s:
        for year in range(2021, 2021 + MAX_RATING_DATES - 1):
            record_rating_run(s, "reform-schedule", "x", date(year, 3, 31))
    runs = _runs(sqlite_url)
    assert len(runs) == MAX_RATING_DATES and runs[0] == ("reform-schedule", date(2020, 3, 31))
    with storage.session_scope(sqlite_url) as s:
        assert [r.as_of for r in s.scalars(select(m.Rating).where(m.Rating.official.is_(False)))] == [date(2020, 3, 31)]
