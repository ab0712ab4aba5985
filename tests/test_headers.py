"""Issue 15, class 8: headers and hosts. Every response carries a Content-Security-Policy that allows this server's
scripts only and no framing, nosniff and a Referrer-Policy; only allowed Host names are answered; HEAD is answered
on every GET route and a 405 says what is allowed; originals are downloads only; and markup in a document's value
stays text in the chart's hover."""
from __future__ import annotations

import json
import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from hostile import built_database, database_fingerprint, hostile_client
from mieruka import storage
from mieruka.storage import models as m
from mieruka.web import create_app
from mieruka.web.guards import SECURITY_HEADERS
from webdata import parse_html

PAGES = ["/", "/kpis", "/kpis/1", "/items", "/items/1", "/measures", "/measures/1", "/cases", "/cases/1",
         "/documents", "/documents/1", "/local", "/local/142158", "/savings", "/api", "/kpis?lang=en"]
OTHER = ["/api/kpis", "/api/openapi.json", "/static/style.css", "/vendor/plotly.min.js", "/kpis.csv", "/kpis.xlsx",
         "/documents/1/original", "/kpis/999", "/api/kpis/999", "/no/such/page", "/kpis?page=0"]
HOSTILE = '<a href="javascript:alert(1)">x</a><img src=x onerror=alert(2)>'


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    url = built_database(tmp_path_factory, "headers.db")
    with storage.session_scope(url) as s:
        # a KPI observation whose text is markup, and an original that is an HTML page
        obs = s.query(m.Observation).filter(m.Observation.value.isnot(None)).order_by(m.Observation.id).first()
        obs.text = HOSTILE
        kpi_id = obs.kpi_id
        doc = s.get(m.Document, 1)
        doc.media_type, doc.raw = "text/html", b"<html><script>alert(document.cookie)</script></html>"
    yield url, kpi_id
    storage.dispose_engines()


@pytest.fixture(scope="module")
def site(built):
    url, _ = built
    before = database_fingerprint(url)
    yield hostile_client(url)
    assert database_fingerprint(url) == before


@pytest.mark.parametrize("url", PAGES + OTHER)
def test_every_response_has_the_security_headers(site, url):
    r = site.get(url)
    assert r.status_code in (200, 404, 422)
    csp = r.headers["content-security-policy"]
    if url.endswith("/original"):
        assert csp == "default-src 'none'; sandbox"
    else:
        assert csp == SECURITY_HEADERS["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("url", PAGES)
def test_pages_hold_no_inline_script_or_event_handler(site, url):
    """script-src 'self' would block them: every script is a file of this server, data is JSON."""
    r = site.get(url)
    elements = parse_html(r.text).elements
    for tag, attrs in elements:
        if tag == "script":
            assert attrs.get("src", "").startswith("/") or attrs.get("type") == "application/json", attrs
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert not str(attrs.get("href", "")).lower().startswith("javascript:")
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", r.text)
    assert inline == []


def test_the_chart_hover_shows_markup_as_text(site, built):
    _, kpi_id = built
    html = site.get(f"/kpis/{kpi_id}").text
    data = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S).group(1)
    assert "<a" not in data and "<img" not in data  # tojson escapes < in the page itself
    spec = json.loads(data)
    texts = [t for trace in spec["traces"] for t in trace.get("text", [])]
    escaped = '&lt;a href="javascript:alert(1)"&gt;x&lt;/a&gt;&lt;img src=x onerror=alert(2)&gt;'
    assert any(t.endswith("<br>" + escaped) for t in texts), texts
    assert not any("<a " in t or "<img" in t for t in texts)
    # the table under the chart shows the same text, escaped by the template
    assert "&lt;a href=&#34;javascript:alert(1)&#34;&gt;" in html or "&lt;a href=&quot;javascript:alert(1)" in html


def test_an_original_is_a_download_never_a_page(site):
    r = site.get("/documents/1/original")
    assert r.status_code == 200 and r.content == b"<html><script>alert(document.cookie)</script></html>"
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-disposition"] == "attachment; filename*=UTF-8''schedule.txt"
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("stored, sent", [
    ("text/html", "application/octet-stream"), ("application/xhtml+xml", "application/octet-stream"),
    ("image/svg+xml", "application/octet-stream"), ("text/javascript", "application/octet-stream"),
    ("text/xml", "application/octet-stream"), ("multipart/related", "application/octet-stream"),
    ("text/plain\r\nSet-Cookie: a=b", "application/octet-stream"), (None, "application/octet-stream"),
    ("application/pdf", "application/pdf"), ("text/plain; charset=cp932", "text/plain"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
])
def test_the_type_an_original_is_sent_as(stored, sent):
    from mieruka.web.routers.documents import download_media_type

    assert download_media_type(stored) == sent


# --- hosts --------------------------------------------------------------------------------------------

@pytest.fixture
def loopback_only(monkeypatch, built):
    monkeypatch.delenv("MIERUKA_ALLOWED_HOSTS", raising=False)
    return built[0]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.0.1:8000", "localhost:80"])
def test_loopback_names_are_answered_by_default(loopback_only, host):
    client = TestClient(create_app(loopback_only))
    r = client.get("/kpis", headers={"host": host})
    assert r.status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "testserver", "127.0.0.1.evil.example", "localhost.evil", ""])
def test_any_other_host_is_refused(loopback_only, host):
    client = TestClient(create_app(loopback_only))
    r = client.get("/kpis", headers={"host": host})
    assert r.status_code == 400 and r.text == "Invalid host header"
    assert r.headers["content-security-policy"] == SECURITY_HEADERS["Content-Security-Policy"]


def test_allowed_hosts_come_from_the_environment_and_the_serve_address(monkeypatch, built):
    monkeypatch.setenv("MIERUKA_ALLOWED_HOSTS", "mieruka.lgwan.example, *.city.example")
    client = TestClient(create_app(built[0], hosts=["10.1.2.3", "0.0.0.0"]))
    for host, status in [("mieruka.lgwan.example", 200), ("a.city.example", 200), ("10.1.2.3:8000", 200),
                         ("localhost", 400), ("0.0.0.0", 400), ("evil.example", 400)]:
        assert client.get("/", headers={"host": host}).status_code == status, host


# --- methods ------------------------------------------------------------------------------------------

def _get_urls(app) -> list[str]:
    fill = {"fmt": "csv", "code": "142158"}
    from hostile import get_routes

    urls = [re.sub(r"{(\w+)}", lambda mt: fill.get(mt.group(1), "1"), route.path) for route in get_routes(app)]
    return urls


def test_head_is_answered_on_every_get_route(site):
    urls = _get_urls(site.app) + ["/static/style.css"]
    assert len(urls) >= 30
    for url in urls:
        got, head = site.get(url), site.head(url)
        assert head.status_code == got.status_code, url
        assert head.content == b"", url
        assert head.headers["content-type"] == got.headers["content-type"], url
        if "content-length" in got.headers:
            assert head.headers["content-length"] == got.headers["content-length"], url


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("url", ["/kpis", "/api/kpis", "/kpis/1", "/documents/1/original"])
def test_other_methods_are_a_405_with_allow(site, method, url):
    r = site.request(method, url)
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"
    message = r.json()["detail"] if url.startswith("/api/") else " ".join("".join(parse_html(r.text).text).split())
    assert "このURLが受け付けるメソッドは GET, HEAD だけです。" in message
