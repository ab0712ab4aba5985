"""Japanese full-text search (storage.search) on SQLite FTS5 trigram and on PostgreSQL (pg_trgm or ILIKE):
the index follows the tables, short and long terms both match, full-width text matches its NFKC form."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text

import webdata
from mieruka import storage
from mieruka.storage import models as m
from mieruka.storage.search import ensure_search_index, search, search_ids


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


def test_index_is_rebuilt_only_when_measures_or_cases_change(loaded):
    with storage.session_scope(loaded) as s:
        ensure_search_index(s)
        assert ensure_search_index(s) is False
        doc_id = s.scalar(text("SELECT id FROM documents WHERE family = 'measure-catalogue'"))
        s.add(m.Measure(no=4, name="公共施設の予約のオンライン化", document_id=doc_id, effect_convenience=True))
    with storage.session_scope(loaded) as s:
        assert search_ids(s, "施設の予約", "measure") != []
        assert ensure_search_index(s) is False
