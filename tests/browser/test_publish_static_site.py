"""The published site served by `python -m http.server` from a sub-path: Chromium follows every link on every page
and finds no 404 and makes no request outside the site."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections import deque
from datetime import date
from urllib.parse import urldefrag

import httpx
import pytest

import webdata
from mieruka import storage

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from mieruka.export.workbook import database_tables
    from mieruka.publish.site import publish_site
    from mieruka.storage.queries import document_rows
    from mieruka.web.app import create_app
    from mieruka.web.static_pages import KpiPages

    url = f"sqlite:///{tmp_path_factory.mktemp('static-db') / 'web.db'}"
    webdata.build(url)
    root = tmp_path_factory.mktemp("www")
    with storage.session_scope(url) as s:
        tables, documents = database_tables(s, date(2019, 3, 31), "ja"), document_rows(s)
    app = create_app(url)  # as `mieruka publish` does: each KPI's pages rendered in batches
    result = publish_site(app, root / "sub" / "mieruka", tables=tables, documents=documents,
                          exclude=("/local",), direct=KpiPages(app))
    storage.dispose_engines()
    assert result.broken == []
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/sub/mieruka/"
    for _ in range(100):
        try:
            httpx.get(base + "index.html", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    yield base, result
    server.terminate()
    server.wait(timeout=10)


def test_every_link_of_every_page_answers_and_nothing_leaves_the_site(served, page, shoot):
    base, result = served
    pages = deque([base + "index.html", base + "en/index.html"])
    visited, checked, failures = set(), set(), []
    while pages:
        url = pages.popleft()
        if url in visited:
            continue
        visited.add(url)
        response = page.goto(url)
        if response is None or response.status != 200:
            failures.append((url, response.status if response else None))
            continue
        links = page.eval_on_selector_all("a[href], link[href], script[src], img[src], form[action]",
                                          "els => els.map(e => e.href || e.src || e.action)")
        for link in links:
            link = urldefrag(link)[0]
            if not link.startswith("http://127.0.0.1"):
                continue  # an outside address in the text (a measure's reference URL) is a link, not a request
            assert link.startswith(base), (url, link)  # nothing climbs out of the sub-path
            if link.endswith(".html"):
                pages.append(link)
            elif link not in checked:
                checked.add(link)
                if httpx.get(link, timeout=30).status_code != 200:
                    failures.append((link, url))
    assert failures == []
    assert all(r.startswith(base) for r in page.requested), [r for r in page.requested if not r.startswith(base)][:5]
    assert len(visited) == result.pages and any(u.endswith("/en/kpis/1.html") for u in visited)
    assert any(u.endswith("sheet.pdf") for u in checked) and any(u.endswith("api/kpis.json") for u in checked)
    page.goto(base + "en/kpis/1.html")
    shoot(page, "publish/static-site-kpi-en")
