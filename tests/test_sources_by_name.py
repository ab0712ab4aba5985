"""Sources by name: every page, in Japanese and in English, names a cited document by its title and date; the seed
file names (000_e89baf27ea3ff1c4.txt) appear as visible text only on the documents list and a document's own page
(elsewhere only in title attributes, on hover). The reform-schedule progress documents print no title line: the
reader names them by their 重要課題 and 改革項目 numbers and dates them by their newest figure."""
from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import app as cli
from mieruka.cli import evaluate as _evaluate  # noqa: F401  (registers mieruka audit)
from mieruka.ingest.readers import reform_schedule
from mieruka.web import create_app
from mieruka.web.evaluation import demo_database

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SEED_FILE = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")
TITLE_000 = "改革工程表の進捗状況（地方交付税をはじめとした地方の財政に係る制度の改革 ⑪〜⑮）"
TITLE_001 = "改革工程表の進捗状況（地方交付税をはじめとした地方の財政に係る制度の改革 ⑯・⑰）"
# where a file name is the thing shown: the list of documents and each document's page (its originals below it)
DOCUMENT_PAGES = re.compile(r"^/documents(?:/\d+(?:/.*)?)?$")
NOT_PAGES = (".csv", ".xlsx", ".json", ".svg", ".pdf", ".geojson", ".js", ".css", ".zip", "/original")
MAX_PER_SHAPE = 2


class _Visible(HTMLParser):
    """The text a reader sees (no script, style or attribute) and the page's links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        if tag == "a" and dict(attrs).get("href"):
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.text.append(data)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('byname') / 'demo.db'}"
    demo_database(url)
    with TestClient(create_app(url), base_url="http://127.0.0.1") as client:
        yield client, url
    storage.dispose_engines()


def _shape(path: str) -> str:
    return re.sub(r"/\d+", "/#", path)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed documents not found")
def test_the_reader_names_the_progress_documents_by_their_contents():
    titles = [reform_schedule.read(p.read_text(encoding="utf-8")).title for p in sorted(SEEDS.glob("00[01]_*"))]
    assert titles == [TITLE_000, TITLE_001]


def test_the_bundled_sample_carries_the_titles_and_the_dates_of_the_newest_figures():
    sample = json.loads((Path(__file__).resolve().parents[1] / "src/mieruka/data/sample.json").read_text("utf-8"))
    got = {d["file_name"][:3]: (d["extraction"]["title"], d["extraction"]["doc_date"],
                                d["extraction"]["meta"].get("data_as_of")) for d in sample["documents"]}
    assert got["000"] == (TITLE_000, None, "2017-10-01") and got["001"] == (TITLE_001, None, "2017-04-01")
    assert got["002"] == ("主要な政策に係る評価書(平成30年度実施政策)", "2019-08-01", None)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_no_page_cites_a_document_by_its_file_name(demo, lang):
    client, _ = demo
    start = "/" if lang == "ja" else "/?lang=en"
    todo, seen, shapes, offending = [start], set(), Counter(), {}
    while todo:
        url = todo.pop(0)
        path = urlsplit(url).path
        if url in seen or path.endswith(NOT_PAGES) or shapes[_shape(path)] >= MAX_PER_SHAPE:
            continue
        seen.add(url)
        shapes[_shape(path)] += 1
        r = client.get(url)
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        page = _Visible()
        page.feed(r.text)
        for link in page.links:
            if link.startswith("/") and not link.startswith(("/static", "/signin", "/api/")):
                todo.append(link if "lang=" in link or lang == "ja" else link + ("&" if "?" in link else "?") + "lang=en")
        hits = SEED_FILE.findall(" ".join(page.text))
        if hits and not DOCUMENT_PAGES.match(path):
            offending[url] = hits
    visited = set(shapes)
    assert {"/", "/kpis", "/kpis/#", "/kpis/#/sheet.html", "/items/#", "/documents", "/documents/#", "/measures/#",
            "/cases/#", "/glossary"} <= visited, sorted(visited)
    assert offending == {}
    # and the names are there: the overview's findings name 000 by title and the date of its newest figure
    overview = client.get(start).text
    if lang == "ja":
        assert (f'<span class="cited" title="000_e89baf27ea3ff1c4.txt">「{TITLE_000}」2017-10-01（平成29年10月1日）'
                f'時点の数値、') in overview
    else:
        assert '<span class="cited" title="000_e89baf27ea3ff1c4.txt">“<span lang="ja" translate="no">' \
               f'{TITLE_000}</span>” (figures as of 2017-10-01), line ' in overview


def test_the_api_cli_and_downloads_name_the_documents_in_finding_messages(demo):
    client, url = demo
    api = client.get("/api/audit?limit=500").json()["items"]
    assert api and not any(SEED_FILE.search(f["message"]) for f in api)
    assert any(f"「{TITLE_001}」2017-04-01（平成29年4月1日）時点の数値、" in f["message"] for f in api)
    # the sources keep the file name: an identifier, in its own field
    assert {s["document"] for f in api for s in f["sources"]} >= {"000_e89baf27ea3ff1c4.txt"}
    english = client.get("/api/audit?limit=500&lang=en").json()["items"]
    assert any(f"“{TITLE_000}” (figures as of 2017-10-01), line " in f["message"] for f in english)
    csv = client.get("/audit.csv").content.decode("utf-8-sig")
    header, *rows = csv.splitlines()
    assert rows and TITLE_000 in csv
    out = CliRunner().invoke(cli, ["audit", "--db", url, "--format", "csv"])
    assert out.exit_code == 0, out.output
    message_column = [line.split(",")[3] for line in out.stdout.splitlines()[1:]]
    assert not any(SEED_FILE.search(m) for m in message_column) and TITLE_000 in out.stdout


def test_the_printed_reports_cite_title_and_date(demo):
    _, url = demo
    from mieruka.publish.reports import kpi_table_report, policy_report

    with storage.session_scope(url) as session:
        table = kpi_table_report(session, "2016", "html").content.decode()
        policy = policy_report(session, "政策8", "html").content.decode()
    assert f"「{TITLE_000}」2017-10-01（平成29年10月1日）時点の数値" in table and not SEED_FILE.search(table)
    assert "「主要な政策に係る評価書(平成30年度実施政策)」2019-08-01（令和元年8月1日）" in policy
    assert not SEED_FILE.search(policy)


def test_the_apis_rating_explanations_name_the_documents(demo):
    client, _ = demo
    items = client.get("/api/evaluations?limit=500").json()["items"]
    explained = [r["explanation"] for r in items if r.get("explanation")]
    assert explained and not any(SEED_FILE.search(e) for e in explained)
    assert any(f"「{TITLE_000}」2017-10-01（平成29年10月1日）時点の数値、" in e for e in explained)
    kpi = next(r["kpi_id"] for r in items if r.get("explanation") and TITLE_000 in r["explanation"])
    detail = client.get(f"/api/kpis/{kpi}").json()
    assert all(not SEED_FILE.search(e.get("explanation") or "") for e in detail["evaluations"])
    # the sources keep their file names: identifiers, each in its own field
    assert any(o["source"]["document"] == "000_e89baf27ea3ff1c4.txt" for o in detail["observations"] if o["source"])
