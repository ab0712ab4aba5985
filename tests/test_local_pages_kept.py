"""A local body's page reads what every body's page shows alike (all bodies' facts, the bodies, the surveys, the
cases, the KPIs that count bodies) once per state of the data, and again once anything is written: `mieruka
publish` asks for 3,500 of these pages."""
from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import update
from starlette.testclient import TestClient

import webdata
from mieruka import storage
from mieruka.municipalities.importing import import_attributes, import_survey
from mieruka.storage import local_bodies as store
from mieruka.storage import models as m
from mieruka.web import create_app, kept

SURVEYS = Path(__file__).parent / "fixtures" / "surveys"
READS = ("body_facts", "bodies", "imports", "cases_by_body", "kpis_counting_bodies", "ensure_registry")


def test_what_every_body_s_page_shows_is_read_once_per_state_of_the_data(sqlite_url, monkeypatch):
    webdata.build(sqlite_url)
    reads: Counter = Counter()
    for name in READS:
        def counted(*args, _read=getattr(store, name), _name=name, **kw):
            reads[_name] += 1
            return _read(*args, **kw)
        monkeypatch.setattr(store, name, counted)
    client = TestClient(create_app(sqlite_url), base_url="http://localhost")
    for path in ("/local/131016", "/local/131016?lang=en", "/local/130001", "/local/130001?lang=en"):
        assert client.get(path).status_code == 200  # 千代田区 and 東京都, in both languages
    assert reads["body_facts"] == reads["bodies"] == reads["cases_by_body"] == 1
    assert reads["kpis_counting_bodies"] == 4  # those that count municipalities and prefectures, once a language
    reads.clear()
    for code in ("142158", "142140", "140007"):  # 海老名市, 座間市, 神奈川県
        for query in ("", "?lang=en"):
            assert client.get(f"/local/{code}{query}").status_code == 200
    assert reads == {}  # nothing read again
    page = client.get("/local/142131").text  # 厚木市
    # the KPIs counted in bodies are counted and listed on a page of their own (a renamed one changes that page only)
    assert '<a href="/local/counting">団体の数で測るKPI 3件の一覧</a>' in page and "座間市" not in page  # no group yet

    # a write (a survey and the bodies' attributes; a KPI renamed) makes the next page read them again
    with storage.session_scope(sqlite_url) as s:
        import_attributes(s, (SURVEYS / "attributes.csv").read_bytes(), "attributes.csv")
        import_survey(s, (SURVEYS / "madoguchi_utf8.csv").read_bytes(), "m.csv", "窓口委託", date(2017, 4, 1))
        s.execute(update(m.Kpi).where(m.Kpi.id == 1).values(name="窓口業務のアウトソーシング（改）"))
    reads.clear()
    page = client.get("/local/142158").text
    assert "m.csv" in page
    assert [x for x in page.split('id="group-table"')[1].split("</table>")[0].split("<tr") if "座間市" in x]
    assert client.get("/local/142158.csv").text.count("\n") == 3  # the header, 座間市 and 海老名市
    assert reads == {"body_facts": 1, "bodies": 1, "imports": 1, "cases_by_body": 1, "kpis_counting_bodies": 1,
                     "ensure_registry": 1}  # and once only: the download was answered from what the page read
    assert "窓口業務のアウトソーシング（改）" in client.get("/local/counting").text
    # a prefecture's page adds each member's cost per resident to its own copy, not to the facts kept for all pages
    assert "142158" in client.get("/local/140007").text
    facts = [f for values in kept._kept["facts"].values() for f in values]
    assert facts and all("cost_per_resident" not in f for f in facts)


def test_a_database_s_kept_values_outlast_another_s(monkeypatch):
    """Kept values of another database (a process that read several: the test suite, a server with a replica) are
    dropped oldest first, not with this one's: each question is made once a state however many were kept before."""
    monkeypatch.setattr(kept, "_kept", {})
    made = Counter()

    def ask(at, question):
        return kept.value(at, "counting", (question,), lambda: made.update([(at, question)]) or question)

    for q in range(kept._DEFAULT_QUESTIONS - 3):  # room for three of the four asked below
        ask(("sqlite:///other.db", "g1"), q)
    for _ in range(3):
        for q in ("ja", "en", "ja-pref", "en-pref"):
            assert ask(("sqlite:///this.db", "g1"), q) == q
    assert sum(n for (at, _), n in made.items() if at[0] == "sqlite:///this.db") == 4  # once each, not again
    ask(("sqlite:///this.db", "g2"), "ja")  # a write: this database's older state goes, the other's newest stay
    assert {k[:2] for k in kept._kept["counting"]} == {("sqlite:///other.db", "g1"), ("sqlite:///this.db", "g2")}
    assert len(kept._kept["counting"]) == 5


def test_the_kpi_list_s_menus_and_the_evaluation_dates_are_read_once_per_state_of_the_data(sqlite_url, monkeypatch):
    """The KPI list's filter menus, the reform items, the schemes in use and the dates ratings and audits are stored as
    of are read once per state of the data (web.kept.per_state), not on each of the list's pages; a write brings
    them up to date on the next page."""
    from mieruka.web import evaluation
    from mieruka.web.routers import kpis as kpi_routes

    webdata.build(sqlite_url)
    reads: Counter = Counter()
    for module, name in ((kpi_routes, "kpi_choices"), (kpi_routes, "reform_item_rows"), (evaluation, "stored_dates")):
        def counted(*args, _read=getattr(module, name), _name=name, **kw):
            reads[_name] += 1
            return _read(*args, **kw)
        monkeypatch.setattr(module, name, counted)
    client = TestClient(create_app(sqlite_url), base_url="http://localhost")
    for path in ("/kpis", "/kpis?lang=en", "/kpis?page=1&lang=en", "/kpis/1", "/"):
        assert client.get(path, headers={"Cookie": "uncached=1"}).status_code == 200
    assert reads == {"kpi_choices": 1, "reform_item_rows": 1, "stored_dates": 1}
    assert '<option value="2">' in client.get("/kpis", headers={"Cookie": "uncached=1"}).text  # 第二階層 offered

    with storage.session_scope(sqlite_url) as s:  # no KPI of the second tier any more
        s.execute(update(m.Kpi).where(m.Kpi.tier == 2).values(tier=1))
    reads.clear()
    page = client.get("/kpis", headers={"Cookie": "uncached=1"}).text
    assert '<option value="2">' not in page
    assert reads == {"kpi_choices": 1, "reform_item_rows": 1, "stored_dates": 1}


def test_a_write_committed_while_a_page_reads_leaves_no_old_value_kept_under_the_new_state(sqlite_url, monkeypatch):
    """The state a value is kept under is read before the request's first statement: a write committed between the
    request's first read and its menus being made (the menus still read from the request's older snapshot) must not
    leave the old menus kept for the requests after it."""
    from mieruka.web.routers import kpis as kpi_routes

    webdata.build(sqlite_url)
    client = TestClient(create_app(sqlite_url), base_url="http://localhost")
    uncached = {"Cookie": "uncached=1"}
    assert '<option value="2">' in client.get("/kpis", headers=uncached).text
    with storage.session_scope(sqlite_url) as s:  # a write: the next request makes the kept values again
        s.execute(update(m.Kpi).where(m.Kpi.id == 1).values(name="窓口業務のアウトソーシング（改）"))
    read = kpi_routes.evaluation_date
    written = []

    def then_a_write(session, *args, **kw):
        when = read(session, *args, **kw)  # the request has read: its snapshot is taken
        if not written:
            written.append(True)
            with storage.session_scope(sqlite_url) as s:  # another writer commits meanwhile
                s.execute(update(m.Kpi).where(m.Kpi.tier == 2).values(tier=1))
        return when
    monkeypatch.setattr(kpi_routes, "evaluation_date", then_a_write)
    client.get("/kpis", headers=uncached)
    monkeypatch.setattr(kpi_routes, "evaluation_date", read)
    assert client.get("/kpis.csv?tier=2", headers=uncached).text.count("\n") == 1  # the header: no KPI of tier 2
    assert '<option value="2">' not in client.get("/kpis", headers=uncached).text
