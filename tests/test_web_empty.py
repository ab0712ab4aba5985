"""Empty places say what to do: a fresh database shows how to load documents instead of a page of zeros; a local body
with no survey still shows its code, reading, prefecture, kind, the cases that name it and the KPIs that count bodies
like it, and how its data gets added, in words for staff (no shell commands in backticks)."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webdata import parse_html

from mieruka import storage
from mieruka.municipalities.importing import import_survey
from mieruka.storage import local_bodies as store
from mieruka.web import create_app

SURVEYS = Path(__file__).resolve().parent / "fixtures" / "surveys"


def _text(html: str) -> str:
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return " ".join(" ".join(parse_html("<main" + main).text).split())


@pytest.fixture
def fresh(sqlite_url):
    with TestClient(create_app(sqlite_url), base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from mieruka.web.evaluation import demo_database

    url = f"sqlite:///{tmp_path_factory.mktemp('empty') / 'sample.db'}"
    demo_database(url)
    with storage.session_scope(url) as s:
        store.link_cases(s)
    with TestClient(create_app(url), base_url="http://127.0.0.1") as client:
        yield client, url
    storage.dispose_engines()


def test_a_fresh_database_says_how_to_load_documents(fresh):
    ja = fresh.get("/")
    assert ja.status_code == 200
    text = _text(ja.text)
    assert text.startswith("まだ文書が取り込まれていません このデータベースは空です。")
    assert "システムの管理者に、そのフォルダを取り込んでもらいます。" in text
    assert 'id="distribution"' not in ja.text and "評価の分布" not in text  # no table of zeros
    assert "<code>mieruka ingest 文書のフォルダ/" in ja.text and "mieruka demo" in ja.text
    en = _text(fresh.get("/?lang=en").text)
    assert en.startswith("No documents have been loaded yet This database is empty.")
    assert "mieruka ingest documents/" in en


def test_a_body_without_survey_data_shows_what_is_known_and_how_to_add_data(sample):
    client, _ = sample
    html = client.get("/local/142158").text
    text = _text(html)
    for known in ("団体コード 142158", "都道府県 神奈川県", "よみ エビナシ", "区分 市", "人口 まだ取り込まれていません",
                  "市民総合窓口:0.5億円(▲24%)コスト削減(1年間)",  # the case that names 海老名市
                  "この団体のような団体を数えるKPI", "この団体のデータを加えるには",
                  "調査票を、システムの管理者に渡して取り込んでもらいます。"):
        assert known in text, known
    # the KPIs that count municipalities: counted here, named on the page the count links to (one for all bodies)
    counted = re.search(r"団体の数で測るKPI (\d+)件の一覧", text)
    assert counted and 'href="/local/counting"' in html
    listed = _text(client.get("/local/counting").text)
    assert "窓口業務のアウトソーシング" in listed and "標準委託仕様書等を使用するモデル自治体数" in listed
    assert listed.count("/kpis/") == 0 and client.get("/local/counting").text.count('href="/kpis/') == int(counted[1])
    assert "`" not in text and "mieruka survey" not in text  # words for staff, not shell commands
    en = _text(client.get("/local/142158?lang=en").text)
    assert "KPIs that count bodies like this one" in en and "To add this body's data" in en
    assert "Population not imported yet" in en


def test_once_a_survey_is_imported_the_how_to_goes(sample):
    client, url = sample
    with storage.session_scope(url) as s:
        import_survey(s, (SURVEYS / "madoguchi_utf8.csv").read_bytes(), "madoguchi.csv", "窓口委託", date(2017, 4, 1))
    text = _text(client.get("/local/142158").text)
    assert "人口 131,000人" in text  # the survey's 人口 column
    assert "この団体のデータを加えるには" not in text and "まだ調査が取り込まれていません。" not in text
