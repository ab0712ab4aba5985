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
        counted = dict(s.execute(text("SELECT kind, count(*) FROM search_entries GROUP BY kind")).all())
        assert counted == {"kpi": 4, "measure": 4, "case": 2, "document": 4}  # no local body written yet


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


# --- kana find kanji, five kinds, several words ranked (issue 12, item 4) ---

@pytest.fixture
def with_bodies(loaded):
    from mieruka.storage.local_bodies import sync_registry

    with storage.session_scope(loaded) as s:
        sync_registry(s)  # the writer of local bodies indexes them by name and kana
    return loaded


def _ranked(url: str, query: str) -> list[tuple[str, str, str, int]]:
    from mieruka.storage.search import ranked_search

    with storage.session_scope(url) as s:
        return [(h.kind, h.key, h.title, h.matched) for h in ranked_search(s, query)]


def test_hiragana_finds_the_kanji_name_of_a_local_body_first(with_bodies):
    assert _ranked(with_bodies, "えびな") == [("body", "142158", "海老名市(神奈川県)", 1),
                                              ("case", "1", "窓口業務の民間委託", 1)]  # its municipality is 海老名市
    assert _ranked(with_bodies, "エビナ")[0][:3] == ("body", "142158", "海老名市(神奈川県)")


def test_hiragana_finds_kanji_words_in_kpis_and_cases(with_bodies):
    # names that begin with the word first
    assert _ranked(with_bodies, "まどぐち") == [("kpi", "1", "窓口業務のアウトソーシング", 1), ("case", "1", "窓口業務の民間委託", 1),
                                                ("kpi", "2", "総合窓口の導入", 1)]
    with storage.session_scope(with_bodies) as s:  # the filters of the list pages take kana too
        assert search_ids(s, "まどぐち", "case") == [1]
        assert search_ids(s, "しょむ", "kpi") == [3]  # two kana: the substring scan of the readings


def test_all_words_first_then_some_words(with_bodies):
    found = _ranked(with_bodies, "まどぐち しょむ")
    # no entry holds both; those whose name begins with a word come first
    assert [(k, key, n) for k, key, _, n in found] == [
        ("kpi", "3", 1), ("kpi", "1", 1), ("case", "2", 1), ("case", "1", 1),  # 庶務…, 窓口…: the name begins so
        ("body", "024112", 1),   # 六ヶ所村, ロッカショムラ: the word inside the name's reading; places before KPIs
        ("kpi", "2", 1)]         # 総合窓口…
    both = _ranked(with_bodies, "窓口 委託")
    assert [(k, key, n) for k, key, _, n in both][:3] == [("case", "1", 2), ("kpi", "1", 2), ("kpi", "2", 2)]
    assert {n for *_, n in both[3:]} == {1}


def test_documents_are_found_by_title(with_bodies):
    assert _ranked(with_bodies, "こうきょうさーびす")[:1] == [
        ("document", "3", "公共サービスイノベーション・プラットフォーム(試験用)", 1)]
    assert _ranked(with_bodies, "工程表")[:1] == [("document", "1", "改革工程表の進捗(試験用)", 1)]


def test_the_search_page_from_the_header_box(with_bodies):
    client = TestClient(create_app(with_bodies))
    for path in ("/", "/kpis", "/cases/1", "/local"):  # the box is in every page's header
        page = client.get(path)
        assert '<form class="site-search" method="get" action="/search" role="search"' in page.text, path
        assert 'placeholder="例: まどぐち"' in page.text
    page = client.get("/search", params={"q": "まどぐち"})  # the example the box shows finds something
    assert page.status_code == 200
    assert "3件見つかりました。" in page.text
    assert '<a href="/kpis/2" lang="ja" translate="no">総合窓口の導入</a>' in page.text
    body = client.get("/search", params={"q": "えびな", "lang": "en"})
    assert "2 found." in body.text and '<a href="/local/142158?lang=en" lang="ja" translate="no">海老名市(神奈川県)</a>' in body.text
    two = client.get("/search", params={"q": "窓口 委託"})
    assert "（すべての語を含むもの3件）" in two.text and "一部の語を含むもの" in two.text
    assert "見つかりませんでした" in client.get("/search", params={"q": "見つからない語"}).text
    assert client.get("/search", params={"q": "あ" * (MAX_QUERY_CHARS + 1)}).status_code == 422


def test_the_api_finds_every_kind(with_bodies):
    client = TestClient(create_app(with_bodies))
    hits = client.get("/api/search", params={"q": "えびな"}).json()
    assert [(h["kind"], h["url"]) for h in hits["items"]] == [("body", "/local/142158"), ("case", "/cases/1")]
    kpis = client.get("/api/search", params={"q": "まどぐち", "kind": "kpi"}).json()
    assert sorted(h["url"] for h in kpis["items"]) == ["/kpis/1", "/kpis/2"]


def test_the_bundled_sample_with_the_registry_finds_kana(tmp_path):
    """What a newcomer types into the box on `make demo`: 「えびな」 finds 海老名市 first, 「まどぐち」 KPIs named 窓口…"""
    from mieruka.loading.sample import load_sample
    from mieruka.storage.local_bodies import ensure_registry

    url = f"sqlite:///{tmp_path / 'sample.db'}"
    load_sample(url)
    with storage.session_scope(url) as s:
        ensure_registry(s)  # what `mieruka serve` does at start-up
    first = _ranked(url, "えびな")[0]
    assert first[:3] == ("body", "142158", "海老名市(神奈川県)")
    found = _ranked(url, "まどぐち")
    assert found[0][0] == "kpi" and found[0][2] == "窓口業務のアウトソーシング"
    assert len(found) >= 5 and all("窓口" in title or kind == "case" for kind, _, title, _ in found[:5])
    storage.dispose_engines()


def test_a_count_kept_for_the_index_follows_rows_written_since(loaded):
    """search_count keeps a query's total for the index as it stands (its fingerprint): a commit that leaves the
    index alone reads it again, a writer adding an entry makes it counted anew."""
    statements = []

    def record(conn, cursor, statement, *args):
        if "count(*)" in statement:
            statements.append(statement)
    engine = storage.get_engine(loaded)
    event.listen(engine, "before_cursor_execute", record)
    try:
        with storage.session_scope(loaded) as s:
            assert search_count(s, "総務省", ("measure",)) == 2
        with storage.session_scope(loaded, write=True) as s:  # a commit that changes no entry
            s.execute(text("INSERT INTO search_meta (key, value) VALUES ('other', 'x')"))
        with storage.session_scope(loaded) as s:
            assert search_count(s, "総務省", ("measure",)) == 2
        assert len(statements) == 1  # counted once
        _store(loaded, "c" * 64, _catalogue_with("公共施設の予約のオンライン化"))  # 総務省 leads it too
        with storage.session_scope(loaded) as s:
            assert search_count(s, "総務省", ("measure",)) == 3
            assert sorted(search_ids(s, "総務省", "measure")) == [1, 2, 4]
            assert search_count(s, "総務省", ("case",)) == 0
        assert len(statements) == 3
    finally:
        event.remove(engine, "before_cursor_execute", record)
