"""Japanese full-text search (storage.search) on SQLite FTS5 trigram and on PostgreSQL (pg_trgm or ILIKE):
the index follows the tables, short and long terms both match, full-width text matches its NFKC form."""
from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

import webdata
from mieruka import storage
from mieruka.records import extraction as r
from mieruka.storage import models as m
from mieruka.storage.load import add_document, store_extraction
from mieruka.storage.search import (MAX_QUERY_CHARS, MAX_TERMS, SearchQueryError, ensure_search_index, search,
                                    search_count, search_ids)
from mieruka.web import create_app


@pytest.fixture
def loaded(db_url):
    webdata.build(db_url)
    return db_url


def test_sqlite_supports_the_trigram_tokenizer():
    assert sqlite3.sqlite_version_info >= (3, 34, 0)


@pytest.mark.parametrize("query, kind, expected", [
    ("電子調達", "measure", [1]),
    ("防災", "measure", [3]),                 # two characters: below the trigram length
    ("平成３０年度", "measure", [1]),         # full-width digits in the query, NFKC-folded
    ("総務省  電子", "measure", [1]),          # AND of terms; ministries are indexed
    ("手続における情報通信", "measure", [1, 2]),
    ("海老名", "case", [1]),
    ("▲46%", "case", [2]),                   # effect text
    ("見つからない語", "case", []),
])
def test_search_finds_measures_and_cases(loaded, query, kind, expected):
    with storage.session_scope(loaded) as s:
        assert sorted(search_ids(s, query, kind)) == expected


def test_hits_carry_title_and_a_snippet_around_the_match(loaded):
    with storage.session_scope(loaded) as s:
        hits = search(s, "順次利用開始")
    assert [(h.kind, h.ref, h.title) for h in hits] == [("measure", 1, "マイナンバーカードと電子委任状を活用した政府調達")]
    assert "電子調達システムを平成30年度から順次利用開始する" in hits[0].snippet


def test_empty_query_finds_nothing(loaded):
    with storage.session_scope(loaded) as s:
        assert search(s, "   ") == []


def _catalogue_with(name: str) -> r.Extraction:
    return r.Extraction(family="measure-catalogue", title="追加の施策", measures=[
        r.MeasureRecord(no=4, name=name, source=r.Source(line=2, text=name), pillar="行政サービスのデジタル化",
                        ministries=[r.MinistryRecord(name="総務省", lead=True)])])


def _store(url: str, sha: str, ex: r.Extraction) -> None:
    with storage.session_scope(url) as s:
        doc = add_document(s, file_name=f"{sha[:4]}.json", family=ex.family, sha256=sha, raw=b"x")
        store_extraction(s, doc, ex)


def test_a_written_measure_is_indexed_by_its_writer(loaded):
    with storage.session_scope(loaded) as s:
        assert ensure_search_index(s) is False  # the writers of webdata.build kept the index in step
    _store(loaded, "a" * 64, _catalogue_with("公共施設の予約のオンライン化"))
    with storage.session_scope(loaded) as s:
        assert search_ids(s, "施設の予約", "measure") == [4]
        assert search_ids(s, "予約", "measure") == [4]           # two characters: the substring scan
        assert ensure_search_index(s) is False                   # nothing left for start-up to rebuild
        assert s.execute(text("SELECT count(*) FROM search_entries")).scalar() == 6  # 4 measures, 2 cases


def test_a_failed_write_leaves_no_index_entry(loaded):
    with pytest.raises(RuntimeError):
        with storage.session_scope(loaded) as s:
            doc = add_document(s, file_name="b.json", family="measure-catalogue", sha256="b" * 64, raw=b"x")
            store_extraction(s, doc, _catalogue_with("公共施設の予約のオンライン化"))
            raise RuntimeError("the reader broke after storing")
    with storage.session_scope(loaded) as s:
        assert search_ids(s, "施設の予約", "measure") == []
        assert ensure_search_index(s) is False


def test_searching_writes_nothing_and_start_up_catches_up_with_rows_written_around_storage(loaded):
    with storage.session_scope(loaded) as s:  # a row written without storage's writers (a tool, old code)
        doc_id = s.scalar(text("SELECT id FROM documents WHERE family = 'measure-catalogue'"))
        s.add(m.Measure(no=4, name="公共施設の予約のオンライン化", document_id=doc_id, effect_convenience=True))
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    engine = storage.get_engine(loaded)
    event.listen(engine, "before_cursor_execute", record)
    try:
        with storage.session_scope(loaded) as s:
            assert search_ids(s, "施設の予約", "measure") == []
            assert search_ids(s, "電子調達", "measure") == [1]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert set(statements) - {"BEGIN"} == {"SELECT"}  # a reader's BEGIN (storage.db on SQLite) takes no lock
    with storage.session_scope(loaded) as s:
        assert ensure_search_index(s) is True  # what create_app runs before the first request
        assert search_ids(s, "施設の予約", "measure") == [4]


def test_a_database_without_measures_or_cases_finds_nothing(db_url):
    storage.ensure_schema(db_url)
    with storage.session_scope(db_url) as s:
        assert search(s, "電子調達") == []


@pytest.mark.parametrize("query, key, fields", [
    ("あ" * (MAX_QUERY_CHARS + 1), "search.too_long", {"limit": MAX_QUERY_CHARS, "length": MAX_QUERY_CHARS + 1}),
    (" ".join("電子" for _ in range(MAX_TERMS + 1)), "search.too_many_terms", {"limit": MAX_TERMS, "count": MAX_TERMS + 1}),
])
def test_oversized_queries_are_refused_before_touching_the_index(loaded, query, key, fields):
    with storage.session_scope(loaded) as s:
        with pytest.raises(SearchQueryError) as refused:
            search(s, query)
    assert (refused.value.key, refused.value.fields) == (key, fields)


def test_the_longest_allowed_query_still_runs(loaded):
    with storage.session_scope(loaded) as s:
        assert search(s, " ".join(["電子"] * MAX_TERMS)) != []
        assert search(s, "電子調達" + " " * (MAX_QUERY_CHARS - 4)) != []


def test_oversized_queries_get_a_422_in_the_page_language(loaded):
    client = TestClient(create_app(loaded))
    long_q = "あ" * (MAX_QUERY_CHARS + 1)
    page = client.get("/measures", params={"q": long_q})
    assert page.status_code == 422
    # the request guard refuses it before the search is reached, with the same bound
    assert f"q: {MAX_QUERY_CHARS}文字以内で指定してください({MAX_QUERY_CHARS + 1}文字が指定されました)。" in page.text
    english = client.get("/cases", params={"q": " ".join(["窓口"] * (MAX_TERMS + 1)), "lang": "en"})
    assert english.status_code == 422
    assert f"q: at most {MAX_TERMS} search words ({MAX_TERMS + 1} given)." in english.text
    api = client.get("/api/search", params={"q": long_q, "lang": "en"})
    assert api.status_code == 422
    assert api.json()["detail"] == f"q: at most {MAX_QUERY_CHARS} characters ({MAX_QUERY_CHARS + 1} given)."
    assert client.get("/api/measures", params={"q": long_q}).json()["detail"].startswith(f"q: {MAX_QUERY_CHARS}文字以内")


def test_the_api_pages_search_hits_in_the_database(loaded):
    client = TestClient(create_app(loaded))
    every = client.get("/api/search", params={"q": "手続における情報通信"}).json()
    assert every["total"] == 2 and sorted(h["ref"] for h in every["items"]) == [1, 2]
    second = client.get("/api/search", params={"q": "手続における情報通信", "limit": 1, "offset": 1}).json()
    assert (second["total"], second["limit"], second["offset"]) == (2, 1, 1)
    assert second["items"] == every["items"][1:]
    beyond = client.get("/api/search", params={"q": "手続における情報通信", "offset": 5}).json()
    assert (beyond["total"], beyond["items"]) == (2, [])
    short = client.get("/api/search", params={"q": "防災", "kind": "measure", "limit": 5}).json()
    assert short["total"] == 1 and [(h["ref"], h["url"]) for h in short["items"]] == [(3, "/measures/3")]
    with storage.session_scope(loaded) as s:
        assert search_count(s, "手続における情報通信", ("case",)) == 0


def test_two_writers_committing_together_both_index_their_rows(db_url):
    """The second writer waits for the first one's fingerprint row, then updates it (no duplicate key)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite lets one writer at a time into the database: nothing to interleave")
    import threading
    import time

    webdata.build(db_url)
    first_stored, errors = threading.Event(), []
    with storage.session_scope(db_url) as s:
        doc = add_document(s, file_name="a.json", family="measure-catalogue", sha256="a" * 64, raw=b"x")
        store_extraction(s, doc, _catalogue_with("公共施設の予約のオンライン化"))

        def second():
            try:
                first_stored.wait()
                _store(db_url, "b" * 64, _catalogue_with("図書館の蔵書検索の共同化"))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        thread = threading.Thread(target=second)
        thread.start()
        first_stored.set()
        waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND query LIKE '%search_meta%' AND pid <> pg_backend_pid()")
        for _ in range(300):  # until the second writer waits on the first one's fingerprint row
            with storage.get_engine(db_url).connect() as conn:
                if conn.execute(waiting).scalar():
                    break
            time.sleep(0.1)
        else:
            pytest.fail("the second writer never waited for the first")
    thread.join(timeout=60)
    assert errors == [] and not thread.is_alive()
    with storage.session_scope(db_url) as s:
        assert len(search_ids(s, "施設の予約", "measure")) == 1
        assert len(search_ids(s, "蔵書検索", "measure")) == 1
