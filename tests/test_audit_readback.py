"""The stored audit read back in the audit's order a batch at a time, and the documents its messages cite named by
title and date (what `mieruka audit` prints)."""
from __future__ import annotations

import threading
from datetime import date

from mieruka import storage
from mieruka.evaluate import stored
from mieruka.loading.documents import ingest_paths
from mieruka.records.citation import named_sources, namer
from mieruka.storage.ratings import stored_audit_page, stored_audit_rows

AS_OF = date(2019, 3, 31)


def test_the_stored_audit_read_in_batches_is_the_stored_audit_in_order(seeds, db_url):
    storage.ensure_schema(db_url)
    ingest_paths(sorted(seeds.iterdir()), db_url, None)
    with storage.session_scope(db_url) as s:
        assert stored.audit_and_store(s, AS_OF) == 30
        key = stored._key(s, stored.all_schemes())
        total, page = stored_audit_page(s, AS_OF, key)
        # batches of 7 split the 30 findings unevenly: the order still runs across them
        batched = list(stored_audit_rows(s, AS_OF, key, batch=7))
        assert total == 30 and batched == page
        assert [f["kind"] for f in batched[:3]] == [f["kind"] for f in page[:3]]
        assert list(stored.iter_stored_findings(s, AS_OF)) == page
        # one language read back (what `mieruka audit --lang` prints): that message as stored, the other left out
        for lang, kept, left in (("ja", "message", "message_en"), ("en", "message_en", "message")):
            read = list(stored.iter_stored_findings(s, AS_OF, lang=lang))
            assert [f[kept] for f in read] == [f[kept] for f in page] and {f[left] for f in read} == {None}
            assert [{**f, kept: None} for f in read] == [{**f, kept: None, left: None} for f in page]
        assert list(stored_audit_rows(s, date(2001, 1, 1), key)) == []


LABELS = {"a.txt": {"title": "改革工程表", "date": date(2017, 10, 1), "date_is_data": True, "file_name": "a.txt"},
          "aa.txt": {"title": "評価書", "date": date(2019, 8, 1), "date_is_data": False, "file_name": "aa.txt"}}


def test_a_namer_names_every_cited_line_as_named_sources_does():
    text = "a.txt 12行の区分はB、aa.txt 3行はA、a.txt 12行・a.txt"
    name = namer(LABELS, "ja")
    expected = ("「改革工程表」2017-10-01（平成29年10月1日）時点の数値、12行目の区分はB、"
                "「評価書」2019-08-01（令和元年8月1日）、3行目はA、"
                "「改革工程表」2017-10-01（平成29年10月1日）時点の数値、12行目・"
                "「改革工程表」2017-10-01（平成29年10月1日）時点の数値")
    assert name(text) == expected == named_sources(text, LABELS)
    assert name(None) == "" and name("") == "" and namer({}, "ja")("a.txt 1行") == "a.txt 1行"
    assert namer(LABELS, "en")("aa.txt line 3 rates it A") == "“評価書” (2019-08-01), line 3 rates it A"
    marked = namer(LABELS, "ja", mark=lambda n, f: f"<{f}>", plain=lambda s: s.upper())
    assert marked("x a.txt 1行 y") == "X <a.txt> Y"


def test_an_audit_reading_ahead_and_helped_by_a_second_process_finds_what_one_reading_in_its_own_session_finds(
        seeds, db_url, monkeypatch):
    storage.ensure_schema(db_url)
    ingest_paths(sorted(seeds.iterdir()), db_url, None)
    readers = []
    columns = stored.audit_observation_columns

    def watched(session, ids, *args):
        readers.append((threading.current_thread().name, session))
        return columns(session, ids, *args)

    monkeypatch.setattr(stored, "audit_observation_columns", watched)
    monkeypatch.setattr(stored, "CHUNK", 5)  # the seeds' 32 KPIs in seven chunks
    with storage.session_scope(db_url) as s:
        plain = [(p, f.kind, f.kpi_id, f.message, f.sources) for batch in stored.audit_stream(s, AS_OF)
                 for p, f in batch]
        assert {name for name, _ in readers} == {threading.current_thread().name} and {r for _, r in readers} == {s}
        readers.clear()
        ahead = [(p, f.kind, f.kpi_id, f.message, f.sources) for batch in stored.audit_stream(s, AS_OF, ahead=True)
                 for p, f in batch]
        # seven reads, all in one other thread through one session of its own
        assert len(readers) == 7 and len({r for _, r in readers}) == 1 and readers[0][1] is not s
        assert {name for name, _ in readers} != {threading.current_thread().name}
        # a larger database: the second half is audited by a spawned process, this one reads only the first 15 KPIs
        monkeypatch.setattr(stored, "HELPED_FROM", 10)
        readers.clear()
        helped = [(p, f.kind, f.kpi_id, f.message, f.sources) for batch in stored.audit_stream(s, AS_OF, ahead=True)
                  for p, f in batch]
        assert len(readers) == 3
    assert len(plain) == 30 and ahead == plain and helped == plain


def test_an_audit_is_read_back_by_its_run_when_the_data_changed_meanwhile(seeds, db_url):
    # what `mieruka audit` prints: on PostgreSQL a write committed during the audit changes the data's key, and the
    # findings stored under the key the audit started from were printed as none ("0 finding(s)", exit 0)
    from sqlalchemy import update

    from mieruka.storage import models as m
    storage.ensure_schema(db_url)
    ingest_paths(sorted(seeds.iterdir()), db_url, None)
    with storage.session_scope(db_url) as s:
        run_id, count = stored.audit_into_run(s, AS_OF)
    with storage.session_scope(db_url) as s:  # another writer, after the audit stored its findings
        s.execute(update(m.KpiSummary).where(m.KpiSummary.kpi_id == 1).values(version=10 ** 6))  # the newest write
    with storage.session_scope(db_url) as s:
        assert list(stored.iter_stored_findings(s, AS_OF)) == []  # not the current data's audit any more
        found = list(stored.iter_stored_findings(s, AS_OF, run_id=run_id))
    assert count == 30 and len(found) == 30 and found[0]["kind"] == "rating_mismatch"
