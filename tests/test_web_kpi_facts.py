"""The KPI page explains the KPI (issue 12, item 5): its definition as the documents print it with document and line,
its owner (and whether inferred), unit, direction, update cycle and next measurement, and the documents it appears in
named by title and date; the JSON API for one KPI says the same. The seeds' rows are read from the seed files at run
time, never copied here."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from mieruka import storage
from mieruka.jp.text import prepare_cell
from mieruka.loading.documents import ingest_paths
from mieruka.records.kpi_facts import printed_row, update_cycle
from mieruka.storage import models as m
from mieruka.web import create_app


# tests/browser has a conftest of its own: importing "conftest" can find that one when both directories run
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


TITLE_000 = "改革工程表の進捗状況（地方交付税をはじめとした地方の財政に係る制度の改革 ⑪〜⑮）"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    url = f"sqlite:///{tmp_path_factory.mktemp('kpifacts') / 'web.db'}"
    ingest_paths([SEEDS], url)
    with storage.session_scope(url) as s:
        ids = {name: i for i, name in s.execute(select(m.Kpi.id, m.Kpi.name))}
        docs = {d.file_name[:3]: d for d in s.scalars(select(m.Document))}
        docs = {k: {"id": d.id, "title": d.title, "date": d.doc_date, "file_name": d.file_name} for k, d in docs.items()}
    with TestClient(create_app(url), base_url="http://127.0.0.1") as client:
        yield client, ids, docs, SEEDS
    storage.dispose_engines()


def _seed_line(seeds, prefix: str, n: int) -> str:
    path = next(seeds.glob(f"{prefix}_*"))
    return path.read_text(encoding="utf-8").splitlines()[n - 1]


def test_the_kpi_page_gives_the_printed_definition_cycle_and_documents(site):
    client, ids, docs, seeds = site
    kpi = ids["政府情報システム数"]
    page = client.get(f"/kpis/{kpi}").text
    row = _seed_line(seeds, "000", 332)
    # the row as printed, cell by cell, in the page's definition with its document and line
    definition = page.split('id="definition"')[1].split('id="documents"')[0]
    assert f'<blockquote lang="ja" translate="no">{printed_row(row)}</blockquote>' in definition
    assert [prepare_cell(c) for c in row.split("\t")][1] in definition
    assert f'href="/documents/{docs["000"]["id"]}#L332"' in definition
    # the update cycle quotes the document's 次回の把握時期 (the row's last cell) and names it yearly
    cycle = page.split('id="update-cycle">')[1].split("</dd>")[0]
    assert "<strong>年1回</strong>" in cycle and prepare_cell(row.split("\t")[-1]) in cycle
    # the documents it appears in: 000 prints no title line, so by the title its 重要課題 and 改革項目 give it, and no
    # date, so by the date of its newest figure
    listed = page.split('id="kpi-documents">')[1].split("</ul>")[0]
    assert (f'<a href="/documents/{docs["000"]["id"]}" title="{docs["000"]["file_name"]}"><span lang="ja" translate="no">'
            f'{TITLE_000}</span></a>、<time datetime="2017-10-01">') in listed and "時点の数値" in listed
    assert docs["000"]["title"] == TITLE_000
    english = client.get(f"/kpis/{kpi}?lang=en").text
    assert "<strong>once a year</strong>" in english and "Definition in the documents" in english


def test_a_titled_document_is_named_by_title_and_date(site):
    client, ids, docs, _ = site
    doc = docs["002"]
    assert doc["title"] and doc["date"]
    kpi = next(i for name, i in ids.items() if client.get(f"/api/kpis/{i}").json()["appears_in"][0]["id"] == doc["id"])
    page = client.get(f"/kpis/{kpi}").text
    listed = page.split('id="kpi-documents">')[1].split("</ul>")[0]
    assert (f'<a href="/documents/{doc["id"]}" title="{doc["file_name"]}"><span lang="ja" translate="no">{doc["title"]}'
            f'</span></a>、<time datetime="{doc["date"].isoformat()}">') in listed


def test_the_api_gives_the_same_facts(site):
    client, ids, docs, seeds = site
    kpi = ids["政府情報システム数"]
    got = client.get(f"/api/kpis/{kpi}").json()
    row = _seed_line(seeds, "000", 332)
    assert {"text": printed_row(row), "source": {"document": docs["000"]["file_name"], "document_id": docs["000"]["id"],
                                                 "line": 332}} in got["definitions"]
    assert got["update_cycle"]["cycle"] == "yearly" and got["update_cycle"]["basis"] == "text"
    assert got["update_cycle"]["source"]["line"] == 332
    assert got["owner"]["organisation"] == got["ministry"] and got["owner"]["inferred"] == got["ministry_inferred"]
    assert got["appears_in"] == [{"id": docs["000"]["id"], "title": TITLE_000, "date": None, "family": "reform-schedule",
                                  "file_name": docs["000"]["file_name"]}]
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]["KpiDetail"]["properties"]
    assert {"definitions", "update_cycle", "owner", "appears_in"} <= set(schema)


def _obs(*dates, status=None):
    return {"appearances": [], "observations": [{"as_of": d, "value": 1.0, "status": status} for d in dates]}


def test_the_update_cycle_from_the_spacing_of_observations():
    yearly = update_cycle(_obs(date(2015, 3, 31), date(2016, 3, 31), date(2017, 4, 1)))
    assert yearly == {"cycle": "yearly", "basis": "observations", "months": 12, "count": 3}
    assert update_cycle(_obs(date(2017, 1, 1), date(2017, 4, 1), date(2017, 7, 1)))["cycle"] == "quarterly"
    assert update_cycle(_obs(date(2014, 1, 1), date(2016, 1, 1)))["cycle"] == "two_yearly"
    assert update_cycle(_obs(date(2014, 1, 1), date(2014, 9, 1)))["cycle"] == "irregular"
    assert update_cycle(_obs(date(2014, 1, 1))) is None
    assert update_cycle(_obs(date(2014, 1, 1), date(2015, 1, 1), status="forecast")) is None  # 見込み are not measured
    said = {"appearances": [{"next_measurement": "毎月末に集計", "source": None}], "observations": []}
    assert update_cycle(said) == {"cycle": "monthly", "basis": "text", "text": "毎月末に集計", "source": None}
