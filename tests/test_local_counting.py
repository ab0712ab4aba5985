"""The KPIs that count local bodies have a list of their own (/local/counting, /local/counting/prefectures, 500 a page),
which each body's page links to with their number instead of naming them (a renamed KPI changed every body's page)."""
from __future__ import annotations

import re

from sqlalchemy import update
from starlette.testclient import TestClient

import webdata
from mieruka import storage
from mieruka.storage import models as m
from mieruka.web import create_app
from mieruka.web.routes_local import COUNTING_PAGE


def _main(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0]).split())


def test_the_counting_kpis_are_listed_a_page_at_a_time_and_counted_on_each_body_s_page(sqlite_url, monkeypatch):
    webdata.build(sqlite_url)
    client = TestClient(create_app(sqlite_url), base_url="http://localhost")
    body = client.get("/local/472018").text  # 那覇市
    assert '<a href="/local/counting">団体の数で測るKPI 3件の一覧</a>' in body
    listed = client.get("/local/counting").text
    assert re.findall(r'href="/kpis/(\d+)"', listed) == ["1", "2", "3"] and 'aria-label="' not in listed.split("<main")[1]
    en = _main(client.get("/local/counting?lang=en").text)
    assert en.startswith("Local bodies KPIs counted in municipalities The 3 KPIs whose unit is local bodies")
    # a prefecture: no KPI counts prefectures here, said of prefectures
    assert "取り込まれた文書には、都道府県の数で測るKPIがありません。" in client.get("/local/470007").text
    assert _main(client.get("/local/counting/prefectures?lang=en").text).endswith(
        "The documents loaded so far have no KPI counted in prefectures.")
    with storage.session_scope(sqlite_url, write=True) as s:
        s.execute(update(m.Kpi).where(m.Kpi.id == 4).values(unit="都道府県"))
    assert '<a href="/local/counting/prefectures">都道府県の数で測るKPI 1件の一覧</a>' in client.get("/local/470007").text
    # paged: two KPIs a page here; a page past the last is the last, a page that is no number a 422
    monkeypatch.setattr("mieruka.web.routes_local.COUNTING_PAGE", 2)
    second = client.get("/local/counting?page=2").text
    assert re.findall(r'href="/kpis/(\d+)"', second) == ["3"] and 'rel="prev"' in second
    assert second.count('class="pager"') == 1  # once: two landmarks of one name would be one too many
    assert re.findall(r'href="/kpis/(\d+)"', client.get("/local/counting?page=99").text) == ["3"]
    assert client.get("/local/counting?page=x").status_code == 422
    assert COUNTING_PAGE == 500
