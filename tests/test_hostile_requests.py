"""Issue 15, class 1: no one request may size unbounded work. Search text, its words, the query string, the number
of parameters, page sizes and numbers typed into the calculator are bounded at the edge and refused with a 422 in
the page's language; a PostgreSQL statement past its time limit is a 503; any other exception is a logged 500 page,
never a traceback. Nothing a refused request does changes the database."""
from __future__ import annotations

import logging
import os

import pytest
from sqlalchemy import text

from hostile import BACKENDS, built_database, database_fingerprint, hostile_client, hostile_database, postgres_schema
from mieruka import storage
from mieruka.web.guards import MAX_PARAMS, MAX_QUERY_BYTES, MAX_SEARCH_CHARS, MAX_SEARCH_TERMS
from mieruka.web.pages import DbSession
from webdata import parse_html

PG_URL = os.environ.get("MIERUKA_TEST_DATABASE_URL")


@pytest.fixture(scope="module", params=BACKENDS)
def site(request, tmp_path_factory):
    with hostile_database(request.param, tmp_path_factory, "requests.db") as url:
        client = hostile_client(url)
        before = database_fingerprint(url)
        yield client
        assert database_fingerprint(url) == before, "a refused request changed the database"


def page_error(r) -> str:
    """The message of an HTML error page."""
    assert r.headers["content-type"].startswith("text/html")
    html = parse_html(r.text)
    return " ".join("".join(html.text).split())


WORDS = " ".join(f"w{i}" for i in range(MAX_SEARCH_TERMS + 1))


@pytest.mark.parametrize("path", ["/api/search", "/api/measures", "/api/cases", "/api/kpis"])
def test_too_many_search_words_is_a_422_in_json(site, path):
    r = site.get(path, params={"q": WORDS})
    assert r.status_code == 422
    assert r.json() == {"detail": "q: 検索語は16語までです(17語が指定されました)。",
                        "errors": [{"field": "q", "message": "q: 検索語は16語までです(17語が指定されました)。"}]}
    r = site.get(path, params={"q": WORDS, "lang": "en"})
    assert r.status_code == 422 and r.json()["detail"] == "q: at most 16 search words (17 given)."


@pytest.mark.parametrize("path", ["/kpis", "/measures", "/cases", "/local", "/kpis.csv", "/measures.xlsx"])
def test_too_many_search_words_is_a_422_page_in_the_language_asked(site, path):
    r = site.get(path, params={"q": WORDS})
    assert r.status_code == 422 and "q: 検索語は16語までです(17語が指定されました)。" in page_error(r)
    r = site.get(path, params={"q": WORDS, "lang": "en"})
    assert r.status_code == 422 and "q: at most 16 search words (17 given)." in page_error(r)
    assert '<html lang="en">' in r.text


def test_the_words_of_a_thousand_word_search_never_reach_the_database(site):
    # 2,400 two-letter words: one ILIKE each made a PostgreSQL backend grow past 15 GB; on SQLite, a 500.
    q = " ".join(["ab"] * 1200)
    r = site.get("/api/search", params={"q": q})
    assert r.status_code == 422
    assert r.json()["detail"] == f"q: {MAX_SEARCH_CHARS}文字以内で指定してください({len(q)}文字が指定されました)。"


def test_sixteen_words_are_still_a_search(site):
    r = site.get("/api/search", params={"q": " ".join(["窓口"] * MAX_SEARCH_TERMS)})
    assert r.status_code == 200


def test_an_overlong_query_string_and_too_many_parameters(site):
    long_value = "x" * (MAX_QUERY_BYTES + 1)
    r = site.get(f"/api/kpis?ministry={long_value}")
    assert r.status_code == 422
    assert r.json()["detail"] == f"URLのパラメータが長すぎます({MAX_QUERY_BYTES + 10}バイト。上限は{MAX_QUERY_BYTES}バイト)。"
    many = "&".join(f"tier={i}" for i in range(MAX_PARAMS + 1))
    r = site.get(f"/kpis?{many}&lang=en")
    assert r.status_code == 422 and "Too many parameters (42; at most 40)." in page_error(r)
    r = site.get("/api/kpis", params={"ministry": "省" * 501})
    assert r.status_code == 422 and r.json()["detail"] == "ministry: 500文字以内で指定してください(501文字が指定されました)。"


@pytest.mark.parametrize("url, message", [
    ("/api/kpis?limit=1001", "limit: 1000以下の値を指定してください。"),
    ("/api/kpis?limit=0", "limit: 1以上の値を指定してください。"),
    ("/api/measures?offset=2147483648", "offset: 2147483647以下の値を指定してください。"),
    ("/api/evaluations?offset=-1", "offset: 0以上の値を指定してください。"),
    ("/api/items?limit=abc", "limit: 整数を指定してください。"),
    ("/api/search", "q: 指定が必要です。"),
    ("/api/kpis?sort=evil", "sort: 次のいずれかを指定してください: id, name, item, ministry, tier, rating, latest, deadline"),
])
def test_page_sizes_are_bounded_in_json(site, url, message):
    r = site.get(url)
    assert r.status_code == 422 and r.json()["detail"] == message


@pytest.mark.parametrize("url, message", [
    ("/kpis?page=1000001", "page: 1000000以下の値を指定してください。"),
    ("/measures?page=0&lang=en", "page: must be at least 1."),
    ("/cases?page=" + "9" * 400, "page: 1000000以下の値を指定してください。"),
])
def test_page_numbers_are_bounded_on_pages(site, url, message):
    r = site.get(url)
    assert r.status_code == 422 and message in page_error(r)


@pytest.mark.parametrize("value", ["1e309", "nan", "inf", "-inf", "9" * 400, "1e17"])
def test_numbers_typed_into_the_calculator_are_bounded(site, value):
    r = site.get("/savings", params={"before": value, "after": "100"})
    assert r.status_code == 422
    html = parse_html(r.text)
    errors = [" ".join("".join(html.text).split())]
    assert "読み取れない入力があります: 導入前の経費(円)" in errors[0]
    assert f'value="{value}"' in r.text  # what was typed stays in the form
    r = site.get("/savings", params={"before": "1000", "after": value, "lang": "en"})
    assert r.status_code == 422 and "Some entries could not be read: Cost after (円)" in page_error(r)


def test_a_calculation_that_makes_sense_is_still_made(site):
    r = site.get("/savings", params={"before": "2億円", "after": "1.5億円", "population": "100000"})
    assert r.status_code == 200 and 'id="savings-result"' in r.text


def test_an_unreadable_date_is_a_422(site):
    r = site.get("/local", params={"as_of": "zzz"})
    assert r.status_code == 422 and "as_of: 日付として読めません(zzz)。" in page_error(r)
    r = site.get("/local.csv", params={"as_of": "9999-99-99", "lang": "en"})
    assert r.status_code == 422 and "as_of: not a date (9999-99-99)." in page_error(r)


def test_any_other_exception_is_a_logged_500_page_in_the_language_asked(tmp_path_factory, caplog):
    url = built_database(tmp_path_factory, "boom.db")
    client = hostile_client(url)

    @client.app.get("/boom")
    def boom():
        raise RuntimeError("secret detail of the failure")

    @client.app.get("/api/boom")
    def api_boom():
        raise KeyError("secret")

    with caplog.at_level(logging.ERROR, logger="mieruka.web"):
        r = client.get("/boom")
    assert r.status_code == 500
    assert "サーバーで予期しないエラーが発生しました。記録しましたので、しばらくしてから、もう一度お試しください。" in page_error(r)
    assert "secret" not in r.text and "Traceback" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert any("GET /boom failed" in rec.message and rec.exc_info for rec in caplog.records)
    r = client.get("/boom?lang=en")
    assert r.status_code == 500 and "Something went wrong on the server." in page_error(r)
    r = client.get("/api/boom")
    assert r.status_code == 500 and r.json() == {
        "detail": "サーバーで予期しないエラーが発生しました。記録しましたので、しばらくしてから、もう一度お試しください。",
        "errors": []}
    storage.dispose_engines()


def test_an_integer_past_sqlite_s_range_is_a_422_even_past_the_edge(tmp_path_factory):
    """The bounds at the edge keep such ids out; should one slip through, the database's refusal is still a 422."""
    from mieruka.storage.queries import kpi_rows

    url = built_database(tmp_path_factory, "overflow.db")
    client = hostile_client(url)

    @client.app.get("/api/overflow")
    def overflow(session: DbSession):
        return kpi_rows(session, [2**63])

    r = client.get("/api/overflow?lang=en")
    assert r.status_code == 422 and r.json()["detail"] == "A number is too large to handle."
    storage.dispose_engines()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs MIERUKA_TEST_DATABASE_URL")
def test_a_statement_past_its_time_limit_is_a_503(monkeypatch):
    with postgres_schema() as db_url:
        _time_limited(db_url, monkeypatch)


def _time_limited(db_url, monkeypatch):
    monkeypatch.setenv("MIERUKA_STATEMENT_TIMEOUT_MS", "200")
    client = hostile_client(db_url)
    assert client.app.state.timeout_ms == 200

    @client.app.get("/api/slow")
    def slow(session: DbSession):
        return session.execute(text("SELECT pg_sleep(3)")).scalar()

    @client.app.get("/slow")
    def slow_page(session: DbSession):
        return session.execute(text("SELECT pg_sleep(3)")).scalar()

    r = client.get("/api/slow")
    assert r.status_code == 503
    assert r.json()["detail"] == "処理に時間がかかりすぎたため中止しました。条件を絞って、もう一度お試しください。"
    r = client.get("/slow?lang=en")
    assert r.status_code == 503
    assert "The request took too long and was stopped. Narrow it down and try again." in page_error(r)
    # the limit is the readers' only: a writer's session (ingest, migrations) has none
    with storage.session_scope(db_url) as s:
        assert s.execute(text("SHOW statement_timeout")).scalar() == "0"
    with storage.session_scope(db_url, 200) as s:
        assert s.execute(text("SHOW statement_timeout")).scalar() == "200ms"


def test_a_locked_sqlite_file_is_a_503_and_the_reason_is_logged(tmp_path_factory, caplog):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    url = built_database(tmp_path_factory, "locked.db")
    client = hostile_client(url)

    @client.app.get("/api/locked")
    def locked():
        raise OperationalError("UPDATE kpis SET name = ?", {}, sqlite3.OperationalError("database is locked"))

    with caplog.at_level(logging.WARNING, logger="mieruka.web"):
        r = client.get("/api/locked")
    assert r.status_code == 503
    assert r.json()["detail"] == "データベースが他の処理で使用中です。しばらくしてから、もう一度お試しください。"
    assert any("database is locked" in rec.getMessage() for rec in caplog.records)
    storage.dispose_engines()


def test_a_body_past_the_form_limit_is_a_413_before_sign_in_or_csrf_reads_it(site):
    # 1 MiB + 1 byte to the sign-in form, anonymous: refused by size, in the page's language, nothing stored
    body = b"x" * (2**20 + 1)
    r = site.post("/signin", content=body, headers={"content-type": "application/x-www-form-urlencoded"},
                  follow_redirects=False)
    assert r.status_code == 413
    assert "送られた内容が大きすぎます(上限は1024KB)" in page_error(r)
    r = site.post("/reports/1/steps?lang=en", content=body, headers={"content-type": "multipart/form-data; boundary=x"},
                  follow_redirects=False)
    assert r.status_code == 413
    assert "What was sent is too large (at most 1024 KB)" in page_error(r)


def test_a_chunked_body_without_a_length_is_counted_as_it_comes(site):
    def chunks():
        for _ in range(40):
            yield b"y" * 65536  # 2.5 MiB in all, no Content-Length

    r = site.post("/api/kpis", content=chunks(), follow_redirects=False)
    assert r.status_code == 413
    assert r.json()["detail"] == "送られた内容が大きすぎます(上限は1024KB)。フォームの文章を短くして送り直してください。"


def test_an_upload_route_allows_its_file_limit_and_refuses_past_it(site):
    from mieruka.web.guards import body_limit

    assert body_limit("/my/workbook") == 10 * 2**20 + 64 * 1024
    assert body_limit("/reports/7/evidence") == 10 * 2**20 + 64 * 1024
    assert body_limit("/reports/7/steps") == 2**20
    r = site.post("/my/workbook", content=b"z" * (10 * 2**20 + 64 * 1024 + 1),
                  headers={"content-type": "multipart/form-data; boundary=x"}, follow_redirects=False)
    assert r.status_code == 413
    # an upload route names the file's limit, in the page's language, not the form text's
    assert "送られたファイルが大きすぎます(上限はおよそ10MB)" in page_error(r)
    r = site.post("/reports/7/evidence?lang=en", content=b"z" * (10 * 2**20 + 64 * 1024 + 1),
                  headers={"content-type": "multipart/form-data; boundary=x"}, follow_redirects=False)
    assert r.status_code == 413 and "The file sent is too large (at most about 10 MB)" in page_error(r)
    assert "shorten the form" not in page_error(r)
