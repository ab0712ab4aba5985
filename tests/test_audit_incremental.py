"""A stored audit is brought up to date after a write by auditing again only what the write touched: the result is the
same as a whole audit, and a one-document ingest audits its own KPIs only (SQLite and PostgreSQL)."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from mieruka import storage
from mieruka.evaluate import stored
from mieruka.loading.documents import ingest_paths
from mieruka.storage import models as m

AS_OF, EARLIER = date(2019, 3, 31), date(2018, 6, 1)
CATALOGUE = "003_3c7fc59f76fc2acb.txt"  # the national measure catalogue: restates two KPIs' targets, undated


def _rows(findings) -> list[dict]:
    return [{"kind": f.kind, "kpi_id": f.kpi_id, "kpi": f.kpi, "message": f.message, "message_en": f.message_en,
             "sources": f.sources} for f in findings]


def _audited_before_the_catalogue(seeds, url):
    storage.ensure_schema(url)
    ingest_paths([p for p in sorted(seeds.iterdir()) if p.name != CATALOGUE], url, None)
    with storage.session_scope(url) as s:
        for when in (AS_OF, EARLIER):
            stored.audit_and_store(s, when)


def test_an_ingest_audits_again_only_the_kpis_it_wrote_and_gives_what_a_whole_audit_gives(seeds, db_url, monkeypatch):
    _audited_before_the_catalogue(seeds, db_url)
    with storage.session_scope(db_url) as s:
        before = list(stored.iter_stored_findings(s, AS_OF))
    ingest_paths([seeds / CATALOGUE], db_url, None)

    audited: list[list[int]] = []
    whole: list = []
    audit, audit_stream = stored.audit, stored.audit_stream
    monkeypatch.setattr(stored, "audit", lambda kpis, *a, **k: audited.append([x["id"] for x in kpis]) or audit(kpis, *a, **k))
    monkeypatch.setattr(stored, "audit_stream", lambda *a, **k: whole.append(a) or audit_stream(*a, **k))
    with storage.session_scope(db_url) as s:
        assert stored.refresh_audits(s) == [EARLIER, AS_OF]
        catalogue = s.scalar(select(m.Document.id).where(m.Document.file_name == CATALOGUE))
        named = sorted(set(s.scalars(select(m.KpiAppearance.kpi_id).where(m.KpiAppearance.document_id == catalogue))))
        names = dict(s.execute(select(m.Kpi.id, m.Kpi.name).where(m.Kpi.id.in_(named))).all())
        kpi_count = len(list(s.scalars(select(m.Kpi.id))))
    # the two KPIs the catalogue restates and the part of one it counts on its own (003 l.82 「うち自治体クラウド導入団体は
    # 約1,100団体」, a KPI it makes), once per stored date; no whole audit
    assert len(named) == 3 and kpi_count == 34
    assert "クラウド導入市区町村数:うち自治体クラウド導入団体" in names.values()
    assert audited == [named, named] and whole == []
    monkeypatch.setattr(stored, "audit", audit)

    with storage.session_scope(db_url) as s:
        kept = {when: list(stored.iter_stored_findings(s, when)) for when in (AS_OF, EARLIER)}
        again = {when: _rows(stored.audit_bulk(s, when)) for when in (AS_OF, EARLIER)}
        # nothing left to redo: the stored audits are current
        assert stored.refresh_audits(s) == []
    assert kept == again
    assert Counter(f["kind"] for f in kept[AS_OF]) == {
        "stale": 12, "target_conflict": 4, "target_revised": 4, "rating_mismatch": 3, "rating_conflict": 2,
        "value_conflict": 1, "target_overdue": 1, "tier_conflict": 1, "percent_mismatch": 1, "office_conflict": 1}
    assert len(kept[EARLIER]) == 28
    # what the catalogue changed: one target revised for each KPI it restates, found from its undated 令和 text
    key = lambda f: (f["kind"], f["kpi_id"])  # noqa: E731
    added = sorted({key(f) for f in kept[AS_OF]} - {key(f) for f in before})
    restated = [kpi for kpi in named if ":うち" not in names[kpi]]  # the part has one target: nothing revised
    assert added == [("target_revised", kpi) for kpi in restated]
    revised = {f["kpi_id"]: f["message"] for f in kept[AS_OF] if f["kind"] == "target_revised" and f["kpi_id"] in named}
    assert revised[named[0]].startswith("004_61602f91609cf434.txt 99行（2017-07-07）の1,000団体(2017年度末)から、"
                                        f"{CATALOGUE} 82行（日付の記載なし、令和の年号を用いるので2019-05-01以降）の"
                                        "1,600団体(2023年度末)へ: 目標値が引き上げられた")
    assert revised[named[1]].startswith("001_e45c8b7264fa866c.txt 76行（2017-04-01）の未設定（2018年度末までに設定予定）から")
    assert all(f["kpi"] == names[f["kpi_id"]] for f in kept[AS_OF] if f["kpi_id"] in names)


def test_a_scheme_file_changing_audits_every_kpi_again(seeds, db_url, monkeypatch):
    _audited_before_the_catalogue(seeds, db_url)
    sha = stored.file_sha256
    monkeypatch.setattr(stored, "file_sha256", lambda path: "0" * 64 if path.stem == "reform-schedule" else sha(path))
    whole = []
    audit_stream = stored.audit_stream
    monkeypatch.setattr(stored, "audit_stream", lambda *a, **k: whole.append(a[1]) or audit_stream(*a, **k))
    with storage.session_scope(db_url) as s:
        run_id, key = stored.latest_audit_run(s, AS_OF)
        assert stored.audit_changes(s, AS_OF, run_id, key) is None  # cannot: the file is not the one audited with
        assert stored.refresh_audits(s) == [EARLIER, AS_OF]
        assert stored.refresh_audits(s) == []
        assert len(list(stored.iter_stored_findings(s, AS_OF))) == 28
    assert whole == [EARLIER, AS_OF]


def test_an_audit_stored_under_other_rules_is_audited_again(seeds, db_url, monkeypatch):
    # findings stored before an upgrade would keep the rules and wording they were made with (a value conflict that
    # wrote 1,000.4 and 1,000.3 as 「1,000団体」 twice): the rules' version is part of the stored audit's key
    _audited_before_the_catalogue(seeds, db_url)
    assert stored._rules_version() == "rules:2"
    monkeypatch.setattr(stored, "RULES", "upgraded")
    whole = []
    audit_stream = stored.audit_stream
    monkeypatch.setattr(stored, "audit_stream", lambda *a, **k: whole.append(a[1]) or audit_stream(*a, **k))
    with storage.session_scope(db_url) as s:
        run_id, key = stored.latest_audit_run(s, AS_OF)
        assert not key.partition("#")[0].endswith("rules:upgraded")
        assert stored.audit_changes(s, AS_OF, run_id, key) is None
        assert stored.refresh_audits(s) == [EARLIER, AS_OF]
        assert stored.latest_audit_run(s, AS_OF)[1].partition("#")[0].endswith("|rules:upgraded")
        assert stored.refresh_audits(s) == []
    assert whole == [EARLIER, AS_OF]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_whole_audit_and_a_refresh_of_the_same_stored_audit_wait_for_each_other(seeds, db_url):
    """PostgreSQL: an audit of a date replaces the audits stored for it while a refresh (after an ingest, a round's
    publication) brings one of them up to date. Each holds the stored audit it works on: the second waits for the first
    instead of failing on the findings' reference to a run the other deleted, and the last one's audit is what stays,
    whole. (SQLite has one writer at a time.)"""
    _audited_before_the_catalogue(seeds, db_url)
    ingest_paths([seeds / CATALOGUE], db_url, None)
    with storage.session_scope(db_url) as s:
        whole = _rows(stored.audit_bulk(s, AS_OF))

    def run_concurrently(first, second):
        """first(session) in a transaction held open until second(session), begun meanwhile in a thread, has been
        waiting a second; what second returned or raised."""
        started, got = threading.Event(), {}

        def other():
            try:
                with storage.session_scope(db_url, write=True, take_turns=False) as s:
                    started.set()
                    got["value"] = second(s)
            except Exception as exc:  # noqa: BLE001 - the test says what it was
                got["error"] = exc
        with storage.session_scope(db_url, write=True, take_turns=False) as s:
            first(s)
            thread = threading.Thread(target=other)
            thread.start()
            started.wait(10)
            thread.join(1.0)
            assert thread.is_alive()  # waiting for the first transaction's hold on the stored audit
        thread.join(60)
        return got

    def refresh(s):
        run_id, key = stored.latest_audit_run(s, AS_OF)
        return stored.audit_changes(s, AS_OF, run_id, key)

    # a refresh holds the stored audit; a whole audit of its date waits, then replaces it with its refreshed findings
    got = run_concurrently(refresh, lambda s: stored.audit_and_store(s, AS_OF))
    assert "error" not in got and got["value"] == len(whole)
    with storage.session_scope(db_url) as s:
        assert len(s.scalars(select(m.AuditRun.id).where(m.AuditRun.as_of == AS_OF)).all()) == 1
        assert list(stored.iter_stored_findings(s, AS_OF)) == whole

    # a whole audit holds the stored audits of its date; a refresh of the one it replaces waits, then finds it gone
    with storage.session_scope(db_url) as s:
        old_run = stored.latest_audit_run(s, AS_OF)
    got = run_concurrently(lambda s: stored.audit_and_store(s, AS_OF),
                           lambda s: stored.audit_changes(s, AS_OF, *old_run))
    assert got == {"value": None}  # nothing done: refresh_audits then audits the date whole
    with storage.session_scope(db_url) as s:
        assert [r for r in s.scalars(select(m.AuditRun.id).where(m.AuditRun.as_of == AS_OF))] != [old_run[0]]
        assert list(stored.iter_stored_findings(s, AS_OF)) == whole


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_refresh_of_every_date_and_a_whole_audit_that_trims_an_older_date_do_not_deadlock(seeds, db_url, monkeypatch):
    """PostgreSQL: a refresh holds each date's stored audit in date order; a whole audit of one date (`mieruka audit`)
    drops the audits beyond the four kept. It waits for its own date's, and leaves an older date's held by the refresh
    for a later audit to drop: waiting for that one too, while the refresh waited for this date's, was a deadlock."""
    storage.ensure_schema(db_url)
    ingest_paths([p for p in sorted(seeds.iterdir()) if p.name != CATALOGUE], db_url, None)
    d1, d2, d3, d4 = date(2018, 6, 1), date(2019, 3, 31), date(2019, 6, 1), date(2019, 9, 1)
    for when in (d2, d3, d4, d1):  # d2's audit is the oldest kept (a whole audit of d1 trims it), d1's the newest
        with storage.session_scope(db_url, write=True) as s:
            stored.audit_and_store(s, when)
    ingest_paths([seeds / CATALOGUE], db_url, None)  # every kept audit is to be brought up to date
    first_done, go_on, got = threading.Event(), threading.Event(), {}
    changes = stored.audit_changes

    def paced(session, when, *a, **k):
        done = changes(session, when, *a, **k)
        if not first_done.is_set():  # d1's audit held: the whole audit of d1 starts now
            first_done.set()
            go_on.wait(10)
        return done
    monkeypatch.setattr(stored, "audit_changes", paced)

    def run(label, work, **scope):
        try:
            with storage.session_scope(db_url, **scope) as s:
                got[label] = work(s)
        except Exception as exc:  # noqa: BLE001 - the test says what it was
            got[label] = exc
    refresher = threading.Thread(target=run, args=("refresh", stored.refresh_audits), kwargs={"write": True})
    refresher.start()
    assert first_done.wait(60)
    auditor = threading.Thread(target=run, args=("audit", lambda s: stored.audit_into_run(s, d1)))
    auditor.start()
    auditor.join(0.5)
    go_on.set()
    refresher.join(120)
    auditor.join(120)
    assert got["refresh"] == [d1, d2, d3, d4]
    assert isinstance(got["audit"], tuple) and got["audit"][1] == 28
    with storage.session_scope(db_url) as s:
        assert list(stored.iter_stored_findings(s, d1)) == _rows(stored.audit_bulk(s, d1))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_whole_audits_of_one_date_at_once_leave_one_stored_audit(seeds, db_url):
    """PostgreSQL: three `mieruka audit` of one date at once take turns; each replaces the one before it, so one stored
    audit of the date is left (each replaced only what was committed before all three began, and three were left)."""
    storage.ensure_schema(db_url)
    ingest_paths(sorted(seeds.iterdir()), db_url, None)
    with storage.session_scope(db_url, write=True) as s:
        stored.audit_and_store(s, AS_OF)
    got, started = {}, threading.Barrier(3)

    def auditor(name):
        started.wait(10)
        try:
            with storage.session_scope(db_url) as s:  # as `mieruka audit` reads and writes: no writer's turn taken
                got[name] = stored.audit_into_run(s, AS_OF)
        except Exception as exc:  # noqa: BLE001 - the test says what it was
            got[name] = exc
    threads = [threading.Thread(target=auditor, args=(n,)) for n in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(isinstance(v, tuple) for v in got.values()) and len(got) == 3
    with storage.session_scope(db_url) as s:
        runs = s.scalars(select(m.AuditRun.id).where(m.AuditRun.as_of == AS_OF)).all()
        assert runs == [max(v[0] for v in got.values())]
        assert list(stored.iter_stored_findings(s, AS_OF)) == _rows(stored.audit_bulk(s, AS_OF))


def test_an_audit_is_stored_whatever_the_number_of_scheme_files(db_url, tmp_path, monkeypatch):
    """The key an audit is stored under names the scheme files it was made with; with many of a user's own
    (MIERUKA_SCHEMES_DIR) it became longer than its column and PostgreSQL refused to store the audit. Past a length the
    schemes are named by a digest: still a key that changes with any of their files."""
    from types import SimpleNamespace

    storage.ensure_schema(db_url)
    files = {}
    for i in range(30):
        files[f"my-own-scheme-number-{i:02d}"] = path = tmp_path / f"s{i}.yaml"
        path.write_text(f"name: s{i}\n", encoding="utf-8")
    monkeypatch.setattr(stored, "available", lambda: files)
    schemes = [SimpleNamespace(name=n) for n in files]
    with storage.session_scope(db_url, write=True) as s:
        key = stored._key(s, schemes)
        assert key.count("|") == 5 and key.rpartition("|")[2].startswith("schemes:") and len(key) < 120
        run_id = stored.begin_audit(s, AS_OF, key + "#" + "0" * 16)
    with storage.session_scope(db_url) as s:
        assert stored.latest_audit_run(s, AS_OF) == (run_id, key + "#" + "0" * 16)
        files["my-own-scheme-number-07"].write_text("name: s7\nchanged: true\n", encoding="utf-8")
        assert stored._key(s, schemes) != key
        few = stored._key(s, schemes[:2])
        assert few.endswith("my-own-scheme-number-01:" + stored.file_sha256(files["my-own-scheme-number-01"])[:12]
                            + "|rules:2")
