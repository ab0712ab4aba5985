"""A stored audit is brought up to date after a write by auditing again only what the write touched: the result is the
same as a whole audit, and a one-document ingest audits its own KPIs only (SQLite and PostgreSQL)."""
from __future__ import annotations

from collections import Counter
from datetime import date

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


def test_an_audit_stored_by_other_audit_code_is_audited_again(seeds, db_url, monkeypatch):
    # findings stored before an upgrade would keep the rules and wording they were made with (a value conflict that
    # wrote 1,000.4 and 1,000.3 as 「1,000団体」 twice): the code's digest is part of the stored audit's key
    _audited_before_the_catalogue(seeds, db_url)
    assert stored._rules_version().startswith("rules:") and len(stored._rules_version()) == 18
    monkeypatch.setattr(stored, "_rules_version", lambda: "rules:upgraded")
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
