"""`mieruka publish DIR`: the site as static files with relative links, hashed assets, the API as JSON files, the data
as a ZIP with datapackage.json; a second run rewrites only what changed; a foreign folder is refused."""
from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

import webdata
from mieruka import storage
from mieruka.export.workbook import database_tables
from mieruka.publish.site import LOCK, MANIFEST, PIECES, RUNNING, TargetRefused, _key, check_target, publish_site
from mieruka.storage import models as m
from mieruka.storage.publishing import publish_versions
from mieruka.storage.queries import document_rows
from mieruka.web.app import create_app
from mieruka.web.evaluation import site_date
from mieruka.web.static_pages import KpiPages, _running

AT = datetime(2026, 4, 1, 3, 0, tzinfo=timezone.utc)


def _publish(url: str, out: Path, at=AT, reads: list | None = None, **kw):
    def tables(kpi_ids=None, audit=True):
        (reads if reads is not None else []).append(("tables" if kpi_ids is None else ("tables of", kpi_ids))
                                                    if audit else ("tables of", kpi_ids, "the audit kept"))
        with storage.session_scope(url) as s:
            return database_tables(s, site_date(s), "ja", stored_audit=True, kpi_ids=kpi_ids, audit=audit)

    def documents():
        with storage.session_scope(url) as s:
            return document_rows(s)

    def versions():
        with storage.session_scope(url) as s:
            return publish_versions(s)
    app = create_app(url)
    return publish_site(app, out, tables=tables, documents=documents, at=at, pdf=False,
                        exclude=("/local",), versions=versions, direct=KpiPages(app), **kw)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('site-db') / 'web.db'}"
    webdata.build(url)
    out = tmp_path_factory.mktemp("site") / "public"
    first = _publish(url, out)
    yield url, out, first
    storage.dispose_engines()


def _html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_every_page_in_both_languages_with_relative_links(site):
    url, out, first = site
    assert first.broken == [] and first.written == first.files
    for name in ("index.html", "en/index.html", "kpis.html", "en/kpis.html", "kpis/1.html", "en/kpis/1.html",
                 "documents/1.html", "en/documents/1.html", "kpis/1/sheet.html", "documents/1/kpi-table.html",
                 "documents/1/kpi-table.xlsx", "kpis.csv", "kpis.xlsx", "api.html"):
        assert (out / name).is_file(), name
    assert '<html lang="en">' in (out / "en/kpis/1.html").read_text(encoding="utf-8")
    for page in _html_files(out):
        text = page.read_text(encoding="utf-8")
        absolute = re.findall(r'\b(?:href|src|action)="(/[^"]*)"', text)
        assert absolute == [], (page, absolute[:3])
        for link in re.findall(r'\b(?:href|src)="([^"#?]+)[^"]*"', text):
            if ":" in link:  # an outside address (a measure's reference URL): a link, not a request
                continue
            assert (page.parent / link).resolve().is_file(), (page, link)
    kpi = (out / "en/kpis/1.html").read_text(encoding="utf-8")
    assert 'href="../../kpis.html"' not in kpi and 'href="../kpis.html' in kpi  # English links stay English
    assert 'data-unpublished=""' in kpi  # the PDF link, left out with pdf=False, leads nowhere rather than to a 404


def test_assets_carry_their_content_hash(site):
    _, out, _ = site
    css = list((out / "static").glob("style.*.css"))
    assert len(css) == 1
    digest = css[0].name.split(".")[1]
    assert len(digest) == 12 and hashlib.sha256(css[0].read_bytes()).hexdigest().startswith(digest)
    assert f"static/{css[0].name}" in (out / "index.html").read_text(encoding="utf-8")


def test_pages_say_when_they_were_generated(site):
    _, out, _ = site
    assert "生成日時: 2026-04-01（令和8年4月1日） 12:00" in (out / "index.html").read_text(encoding="utf-8")
    assert "Generated: 2026-04-01 03:00 UTC" in (out / "en/index.html").read_text(encoding="utf-8")


def test_every_get_endpoint_of_the_api_is_a_file(site):
    url, out, _ = site
    kpis = json.loads((out / "api/kpis.json").read_text(encoding="utf-8"))
    assert kpis["total"] == len(kpis["items"]) > 0
    for item in kpis["items"]:
        assert json.loads((out / f"api/kpis/{item['id']}.json").read_text(encoding="utf-8"))["id"] == item["id"]
    for name in ("evaluations", "audit", "measures", "cases", "documents", "items"):
        assert "items" in json.loads((out / f"api/{name}.json").read_text(encoding="utf-8")), name
    assert json.loads((out / "api/openapi.json").read_text(encoding="utf-8"))["openapi"].startswith("3.")


def test_bulk_zip_and_datapackage(site):
    _, out, _ = site
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    kpis = next(r for r in package["resources"] if r["name"] == "kpis")
    fields = {f["name"]: f for f in kpis["schema"]["fields"]}
    assert fields["id"]["type"] == "integer"
    assert fields["target_deadline"]["descriptions"] == {"ja": "目標の期限", "en": "target deadline"}
    assert package["licenses"][0]["name"] == "CC-BY-4.0" and len(package["sources"]) == 3
    assert all(s["sha256"] and s["attribution"].startswith("出典: 「") for s in package["sources"])
    # no source prints its terms: each carries the declared default and says so
    assert package["licenses"] == [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                                    "title": "政府標準利用規約（第2.0版） / Government of Japan Standard Terms of Use "
                                             "(Version 2.0)"}]
    assert {s["terms"]["basis"] for s in package["sources"]} == {"default"}
    assert all("文書に利用条件の記載なし" in s["terms"]["stated_by"] for s in package["sources"])
    documents = (out / "data/documents.csv").read_text(encoding="utf-8").splitlines()
    assert "licence,licence_basis,attribution,origin" in documents[0]
    assert "政府標準利用規約（第2.0版）,default,出典: 「" in documents[1]
    with zipfile.ZipFile(out / "data/mieruka-data.zip") as z:
        names = z.namelist()
        assert "datapackage.json" in names and "data/kpis.csv" in names
        assert z.read("data/kpis.csv") == (out / "data/kpis.csv").read_bytes()
    header = (out / "data/kpis.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == [f["name"] for f in kpis["schema"]["fields"]]


def test_second_run_rewrites_only_what_changed(site, tmp_path):
    url, out, first = site
    stamp = (out / "index.html").stat().st_mtime_ns
    reads = []
    again = _publish(url, out, at=datetime(2026, 4, 2, tzinfo=timezone.utc), reads=reads)
    assert (again.written, again.removed, again.unchanged) == (0, 0, first.files)
    assert reads == []  # the data package's tables are not even read: their files stay
    assert again.rendered == 0 and again.pages == first.pages  # nothing changed: nothing asked of the application
    assert (out / "index.html").stat().st_mtime_ns == stamp
    before = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["pages"]
    with storage.session_scope(url) as s:
        s.execute(update(m.Kpi).where(m.Kpi.id == 1).values(name="窓口業務のアウトソーシング（改）"))
    changed = _publish(url, out, at=datetime(2026, 4, 3, tzinfo=timezone.utc), reads=reads)
    assert 0 < changed.written < first.files / 4 and changed.removed == 0
    # only KPI 1's rows of the data package are read again, spliced into the rows the first run kept; the audit's table
    # is the one kept too (the site shows the same stored audit: no audit was brought up to date for a rename by SQL)
    assert reads == [("tables of", [1], "the audit kept")]
    assert "1,窓口業務のアウトソーシング（改）," in (out / "data/kpis.csv").read_text(encoding="utf-8")
    assert changed.files == first.files and changed.pages == first.pages
    # only pages naming KPI 1 (and those showing all KPIs) are made again: not another KPI's own pages
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["pages"]["kpis/1.html"][1] == [1] and manifest["pages"]["kpis/2.html"][1] == [2]
    assert manifest["pages"]["index.html"][1] is None
    # a page of ratings depends on the KPIs whose ratings it holds (not on the ratings' own ids)
    evaluations = json.loads((out / "api/evaluations.json").read_text(encoding="utf-8"))["items"]
    assert manifest["pages"]["api/evaluations.json"][1] == sorted({r["kpi_id"] for r in evaluations})
    assert any(r["id"] not in manifest["pages"]["api/evaluations.json"][1] for r in evaluations)
    # a document's own pages show what was read from it (the KPI's name as the document wrote it): a renamed KPI
    # leaves them as they were
    document = [n for n in manifest["pages"] if re.fullmatch(r"(en/)?(api/)?documents/\d+(\.json|\.html|/kpi-table\.\w+)", n)]
    assert "documents/1.html" in document and "documents/1/kpi-table.xlsx" in document
    assert all(manifest["pages"][n][1] == f"document:{n.split('documents/')[1].split('/')[0].split('.')[0]}"
               and manifest["pages"][n][0] == before[n][0] for n in document)
    untouched = [n for n, (_key, needs, _links) in manifest["pages"].items()
                 if isinstance(needs, list) and 1 not in needs]
    assert "kpis/2.html" in untouched and "en/kpis/2.html" in untouched and "api/kpis/2.json" in untouched
    assert "kpis.html" not in untouched  # the list names KPI 1
    documents_kept = [n for n, p in manifest["pages"].items() if isinstance(p[1], str)]
    assert len(untouched) >= 24 and changed.rendered == first.rendered - len(untouched) - len(documents_kept)
    page = (out / "kpis/1.html").read_text(encoding="utf-8")
    assert "（改）" in page and "2026-04-03（令和8年4月3日）" in page
    assert "2026-04-01（令和8年4月1日）" in (out / "items.html").read_text(encoding="utf-8")  # untouched page
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["generator"] == "mieruka publish"
    # nothing is left stale: every file is what a full publish of the changed data into a new folder makes
    fresh = _publish(url, tmp_path / "fresh", at=datetime(2026, 4, 3, tzinfo=timezone.utc))
    assert _same_site(out, tmp_path / "fresh") == [] and fresh.files == changed.files


def test_a_document_s_pages_are_made_again_when_what_was_read_from_it_changes(tmp_path):
    """An actual amended in one document: that document's page and API answer are made again (not another
    document's), and every file is what a publish of the changed data into a new folder makes."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    webdata.build(url)
    out = tmp_path / "public"
    _publish(url, out, at=datetime(2026, 4, 4, tzinfo=timezone.utc))
    before = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["pages"]
    with storage.session_scope(url, write=True) as s:
        obs = s.scalars(select(m.Observation).where(m.Observation.document_id.is_not(None)).order_by(m.Observation.id)).first()
        document, text = obs.document_id, obs.text + "（訂正）"
        obs.text = text
    _publish(url, out, at=datetime(2026, 4, 5, tzinfo=timezone.utc))
    after = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["pages"]
    own = [f"documents/{document}.html", f"en/documents/{document}.html", f"api/documents/{document}.json"]
    assert all(before[n][0] != after[n][0] for n in own)
    others = [n for n, p in after.items() if isinstance(p[1], str) and p[1] != f"document:{document}"]
    assert others and all(before[n][0] == after[n][0] for n in others)
    assert text in (out / f"api/documents/{document}.json").read_text(encoding="utf-8")
    _publish(url, tmp_path / "fresh", at=datetime(2026, 4, 5, tzinfo=timezone.utc))
    assert _same_site(out, tmp_path / "fresh") == []


def test_the_audit_s_files_are_made_again_only_when_the_stored_audit_changes(tmp_path):
    """The audit's files and API pages show the audit stored as of the site's date: a renamed KPI leaves them as they
    were; an amended actual that changes a finding (the stored audit brought up to date, as a write does) makes them
    again; and every file is what a publish of the same data into a new folder makes."""
    from mieruka.evaluate.stored import refresh
    from mieruka.storage.summaries import refresh_summaries

    url = f"sqlite:///{tmp_path / 'web.db'}"
    webdata.build(url)
    out = tmp_path / "public"
    _publish(url, out, at=datetime(2026, 4, 6, tzinfo=timezone.utc))
    before = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["pages"]
    audit = sorted(n for n in before if re.fullmatch(r"(api/)?audit\.\w+", n))
    assert audit == ["api/audit.json", "audit.csv", "audit.json", "audit.xlsx"]
    assert all(before[n][1] == "audit" for n in audit)
    assert "301団体" in (out / "audit.csv").read_text(encoding="utf-8")  # KPI 1's rating mismatch
    stamps = {n: (out / n).stat().st_mtime_ns for n in audit}
    package_audit = (out / "data/audit.csv").read_bytes()
    assert "301団体".encode("utf-8") in package_audit

    with storage.session_scope(url, write=True) as s:
        s.execute(update(m.Kpi).where(m.Kpi.id == 1).values(name="窓口業務のアウトソーシング（改）"))
    reads = []
    renamed = _publish(url, out, at=datetime(2026, 4, 7, tzinfo=timezone.utc), reads=reads)
    after = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["pages"]
    assert after["kpis/1.html"][0] != before["kpis/1.html"][0] and renamed.rendered > 0
    assert all(after[n] == before[n] and (out / n).stat().st_mtime_ns == stamps[n] for n in audit)
    # the data package's audit table is the one kept with its rows: not read again
    assert reads == [("tables of", [1], "the audit kept")]
    assert (out / "data/audit.csv").read_bytes() == package_audit

    with storage.session_scope(url, write=True) as s:
        obs = s.scalars(select(m.Observation).where(m.Observation.kpi_id == 1, m.Observation.value == 301)).one()
        obs.value, obs.text = 320, obs.text.replace("301", "320")  # still above the plan: rated A, not B
        s.flush()
        refresh_summaries(s, [1])
        assert refresh(s)["audits"] == ["2017-04-01"]
    _publish(url, out, at=datetime(2026, 4, 8, tzinfo=timezone.utc), reads=reads)
    amended = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["pages"]
    assert all(amended[n][0] != after[n][0] and amended[n][1] == "audit" for n in audit)
    shown = (out / "audit.csv").read_text(encoding="utf-8")
    assert "301団体" not in shown and "320団体" in shown
    # another stored audit (and other tables changed): every table read again, the audit's with them
    assert reads[1:] == ["tables"]
    shown = (out / "data/audit.csv").read_text(encoding="utf-8")
    assert "301団体" not in shown and "320団体" in shown
    _publish(url, tmp_path / "fresh", at=datetime(2026, 4, 8, tzinfo=timezone.utc))
    assert _same_site(out, tmp_path / "fresh") == []


def test_the_audit_s_files_depend_on_everything_when_no_audit_is_stored(tmp_path):
    """With no audit stored as of the site's date the audit's pages depend on all the data, as before: a renamed KPI
    makes them again."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    webdata.build(url)
    with storage.session_scope(url, write=True) as s:
        s.execute(m.AuditFinding.__table__.delete())
        s.execute(m.AuditRun.__table__.delete())
    out = tmp_path / "public"
    _publish(url, out, at=datetime(2026, 4, 6, tzinfo=timezone.utc))
    before = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["pages"]
    # no table of findings on the overview, so no downloads of it; the API's page is there, keyed as every page
    # that shows all KPIs (the overview itself)
    assert "audit.csv" not in before and before["index.html"][1] is None
    assert before["api/audit.json"][1] == "audit" and before["api/audit.json"][0] == before["index.html"][0]
    with storage.session_scope(url, write=True) as s:
        s.execute(update(m.Kpi).where(m.Kpi.id == 1).values(name="窓口業務のアウトソーシング（改）"))
    _publish(url, out, at=datetime(2026, 4, 7, tzinfo=timezone.utc))
    after = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["pages"]
    assert after["api/audit.json"][0] != before["api/audit.json"][0]
    assert after["api/audit.json"][0] == after["index.html"][0]


def _same_site(a: Path, b: Path) -> list[str]:
    """The files that differ between two published folders (the moments pages and workbooks were made aside), or
    that one has and the other has not."""
    from mieruka.publish.site import _fingerprint, files_in

    names = files_in(a) | files_in(b)
    names -= {MANIFEST, PIECES, LOCK}
    return sorted(n for n in names if not ((a / n).is_file() and (b / n).is_file()) or
                  _fingerprint(n, (a / n).read_bytes()) != _fingerprint(n, (b / n).read_bytes()))


def test_a_folder_with_other_files_is_refused(site, tmp_path):
    url, out, _ = site
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(TargetRefused, match="notes.txt"):
        check_target(foreign)
    (out / "extra.html").write_text("mine", encoding="utf-8")
    try:
        with pytest.raises(TargetRefused, match="extra.html"):
            check_target(out)
        result = CliRunner().invoke(__import__("mieruka.cli", fromlist=["load_commands"]).load_commands(),
                                    ["publish", str(out), "--no-pdf", "--db", url])
        assert result.exit_code == 1 and "extra.html" in result.output and "Traceback" not in result.output
        assert (out / "extra.html").read_text(encoding="utf-8") == "mine"
    finally:
        (out / "extra.html").unlink()
    assert check_target(tmp_path / "new") == {} and check_target(foreign.parent / "empty") == {}


def test_kpi_pages_rendered_in_bulk_are_what_the_application_serves(tmp_path):
    """publish renders every KPI's page, history, sheet and API answer in batches (web.static_pages): byte for byte
    what the application answers for the same URL (a sheet's 作成 stamp and an XLSX's timestamps aside)."""
    from starlette.testclient import TestClient

    from mieruka.publish.site import _fingerprint

    url = f"sqlite:///{tmp_path / 'web.db'}"
    webdata.build(url)
    with storage.session_scope(url) as s:
        s.execute(update(m.Kpi).where(m.Kpi.id == 2).values(parent_id=1))  # a parent and its child
        ids = list(s.scalars(__import__("sqlalchemy").select(m.Kpi.id).order_by(m.Kpi.id)))
    app = create_app(url)
    parented = [1, 2] + ids[-2:]
    urls = [(p, q) for k in parented for p, q in (
        (f"/kpis/{k}", ()), (f"/kpis/{k}", (("lang", "en"),)), (f"/kpis/{k}/history", ()),
        (f"/kpis/{k}/history", (("lang", "en"),)), (f"/kpis/{k}/sheet.html", ()), (f"/kpis/{k}/sheet.xlsx", ()),
        (f"/api/kpis/{k}", ()))]
    answers = KpiPages(app).render(urls + [("/kpis/999999", ())])
    assert ("/kpis/999999", ()) not in answers  # a KPI that does not exist is left to the application (its 404)
    assert len(answers) == len(urls) == 28
    with TestClient(app, base_url="http://localhost") as client:
        for path, query in urls:
            served = client.get(path, params=dict(query))
            assert served.status_code == answers[(path, query)].status_code == 200, path
            mine = answers[(path, query)].content
            if path.endswith("/sheet.html"):
                assert _fingerprint("x.html", mine) == _fingerprint("x.html", served.content), path
                assert "指標シート" in mine.decode("utf-8")
            elif path.endswith(".xlsx"):
                assert _fingerprint("x.xlsx", mine) == _fingerprint("x.xlsx", served.content), path
            else:
                assert mine == served.content, (path, query)
    page = answers[("/kpis/1", (("lang", "en"),))].text
    assert '<html lang="en">' in page and "/kpis/2" in page  # KPI 1's child, read in the batch
    # rendered by worker processes (mieruka publish uses one a core): the same answers
    pages = KpiPages(app, workers=2, pool_from=0)
    try:
        futures = [pages.submit(urls[:14]), pages.submit(urls[14:])]
        pooled = {**futures[0].result(), **futures[1].result()}
        assert pages._pool is not None
    finally:
        pages.close()
    assert sorted(pooled) == sorted(urls)
    for k in urls:
        if k[0].endswith(".xlsx") or k[0].endswith("sheet.html"):
            assert _fingerprint("x" + k[0][-5:], pooled[k].content) == _fingerprint("x" + k[0][-5:], answers[k].content), k
        else:
            assert pooled[k].content == answers[k].content, k


def test_the_cli_site_s_audit_is_of_the_pages_evaluation_date(site, tmp_path):
    # `mieruka publish` audited data/audit.csv as of the day it ran while its pages used the stored date
    import csv

    from mieruka.web.evaluation import audit_findings, evaluation_date
    from mieruka.web.ratings import DEFAULT_SCHEME

    url, _, _ = site
    out = tmp_path / "cli-site"
    result = CliRunner().invoke(__import__("mieruka.cli", fromlist=["load_commands"]).load_commands(),
                                ["publish", str(out), "--no-pdf", "--db", url])
    assert result.exit_code == 0, result.output
    with storage.session_scope(url) as s:
        when = evaluation_date(s, DEFAULT_SCHEME).as_of
        shown = audit_findings(s, "ja", when)
    with (out / "data/audit.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert when is not None and len(shown) > 0
    # the stored audit the pages show, not one made again (another test of this module renames a KPI by SQL, which
    # leaves the stored audit as it was: the file says what the site's audit page says)
    assert [(r["kind"], r["kpi_id"], r["kpi"]) for r in rows] == [(f["kind"], str(f["kpi_id"] or ""), f["kpi"])
                                                                 for f in shown]


def test_a_run_killed_halfway_is_cleaned_up_by_the_next(site, tmp_path):
    # a first publish killed after some files: the folder says a run was under way, so the next one is not refused
    url, _, _ = site
    out = tmp_path / "killed"
    out.mkdir()
    (out / MANIFEST).write_text(json.dumps({"generator": "mieruka publish", "in_progress": True, "files": {}}),
                                encoding="utf-8")
    (out / "index.html").write_text("half", encoding="utf-8")
    (out / "gone").mkdir()
    (out / "gone" / "page.html.tmp").write_text("half", encoding="utf-8")
    assert check_target(out) == {"generator": "mieruka publish", "files": {"index.html": "", "gone/page.html.tmp": ""}}
    result = _publish(url, out)
    assert not (out / "gone").exists() and result.removed == 1
    assert (out / "index.html").read_text(encoding="utf-8") != "half"
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert "in_progress" not in manifest and "index.html" in manifest["files"]


def test_while_a_run_is_under_way_its_folder_says_so(site, tmp_path, monkeypatch):
    """RUNNING says so, beside the manifest of the run before (not rewritten to say it): a run stopped then would leave
    the folder as check_target sees it here, every file the site's and no key trusted."""
    url, _, _ = site
    out = tmp_path / "under-way"
    publish_site(create_app(url), out, tables=lambda: {}, documents=[], at=AT, pdf=False, exclude=("/local",))
    finished = (out / MANIFEST).read_bytes()
    assert not (out / RUNNING).exists()
    seen = []

    def tables():
        seen.append((json.loads((out / RUNNING).read_text(encoding="utf-8")).get("in_progress"),
                     (out / MANIFEST).read_bytes() == finished, check_target(out)))
        with storage.session_scope(url) as s:
            return database_tables(s, date(2019, 3, 31), "ja")

    app = create_app(url)
    publish_site(app, out, tables=tables, documents=[], at=AT, pdf=False, exclude=("/local",))
    assert [s[:2] for s in seen] == [(True, True)]
    said = seen[0][2]
    assert said.keys() == {"generator", "files"} and set(said["files"].values()) == {""}
    assert "index.html" in said["files"] and "en/kpis.html" in said["files"] and MANIFEST not in said["files"]
    assert not (out / RUNNING).exists()
    assert "in_progress" not in json.loads((out / MANIFEST).read_text(encoding="utf-8"))


def test_a_run_stopped_after_its_first_files_leaves_a_folder_the_next_run_takes(site, tmp_path, monkeypatch):
    """A first run into a new folder stopped before its manifest (here: the data package fails) leaves RUNNING and the
    pages it wrote, no manifest: the next run takes the folder as the site's, not as someone's files to refuse."""
    import mieruka.publish.site as site_module

    url, _, _ = site
    out = tmp_path / "stopped"

    def stopped(*a, **kw):
        raise KeyboardInterrupt
    with monkeypatch.context() as mp:
        mp.setattr(site_module, "_write_data", stopped)
        with pytest.raises(KeyboardInterrupt):
            _publish(url, out)
    assert (out / RUNNING).exists() and not (out / MANIFEST).exists() and (out / "index.html").exists()
    (out / "stray.html").write_text("left by the stopped run", encoding="utf-8")
    result = _publish(url, out)
    assert result.removed == 1 and not (out / "stray.html").exists() and not (out / RUNNING).exists()
    assert result.written == result.files and result.unchanged == 0  # no file of a stopped run is trusted
    assert check_target(out)["files"]["index.html"] != ""


def test_pages_finished_by_worker_processes_are_those_the_crawl_makes(tmp_path):
    """With workers, each batch's pages are rendered, their links made relative and their files written by the worker
    processes (publish.finishing), and a local body's pages asked of the workers' own applications: the same files,
    the same content and the same record of each page's key and links as when the crawl's process does all of it."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    webdata.build(url)
    # the local bodies of one prefecture (沖縄県, 47): enough to go through the workers, few enough for a test
    exclude = ("/local/0", "/local/1", "/local/2", "/local/3", *(f"/local/4{d}" for d in range(7)), "/local/kpi")
    runs = {}
    for label, workers in (("here", 1), ("workers", 2)):
        app = create_app(url)
        pages = KpiPages(app, workers=workers, pool_from=0)
        try:
            with storage.session_scope(url) as s:
                versions = publish_versions(s)
            out = tmp_path / label
            result = publish_site(app, out, tables={"kpis": []}, documents=[], at=AT, pdf=False, exclude=exclude,
                                  versions=versions, direct=pages)
        finally:
            pages.close()
        assert result.broken == []
        runs[label] = (out, result, json.loads((out / MANIFEST).read_text(encoding="utf-8")))
    (here, r1, m1), (there, r2, m2) = runs["here"], runs["workers"]
    assert (r1.pages, r1.files, r1.written) == (r2.pages, r2.files, r2.written)
    assert any(n.startswith("local/47") for n in m1["files"]) and any(n.startswith("en/kpis/") for n in m1["files"])
    assert m1["files"] == m2["files"]  # every file, with the same fingerprint
    for name in m1["files"]:
        a, b = (here / name).read_bytes(), (there / name).read_bytes()
        assert a == b or name.endswith((".xlsx", "sheet.html")), name  # a sheet's own 作成 stamp is the minute it was made

    def readable(m):
        return {n: [p[0], p[1], [m["links"][i] for i in p[2]]] for n, p in m["pages"].items()}
    assert readable(m1) == readable(m2)


def test_an_open_round_s_drafts_change_no_published_version(tmp_path):
    """What publish compares between runs: an open round, its reports and their versions, evidence, a local body's
    draft answer, a password change and the change counter show on no public page, so they leave the versions as they
    were; the round's rows count once it is published, and an account's shown name counts."""
    from datetime import date, datetime, timezone

    from mieruka.storage import models as m
    from mieruka.storage.cycle_models import Report, ReportVersion, Round, User

    url = f"sqlite:///{tmp_path / 'web.db'}"
    webdata.build(url)

    def versions():
        with storage.session_scope(url) as s:
            return publish_versions(s)
    before = versions()
    with storage.session_scope(url, write=True) as s:
        kpi_id = s.scalars(select(m.Kpi.id).order_by(m.Kpi.id)).first()
        rnd = Round(name="2019年度 進捗報告", as_of=date(2019, 3, 31), deadline=date(2019, 5, 31), opened_by="jimu")
        s.add(rnd)
        s.flush()
        report = Report(round_id=rnd.id, kpi_id=kpi_id, actual_text="999団体", value=999.0, updated_by="somu")
        s.add(report)
        s.flush()
        s.add(ReportVersion(report_id=report.id, version=1, actor="somu", via="web", action="save", changes={"value": [None, 999]}))
        user = User(login="somu", display_name="総務 太郎", password_hash="x", role="reporter")
        s.add(user)
    after_user = versions()
    assert after_user["kpis"] == before["kpis"] and after_user["shape"] == before["shape"]
    assert after_user["rest"] != before["rest"]  # a new account's name may appear in a history
    with storage.session_scope(url, write=True) as s:
        s.scalars(select(User)).one().password_hash = "y"
        r = s.scalars(select(Report)).one()
        r.actual_text, r.value = "1000団体", 1000.0
    assert versions() == after_user  # drafts and a password change: nothing public changed
    with storage.session_scope(url, write=True) as s:
        s.scalars(select(Round)).one().published_at = datetime(2019, 6, 1, tzinfo=timezone.utc)
    assert versions()["rest"] != after_user["rest"]


def test_the_data_package_reads_again_only_changed_kpis_rows(tmp_path):
    """Rows kept from the previous run and rows read again make the tables a whole read makes: the columns in the
    order rows first have them, the schema types of every value (an integer column turned float, a column only one
    KPI had gone)."""
    from types import SimpleNamespace

    from mieruka.publish.site import _package_tables, _table_of

    def data(k3_value, k2_extra):
        kpis = [{"id": 1, "name": "一", "latest": 3}, {"id": 2, "name": "二", "latest": None,
                                                         **({"computed:x": "A"} if k2_extra else {})},
                {"id": 3, "name": "三,引用\"あり\"", "latest": k3_value}]
        ratings = [{"kpi_id": 1, "code": "A", "as_of": date(2019, 3, 31)}, {"kpi_id": 3, "code": "B", "as_of": None}]
        return {"kpis": kpis, "ratings": ratings, "audit": [{"kind": "stale", "kpi_id": 3}]}

    asked = []

    def tables_of(full):
        def tables(kpi_ids=None):
            asked.append(kpi_ids)
            if kpi_ids is None:
                return full
            return {key: [r for r in rows if key == "audit" or r.get("id", r.get("kpi_id")) in kpi_ids]
                    for key, rows in full.items()}
        return tables

    first, second = data(4, True), data(4.5, False)
    deps = SimpleNamespace(data="d", kpis={1: "a", 2: "a", 3: "a"}, audit=None)
    got = _package_tables(tmp_path, tables_of(first), deps)
    assert asked == [None]
    assert got["kpis"].columns == ["id", "name", "latest", "computed:x"]
    deps.kpis = {1: "a", 2: "b", 3: "b"}
    got = _package_tables(tmp_path, tables_of(second), deps)
    assert asked == [None, [2, 3]]
    for key, rows in second.items():
        whole = _table_of(rows)
        assert (got[key].columns, got[key].body, got[key].kinds) == (whole.columns, whole.body, whole.kinds), key
    assert got["kpis"].columns == ["id", "name", "latest"] and got["kpis"].kinds["latest"] == {"i", "f"}
    assert got["kpis"].body == '1,一,3\r\n2,二,\r\n3,"三,引用""あり""",4.5\r\n'
    # other code or other tables (deps.data): nothing kept is trusted
    deps.data = "e"
    _package_tables(tmp_path, tables_of(second), deps)
    assert asked[-1] is None

    # a `tables` that can leave the audit out is asked to when the site shows the stored audit whose table was kept
    def leaving_the_audit(kpi_ids=None, audit=True):
        got = tables_of(second)(kpi_ids)
        asked[-1] = (kpi_ids, audit)
        return {**got, "audit": got["audit"] if audit else None}
    deps.audit, deps.data, deps.kpis = "run 1", "f", {1: "a", 2: "b", 3: "b"}
    made = _package_tables(tmp_path, leaving_the_audit, deps)["audit"]
    assert asked[-1] == (None, True)  # no pieces kept for "f" yet
    deps.kpis = {1: "a", 2: "b", 3: "c"}
    got = _package_tables(tmp_path, leaving_the_audit, deps)
    assert asked[-1] == ([3], False) and list(got) == ["kpis", "ratings", "audit"]
    assert (got["audit"].columns, got["audit"].body, got["audit"].kinds) == (made.columns, made.body, made.kinds)
    assert got["audit"].body == "stale,3\r\n"
    deps.audit, deps.kpis = "run 2", {1: "a", 2: "b", 3: "d"}  # another stored audit: its table read again
    _package_tables(tmp_path, leaving_the_audit, deps)
    assert asked[-1] == ([3], True)


def test_a_link_is_placed_by_its_path_and_the_query_that_tells_pages_apart():
    from mieruka.publish.site import _key

    assert _key("/kpis/5") == ("/kpis/5", ())
    assert _key("/kpis/5?lang=en") == ("/kpis/5", (("lang", "en"),))
    assert _key("/kpis?page=2&lang=en&q=x") == ("/kpis", (("lang", "en"), ("page", "2")))
    assert _key("/api/kpis?offset=1000#top") == ("/api/kpis", (("offset", "1000"),))
    assert _key("?lang=en") == ("/", (("lang", "en"),))


def test_versions_are_read_again_only_after_a_write(site):
    from mieruka.storage.publishing import VersionReader

    url, _out, _first = site
    reader = VersionReader(url)
    try:
        first = reader()
        assert reader() is first  # nothing committed since: the same versions, not read again
        with storage.session_scope(url) as s:
            name = s.get(m.Kpi, 2).name
            s.execute(update(m.Kpi).where(m.Kpi.id == 2).values(name=name + "x"))
        second = reader()
        assert second is not first and second["rest"] == first["rest"] and second["shape"] == first["shape"]
        assert {k for k in first["kpis"] if first["kpis"][k] != second["kpis"][k]} == {2}
        with storage.session_scope(url) as s:
            s.execute(update(m.Kpi).where(m.Kpi.id == 2).values(name=name))
        third = reader()  # the same data again (KPI 2 read again: its change token is a new one)
        assert {k: v for k, v in third.items() if k != "tokens"} == {k: v for k, v in first.items() if k != "tokens"}
        assert third["tokens"]["kpis"][2] != first["tokens"]["kpis"][2] != second["tokens"]["kpis"][2]
    finally:
        reader.close()


def test_a_second_publish_on_the_same_folder_is_refused_at_once_naming_the_first(site):
    """Another `mieruka publish` holding the folder (here a process holding its lock) makes a second one exit at
    once naming it, before it reads or writes the database; the folder is left as the first has it."""
    import subprocess
    import sys

    url, out, _ = site
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from mieruka.publish.site import target_lock\n"
         f"with target_lock(Path({str(out)!r})):\n    print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**__import__("os").environ})
    try:
        assert holder.stdout.readline() == "held\n"
        before = (out / MANIFEST).read_bytes()
        result = CliRunner().invoke(__import__("mieruka.cli", fromlist=["load_commands"]).load_commands(),
                                    ["publish", str(out), "--no-pdf", "--db", url])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert f"is being written by another `mieruka publish` (process {holder.pid}, started " in result.stderr
        assert (out / MANIFEST).read_bytes() == before
    finally:
        holder.communicate("")
    assert holder.returncode == 0
    with pytest.raises(TargetRefused, match="notes.txt"):  # no lock file is left in a folder that is not ours
        foreign = out.parent / "theirs"
        foreign.mkdir()
        (foreign / "notes.txt").write_text("theirs", encoding="utf-8")
        from mieruka.publish.site import target_lock

        with target_lock(foreign):
            pass
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]


def test_two_starts_preparing_one_database_take_turns(tmp_path):
    """Two programs starting on a database that needs preparing (a new one: no registry, search index nor cookie
    key) — two `mieruka publish` at once: the second waits for the first's writer transaction and then finds the
    work done. It read first and then wrote, and was refused once the first committed (SQLITE_BUSY_SNAPSHOT), with a
    message saying it had waited the whole busy timeout."""
    import threading
    import time

    from mieruka.accounts.service import cookie_secret
    from mieruka.storage.local_bodies import ensure_registry
    from mieruka.storage.search import ensure_search_index
    from mieruka.storage.summaries import ensure_summaries

    url = f"sqlite:///{tmp_path / 'new.db'}"
    storage.ensure_schema(url)
    holding, errors = threading.Event(), []

    def first():
        try:
            with storage.session_scope(url, write=True) as s:
                ensure_registry(s)
                ensure_search_index(s)
                ensure_summaries(s)
                cookie_secret(s)
                holding.set()
                time.sleep(1)  # still preparing when the second starts (not a timing assertion)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            holding.set()

    one = threading.Thread(target=first)
    one.start()
    holding.wait()
    try:
        app = create_app(url)
    finally:
        one.join()
    assert errors == []
    from fastapi.testclient import TestClient

    found = TestClient(app).get("/search", params={"q": "海老名市"})
    assert found.status_code == 200 and "/local/142158" in found.text
    with storage.session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(m.LocalBody)) == 1788


def test_a_lock_refused_at_once_is_not_said_to_have_been_waited_for(monkeypatch):
    """SQLite refuses at once (SQLITE_BUSY, no busy wait: it would deadlock) a transaction that read and then went to
    write while another program wrote: the message said the other "kept writing to it for 60 s" after 14.5 s."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from mieruka.storage.db import plain_error

    monkeypatch.setenv("MIERUKA_SQLITE_BUSY_TIMEOUT_MS", "60000")

    def refused(waited, name="SQLITE_BUSY"):
        orig = sqlite3.OperationalError("database is locked")
        orig.sqlite_errorname = name
        exc = OperationalError("INSERT", {}, orig)
        exc.mieruka_url, exc.mieruka_waited = "sqlite:///x.db", waited
        return plain_error(exc)

    at_once = ("sqlite:///x.db is in use: another program wrote to it while this one was reading it in order to "
               "write; nothing was written. Run this again (it then reads what the other wrote).")
    assert refused(0.002) == at_once and refused(59.9, "SQLITE_BUSY_SNAPSHOT") == at_once
    assert refused(60.01) == ("sqlite:///x.db is locked: another program kept writing to it for 60 s. Try again when "
                              "it has finished, or close the program that holds the file open.")


def test_a_local_body_s_pages_are_made_again_only_for_the_kpis_they_list(tmp_path):
    """A body's page counts the KPIs that count bodies like it (here KPIs 1-3, unit 団体; KPI 4 has no unit) and links
    to their list, /local/counting, which names them: renaming KPI 1 makes that list again and no body's page,
    renaming KPI 4 neither, and giving KPI 4 the unit 団体 (3 → 4 KPIs counted; what lists show of all KPIs, part of
    every page's key) makes the bodies' pages again. (Each body's page named the first 50 such KPIs: one renamed made 3,482 pages again.)"""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    webdata.build(url)
    # 沖縄県's bodies only (as in the test above) and no KPI's own pages: what is left is mostly the local pages
    exclude = ("/local/0", "/local/1", "/local/2", "/local/3", *(f"/local/4{d}" for d in range(7)), "/kpis/",
               "/api/kpis/")
    out = tmp_path / "public"

    def versions():
        with storage.session_scope(url) as s:
            return publish_versions(s)

    def run(day: int, folder: Path = out):
        return publish_site(create_app(url), folder, tables={"kpis": []}, documents=[], pdf=False, exclude=exclude,
                            at=datetime(2026, 4, day, tzinfo=timezone.utc), versions=versions)

    def rename(kpi_id: int, **values):
        with storage.session_scope(url, write=True) as s:
            s.execute(update(m.Kpi).where(m.Kpi.id == kpi_id).values(**values))

    def local_made_again(before: dict) -> set[str]:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return {n for n in manifest["pages"] if n.startswith(("local/", "en/local/")) and
                (n not in before or manifest["pages"][n][0] != before[n][0])}

    first = run(1)
    assert first.broken == []
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    pages = manifest["pages"]
    assert pages["local/472018.html"][1] == [] == pages["en/local/472018.html"][1]  # 那覇市: it names no KPI
    assert pages["local/counting.html"][1] == [1, 2, 3] == pages["en/local/counting.html"][1]
    assert pages["local/472018/plan.html"][1] == []  # (no survey here: no group, so no group downloads)
    assert pages["local/470007.html"][1] == []  # the prefecture's page: no KPI counts prefectures here
    assert '<a href="counting.html">団体の数で測るKPI 3件の一覧</a>' in (out / "local/472018.html").read_text(encoding="utf-8")
    bodies = {n for n in pages if re.fullmatch(r"(en/)?local/47\d{4}\.html", n)}
    assert len(bodies) == 2 * 42

    rename(4, name="歳出効率化の成果（改）")
    kept = run(2)
    assert local_made_again(pages) == set() and kept.rendered < first.rendered - len(bodies)
    assert "2026-04-01（令和8年4月1日）" in (out / "local/472018.html").read_text(encoding="utf-8")

    before = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["pages"]
    rename(1, name="窓口業務のアウトソーシング（改）")
    run(3)
    assert local_made_again(before) == {"local/counting.html", "en/local/counting.html"}
    assert "窓口業務のアウトソーシング（改）" in (out / "local/counting.html").read_text(encoding="utf-8")
    assert "2026-04-01（令和8年4月1日）" in (out / "local/472018.html").read_text(encoding="utf-8")

    before = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["pages"]
    rename(4, unit="団体")
    run(4)
    again = local_made_again(before)
    assert bodies - {"local/470007.html", "en/local/470007.html"} <= again
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["pages"]["local/counting.html"][1] == [1, 2, 3, 4]
    page = (out / "local/472018.html").read_text(encoding="utf-8")
    assert "団体の数で測るKPI 4件の一覧" in page and "2026-04-04（令和8年4月4日）" in page
    # nothing is left stale: every file is what a full publish of the changed data into a new folder makes
    run(4, tmp_path / "fresh")
    assert _same_site(out, tmp_path / "fresh") == []


def test_kept_rows_edited_or_misshapen_are_read_again_not_spliced(site, tmp_path):
    """The data package's kept rows lie in a folder people can edit: a row changed by hand, a file cut short, a shape
    publish never writes (even with its digest made to match) or another data's key give no kept rows — every KPI's
    rows are then read again — never an error and never the edited rows in data/*.csv."""
    import hashlib

    from mieruka.publish.site import _kept_pieces

    _url, out, _ = site
    text = (out / PIECES).read_text(encoding="utf-8")
    head, body = text.split("\n", 1)
    key = json.loads(head)["key"]
    kept = tmp_path / PIECES
    kept.write_text(text, encoding="utf-8")
    assert len(_kept_pieces(kept, key)["kpis"]) == json.loads(body)["kpis"].__len__() > 0
    assert _kept_pieces(kept, "another data")["kpis"] == {}

    def digested(new_body: str) -> str:
        return json.dumps({"key": key, "sha256": hashlib.sha256(new_body.encode("utf-8")).hexdigest()}) + "\n" + new_body

    edited = body.replace("窓口", "改ざん", 1)
    assert edited != body
    misshapen = json.loads(body)
    first = next(iter(misshapen["kpis"].values()))
    next(iter(first[1].values()))[0] = 99  # a kinds index out of range
    for broken in (head + "\n" + edited, text[: len(text) // 2], "", "\n", digested(json.dumps(misshapen)),
                   digested(json.dumps({**json.loads(body), "kpis": []})), digested("[]"),
                   digested(json.dumps({**json.loads(body), "audit": ["run", ["kind"], "x\r\n", {}]})),
                   digested(json.dumps({**json.loads(body), "audit": ["run", ["kind"], 3, {"kind": "s"}]}))):
        kept.write_text(broken, encoding="utf-8")
        assert _kept_pieces(kept, key) == {"columns": [], "kinds": [], "kpis": {}}, broken[:80]


def _cli(args: list[str]):
    return CliRunner().invoke(__import__("mieruka.cli", fromlist=["load_commands"]).load_commands(), args)


def test_a_folder_that_cannot_be_made_or_written_is_refused_naming_it(site, tmp_path, monkeypatch):
    """A target the system will not make (under /proc, under a file, a link to nothing, a name too long, no
    permission, a disk that fills during the run): exit 1 with a message naming the folder and why, no traceback."""
    url, _, _ = site
    (tmp_path / "a-file").write_text("mine", encoding="utf-8")
    (tmp_path / "nowhere").symlink_to(tmp_path / "missing" / "site")
    long_name = str(tmp_path / ("a" * 300))
    cases = [(str(tmp_path / "a-file" / "site"), "Not a directory"),
             (str(tmp_path / "nowhere"), "it is a link to something that does not exist"),
             (long_name, "File name too long")]
    if Path("/proc/self").is_dir():
        cases.append(("/proc/mieruka-site", "No such file or directory"))
    for out, reason in cases:
        result = _cli(["publish", out, "--no-pdf", "--db", url])
        assert result.exit_code == 1, (out, result.output)
        assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
        assert f"error: {out} cannot be made or written as the site's folder: {reason}" in result.stderr
        assert f"{out} にサイトを書き込めません（{reason}）" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a-file", "nowhere"])
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "mine"

    # no permission (root is never refused one, so the system's answer is given by hand)
    def refused(self, *a, **kw):
        raise PermissionError(13, "Permission denied", str(self))
    out = tmp_path / "locked"
    with monkeypatch.context() as mp:
        mp.setattr(Path, "mkdir", refused)
        result = _cli(["publish", str(out), "--no-pdf", "--db", url])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"error: {out} cannot be made or written as the site's folder: Permission denied; give a folder you can " \
           f"write / {out} にサイトを書き込めません（Permission denied）" in result.stderr
    assert not out.exists()

    # a folder that is locked but then cannot be written (full)
    import mieruka.publish.site as site_module

    def full(path, text):
        raise OSError(28, "No space left on device", str(path))
    out = tmp_path / "full"
    monkeypatch.setattr(site_module, "_replace", full)
    result = _cli(["publish", str(out), "--no-pdf", "--db", url])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"error: {out} cannot be made or written as the site's folder: No space left on device " \
           f"({out / RUNNING})" in result.stderr


def _holder(out: Path):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from mieruka.publish.site import target_lock\n"
         f"with target_lock(Path({str(out)!r})):\n    print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**__import__("os").environ})
    assert holder.stdout.readline() == "held\n"
    return holder


def test_a_run_whose_lock_file_was_deleted_still_keeps_a_second_run_out(tmp_path):
    """Someone deletes .mieruka-publish.lock while a run writes the folder: a second run made a new lock file, locked
    it and wrote the same folder at once. The folder itself is locked too, so the second is refused, saying why."""
    from mieruka.publish.site import target_lock

    out = tmp_path / "site"
    holder = _holder(out)
    try:
        (out / LOCK).unlink()
        with pytest.raises(TargetRefused) as refused:
            with target_lock(out):
                pass
        assert str(refused.value) == (
            f"{out} is being written by another `mieruka publish` (another process; no {LOCK} names it: removed, "
            f"or not yet written); wait for it to finish or give another folder / {out} には別の publish が書き込み中です")
    finally:
        holder.communicate("")
    assert holder.returncode == 0
    with target_lock(out):  # the first run ended: the folder is free
        assert (out / LOCK).read_text(encoding="utf-8").startswith(f"process {__import__('os').getpid()}, started ")


def test_a_lock_file_replaced_before_it_was_locked_is_taken_again(tmp_path, monkeypatch):
    """The lock file removed (or replaced) between its open and its flock: the lock taken was on a file no other run
    will open. The run checks the file it locked is still the one at the path, and takes the new one."""
    import fcntl
    import os
    import stat

    from mieruka.publish.site import target_lock

    out = tmp_path / "site"
    out.mkdir()
    real, replaced = fcntl.flock, []

    def flock(fd, op):
        if not replaced and stat.S_ISREG(os.fstat(fd).st_mode):  # the lock file (the folder is locked first)
            replaced.append(os.fstat(fd).st_ino)
            (out / LOCK).unlink()
            (out / LOCK).write_text("", encoding="utf-8")
        return real(fd, op)
    monkeypatch.setattr(fcntl, "flock", flock)
    with target_lock(out):
        monkeypatch.setattr(fcntl, "flock", real)
        now = os.stat(out / LOCK).st_ino
        assert replaced and replaced[0] != now
        assert (out / LOCK).read_text(encoding="utf-8").startswith(f"process {os.getpid()}, started ")
        # the file at the path is the one held: another process is refused, named by this one
        import subprocess
        import sys
        other = subprocess.run([sys.executable, "-c", "from pathlib import Path\nfrom mieruka.publish.site import "
                                f"target_lock\nwith target_lock(Path({str(out)!r})):\n    pass"],
                               capture_output=True, text=True)
        assert other.returncode == 1
        assert f"is being written by another `mieruka publish` (process {os.getpid()}, started " in other.stderr


def test_workers_end_when_the_publishing_process_is_killed(site, tmp_path):
    """`kill -9` of a publish run left its worker processes waiting for a next batch for ever. Each worker ends once
    its parent is gone (polled here, with a bound, not timed)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    url, _, _ = site
    script = ("import sys\nfrom mieruka.web.app import create_app\nfrom mieruka.web.static_pages import KpiPages\n"
              f"pages = KpiPages(create_app({url!r}), workers=2, pool_from=0)\n"
              "pages.submit([('/kpis/1', ())]).result()\n"
              "print(*sorted(pages._pool._processes), flush=True)\nsys.stdin.read()\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    workers = [int(p) for p in parent.stdout.readline().split()]  # started as batches need them: one or two
    assert workers

    def running(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False
    try:
        assert all(running(p) for p in workers)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        for _ in range(600):  # at most a minute; a worker asks for its parent every half second
            if not any(running(p) for p in workers):
                break
            time.sleep(0.1)
        assert [p for p in workers if running(p)] == []
    finally:
        for p in workers:
            if running(p):
                os.kill(p, signal.SIGKILL)


def test_workers_busy_with_a_batch_are_ended_at_once_when_the_run_stops(site):
    """A run stopped before it returned (Ctrl-C, which reaches the workers too; an error) waited in KpiPages.close for
    the workers' batches and could hang there. `mieruka publish` then calls close(abandon=True): the workers end at
    once (a bound, not a timing: a batch here would take a minute)."""
    import time

    url, _, _ = site
    pages = KpiPages(create_app(url), workers=2, pool_from=0)
    pages.submit([("/kpis/1", ())]).result()  # the workers are up
    workers = list(pages._pool._processes.values())
    pages._pool.submit(time.sleep, 60)
    started = time.monotonic()
    pages.close(abandon=True)
    pids = [w.pid for w in workers]
    for _ in range(200):  # what the system says, polled with a bound (the pool's thread reaps them as well)
        if not any(_running(p) for p in pids):
            break
        time.sleep(0.1)
    assert [p for p in pids if _running(p)] == [] and time.monotonic() - started < 30
    assert pages._pool is None


def test_a_file_edited_by_hand_is_written_again_by_a_run_with_nothing_changed(site):
    """A site file someone edited after a run (its content no longer what the manifest's fingerprint says) was kept
    as edited by the next run, which had nothing to change. It is written again (docs/publish.md); a file only
    touched (same content, new time) is left as it is."""
    import os

    from mieruka.publish.site import _fingerprint

    url, out, first = site
    _publish(url, out, at=datetime(2026, 4, 4, tzinfo=timezone.utc))  # whatever earlier tests changed, made now
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    page, touched = out / "en/items.html", out / "data/kpis.csv"
    recorded, stat = manifest["files"]["en/items.html"], [page.stat().st_size, page.stat().st_mtime_ns]
    page.write_text("<p>edited by hand</p>", encoding="utf-8")
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 5_000_000_000))
    again = _publish(url, out, at=datetime(2026, 4, 5, tzinfo=timezone.utc))
    assert (again.written, again.removed, again.unchanged) == (1, 0, again.files - 1)
    assert again.rendered == 1  # the edited page only, asked of the application again
    text = page.read_text(encoding="utf-8")
    assert "edited by hand" not in text and _fingerprint("en/items.html", text.encode("utf-8")) == recorded
    after = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert after["files"] == manifest["files"] and manifest["stats"]["en/items.html"] == stat
    assert after["stats"]["data/kpis.csv"] == [touched.stat().st_size, touched.stat().st_mtime_ns]
    assert after["stats"]["en/items.html"] == [page.stat().st_size, page.stat().st_mtime_ns] != stat  # written again
    assert after["stats"]["index.html"] == manifest["stats"]["index.html"]  # kept: its size and time as found
    # and the next run, nothing edited, writes nothing
    third = _publish(url, out, at=datetime(2026, 4, 6, tzinfo=timezone.utc))
    assert (third.written, third.rendered) == (0, 0)


def test_a_folder_checked_while_held_is_walked_once_for_the_run(site, monkeypatch):
    """`mieruka publish` checks the folder as soon as it holds it (a foreign folder refused before the database is
    opened), then runs: the run takes that check's walk and manifest (0.5 s at 10,000 KPIs) instead of doing both
    again, and only within that hold (a check made outside it, or a second run, walks again)."""
    from mieruka.publish import site as site_module
    from mieruka.publish.site import check_target, target_lock

    url, out, _ = site
    _publish(url, out, at=datetime(2026, 4, 7, tzinfo=timezone.utc))  # whatever earlier tests changed, made now
    walks = []
    monkeypatch.setattr(site_module, "files_in", lambda folder, _walk=site_module.files_in: walks.append(1) or _walk(folder))
    with target_lock(out):
        assert check_target(out)["generator"] == "mieruka publish" and len(walks) == 1
        kept = _publish(url, out, at=datetime(2026, 4, 8, tzinfo=timezone.utc))
        assert len(walks) == 1 and (kept.written, kept.rendered) == (0, 0)
        _publish(url, out, at=datetime(2026, 4, 9, tzinfo=timezone.utc))  # the check was the first run's only
        assert len(walks) == 2
    check_target(out)
    _publish(url, out, at=datetime(2026, 4, 10, tzinfo=timezone.utc))  # not held while checked: walked again
    assert len(walks) == 4 and site_module._CHECKED == {}


def test_a_file_system_that_locks_no_folder_keeps_the_lock_file(tmp_path, monkeypatch):
    """NFS refuses flock on a folder opened read-only (EBADF): the run holds the lock file alone, as before."""
    import errno
    import fcntl
    import os
    import stat

    from mieruka.publish.site import target_lock

    real = fcntl.flock

    def flock(fd, op):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EBADF, "Bad file descriptor")
        return real(fd, op)
    monkeypatch.setattr(fcntl, "flock", flock)
    out = tmp_path / "site"
    with target_lock(out):
        assert (out / LOCK).read_text(encoding="utf-8").startswith(f"process {os.getpid()}, started ")


def test_the_files_of_a_folder_are_those_os_walk_finds(tmp_path):
    """files_in walks the folder itself (scandir, no relpath or lstat a folder): the files os.walk lists, a link to a
    file among them, a link to a folder neither listed nor followed, an empty folder giving nothing."""
    import os

    from mieruka.publish.site import files_in

    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "empty").mkdir()
    (tmp_path / "top.html").write_text("x", encoding="utf-8")
    (tmp_path / "a" / "b" / "deep.json").write_text("x", encoding="utf-8")
    (tmp_path / "a" / "to-file").symlink_to(tmp_path / "top.html")
    (tmp_path / "a" / "to-folder").symlink_to(tmp_path / "a" / "b")
    (tmp_path / "a" / "to-nothing").symlink_to(tmp_path / "gone")
    walked = {os.path.relpath(os.path.join(folder, f), tmp_path) for folder, _, files in os.walk(tmp_path)
              for f in files}
    assert files_in(tmp_path) == walked == {"top.html", "a/b/deep.json", "a/to-file", "a/to-nothing"}
    assert files_in(tmp_path / "missing") == set()


def test_the_data_s_versions_change_for_the_kpi_and_document_changed_only(db_url):
    """publish_versions on both databases (SQLite's rows digested as marshal writes them, PostgreSQL's dates and
    numbers, which marshal does not write, by their repr): read twice they are the same; a renamed KPI changes its own
    digest and nothing else (not its documents': they show the name as written); an amended actual changes its KPI's
    and its document's."""
    from sqlalchemy import update

    from mieruka.storage import models as m

    webdata.build(db_url)
    with storage.session_scope(db_url) as s:
        first = publish_versions(s)
        assert publish_versions(s) == first
        kpi = s.query(m.Kpi).order_by(m.Kpi.id).first().id
        s.execute(update(m.Kpi).where(m.Kpi.id == kpi).values(name="改めた名前"))
    with storage.session_scope(db_url) as s:
        renamed = publish_versions(s)
        observation = s.query(m.Observation).filter(m.Observation.document_id.is_not(None)).order_by(m.Observation.id).first()
        amended, document = observation.kpi_id, observation.document_id
        s.execute(update(m.Observation).where(m.Observation.id == observation.id).values(value=observation.value + 0.5))
    with storage.session_scope(db_url) as s:
        after = publish_versions(s)
    assert len(first["kpis"]) == 4 and len(first["documents"]) == 1
    assert {k for k in first["kpis"] if renamed["kpis"][k] != first["kpis"][k]} == {kpi}
    assert renamed["documents"] == first["documents"] and renamed["rest"] == first["rest"]
    assert renamed["shape"] == first["shape"]
    assert {k for k in after["kpis"] if after["kpis"][k] != renamed["kpis"][k]} == {amended}
    assert {d for d in after["documents"] if after["documents"][d] != renamed["documents"][d]} == {document}


def test_versions_read_from_the_change_tokens_are_those_a_whole_read_gives(db_url):
    """On SQLite the KPIs' tables keep a token per KPI and per document that every write replaces (migration 0015's
    triggers): given the previous read, publish_versions reads only the rows of the KPIs and documents whose token
    changed, and gives what reading every row gives — after a rename, an amended actual, a rating deleted, a unit
    changed, a target moved to another KPI, a KPI deleted with its rows, a whole document deleted, and a write made
    outside mieruka (sqlite3). A previous read from another database, or one that is not whole, is not trusted.
    PostgreSQL has no triggers: no tokens, every row read."""
    from sqlalchemy import delete, text, update

    webdata.build(db_url)

    def read(since=None):
        with storage.session_scope(db_url) as s:
            return publish_versions(s, since)

    first = read()
    if not db_url.startswith("sqlite"):
        assert first["tokens"] is None and read(first) == first
        return
    assert sorted(first["tokens"]["kpis"]) == [1, 2, 3, 4] and list(first["tokens"]["documents"]) == [1]
    previous = json.loads(json.dumps(first))  # as a manifest keeps it: its keys text
    columns = [c.name for c in m.Observation.__table__.columns]
    writes = [
        update(m.Kpi).where(m.Kpi.id == 2).values(name="改めた名前"),
        update(m.Observation).where(m.Observation.id == select(func.min(m.Observation.id)).scalar_subquery())
        .values(value=m.Observation.value + 0.5),
        delete(m.Rating).where(m.Rating.id == select(func.max(m.Rating.id)).scalar_subquery()),
        update(m.Kpi).where(m.Kpi.id == 4).values(unit="団体"),
        update(m.Target).where(m.Target.id == select(func.min(m.Target.id)).where(m.Target.kpi_id == 1)
                               .scalar_subquery()).values(kpi_id=3),
        text("UPDATE kpis SET direction = 'down' WHERE id = 1"),
        # a REPLACE deletes the row it replaces without a delete trigger: the row's KPI is marked before
        text(f"INSERT OR REPLACE INTO observations ({', '.join(columns)}) SELECT "
             f"{', '.join('2' if c == 'kpi_id' else c for c in columns)} FROM observations WHERE id = "
             "(SELECT min(id) FROM observations WHERE kpi_id <> 2)"),
        text("UPDATE OR REPLACE observations SET id = (SELECT min(id) FROM observations WHERE kpi_id = 2) "
             "WHERE id = (SELECT max(id) FROM observations WHERE kpi_id NOT IN (2, 3))"),
        delete(m.Kpi).where(m.Kpi.id == 3),
        delete(m.Document),
    ]
    for write in writes:
        with storage.session_scope(db_url, write=True) as s:
            s.execute(write)
        whole, picked = read(), read(previous)
        assert {k: v for k, v in picked.items()} == whole, str(write)
        changed = {k for k in whole["kpis"].keys() | previous["kpis"].keys()
                   if whole["kpis"].get(k) != previous["kpis"].get(str(k))}
        assert changed, str(write)
        previous = json.loads(json.dumps(picked))
    assert 3 not in whole["kpis"] and whole["documents"] == {}
    # sqlite3 itself, not mieruka: the triggers are the database's
    import sqlite3

    from sqlalchemy.engine import make_url

    with sqlite3.connect(make_url(db_url).database) as raw:
        raw.execute("UPDATE kpis SET name = name || '（外）' WHERE id = 1")
    picked = read(previous)
    assert picked == read() and picked["kpis"][1] != previous["kpis"]["1"]
    # another database's read (its tokens are its own: every KPI's differs) or a read cut short is not used
    assert read({**previous, "tokens": {"kpis": {"1": "x"}, "documents": {}}}) == read()
    assert read({"kpis": {}, "tokens": previous["tokens"]}) == read()
    # a digest for a KPI its tokens do not name (a manifest edited by hand) is not kept: all is read again
    assert 777 not in read({**previous, "kpis": {**previous["kpis"], "777": "phantom"}})["kpis"]


def test_pages_made_ahead_by_a_copy_of_the_process_are_those_the_crawl_makes(tmp_path, monkeypatch):
    """After a change, the pages that show every KPI and are to be made again (publish.ahead.HEAVY: the all-KPI
    downloads, the overview) and then the data package's tables are made by a forked copy of the publishing process
    while the crawl makes the rest: the site is the one the crawl makes alone, and the crawl asks the application
    for none of those pages. A copy that fails leaves them to the crawl; a run with nothing changed forks nothing."""
    import shutil

    from starlette.testclient import TestClient

    from mieruka.publish import ahead as ahead_module
    from mieruka.publish.ahead import HEAVY

    url = f"sqlite:///{tmp_path / 'web.db'}"
    webdata.build(url)
    out = tmp_path / "public"
    _publish(url, out)
    with storage.session_scope(url, write=True) as s:
        s.execute(update(m.Kpi).where(m.Kpi.id == 1).values(name="窓口業務のアウトソーシング（改）"))
    for copy in ("ahead", "alone", "failed"):
        shutil.copytree(out, tmp_path / copy)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    forked, asked = [], []
    real_fork, real_get = ahead_module.Ahead.__init__, TestClient.get
    monkeypatch.setattr(ahead_module.Ahead, "__init__",
                        lambda self, app, urls, *rest, **kw: forked.append(sorted(urls))
                        or real_fork(self, app, urls, *rest, **kw))
    monkeypatch.setattr(TestClient, "get", lambda self, u, **kw: asked.append(u) or real_get(self, u, **kw))
    at = datetime(2026, 4, 2, tzinfo=timezone.utc)
    reads = []  # the data package's tables read by this process (the copy's reads are the copy's)
    ahead = _publish(url, tmp_path / "ahead", at=at, ahead=True, reads=reads)
    heavy = sorted(_key(u) for u in HEAVY)
    assert forked == [heavy] and not set(HEAVY) & set(asked) and ahead.broken == [] and reads == []
    alone = _publish(url, tmp_path / "alone", at=at, reads=reads)
    assert reads == [("tables of", [1], "the audit kept")]
    assert set(HEAVY) <= set(asked)
    assert _same_site(tmp_path / "ahead", tmp_path / "alone") == [] and ahead.rendered == alone.rendered
    pages = [json.loads((tmp_path / f / MANIFEST).read_text(encoding="utf-8"))["pages"] for f in ("ahead", "alone")]
    assert pages[0] == pages[1]
    # a copy that ends without a word: the crawl makes its pages
    monkeypatch.setattr(ahead_module, "_work", lambda *args: os._exit(3))
    failed = _publish(url, tmp_path / "failed", at=at, ahead=True, reads=reads)
    assert len(forked) == 2 and _same_site(tmp_path / "failed", tmp_path / "alone") == [] and failed.broken == []
    assert reads[1:] == [("tables of", [1], "the audit kept")]  # made here after all
    # nothing changed since: nothing to make, nothing forked
    again = _publish(url, tmp_path / "ahead", at=at, ahead=True)
    assert len(forked) == 2 and again.rendered == 0 and (again.unchanged, again.written) == (again.files, 0)
