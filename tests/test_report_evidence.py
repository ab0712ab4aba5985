"""Evidence files on a report through HTTP: kept raw with their sha256, typed from the bytes, never served inline
as HTML, bounded in size before the body is read whole, seen only by the report's editors, the secretariat and the
administrator, each upload and removal in the report's history and the security log, CSRF on every form."""
from __future__ import annotations

import hashlib
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cycle_staff import signed_in, staffed
from mieruka import storage
from mieruka.storage.cycle_models import ReportVersion, SecurityEvent
from mieruka.storage.report_extra_models import ReportEvidence
from mieruka.web import create_app
from mieruka.workflow import evidence

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def site(sqlite_url):
    app = create_app(staffed(sqlite_url, ("sec", "rep", "mof", "root")))
    sec = signed_in(app, "sec")
    assert sec.post("/rounds", data={"csrf_token": sec.csrf, "name": "2019年度 進捗報告", "as_of": "2019-03-31",
                                     "deadline": "2019-05-31"}).status_code == 200
    return app, sqlite_url


def upload(client, name: str, raw: bytes, report: int = 1, token: str | None = None, lang: str = ""):
    return client.post(f"/reports/{report}/evidence{lang}", data={"csrf_token": token or client.csrf},
                       files={"file": (name, raw, "text/html")}, follow_redirects=False)


def stored(url):
    with storage.session_scope(url) as s:
        return [(e.id, e.report_id, e.file_name, e.content_type, e.size_bytes, e.sha256, e.raw, e.uploaded_by)
                for e in s.scalars(select(ReportEvidence).order_by(ReportEvidence.id))]


def test_a_script_named_html_file_is_kept_raw_and_only_ever_downloaded(site):
    app, url = site
    rep = signed_in(app, "rep")
    answer = upload(rep, "<script>.html", HTML)
    assert answer.status_code == 303 and answer.headers["location"] == "/reports/1?evidence=added"
    [(eid, report, name, kind, size, digest, raw, by)] = stored(url)
    assert (report, name, kind, size, digest, raw, by) == (1, "<script>.html", "text/html", len(HTML),
                                                            hashlib.sha256(HTML).hexdigest(), HTML, "rep")
    got = rep.get(f"/reports/1/evidence/{eid}")
    assert got.status_code == 200 and got.content == HTML
    assert got.headers["content-type"] == "application/octet-stream"  # never text/html
    assert got.headers["content-disposition"].startswith('attachment; filename="_script_.html"; ')
    assert "filename*=UTF-8''%3Cscript%3E.html" in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"
    page = rep.get("/reports/1").text
    assert "&lt;script&gt;.html" in page and "<script>.html" not in page  # the name is inert on the page


def test_the_type_is_read_from_the_bytes_not_the_name(site):
    app, url = site
    rep = signed_in(app, "rep")
    assert upload(rep, "根拠.pdf", PDF).status_code == 303
    assert upload(rep, "picture.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20).status_code == 303
    assert upload(rep, "表.csv", "年度,件数\n2018,330\n".encode("cp932")).status_code == 303
    assert upload(rep, "image.svg", b'<?xml version="1.0"?><svg onload="alert(1)"/>').status_code == 303
    kinds = [(name, kind) for _, _, name, kind, *_ in stored(url)]
    assert kinds == [("根拠.pdf", "application/pdf"), ("picture.png", "image/png"), ("表.csv", "text/plain"),
                     ("image.svg", "text/html")]
    served = [rep.get(f"/reports/1/evidence/{i}").headers["content-type"] for i in (1, 2, 3, 4)]
    assert served == ["application/pdf", "image/png", "text/plain; charset=utf-8", "application/octet-stream"]
    assert evidence.clean_name("../../etc/passwd") == "passwd" and evidence.clean_name("a\x00b\u202e.txt") == "ab.txt"


def test_an_over_size_file_is_refused_before_it_is_read_whole(site, monkeypatch):
    app, url = site
    monkeypatch.setenv("MIERUKA_EVIDENCE_MAX_BYTES", str(1000))
    rep = signed_in(app, "rep")
    big = upload(rep, "big.pdf", PDF + b"x" * 200_000)
    # the declared length is too much: refused before reading, naming the field and the limit
    assert big.status_code == 413 and "ファイル（file）が大きすぎます。アップロードできるのは0.000953674 MBまでです。" in big.text
    assert stored(url) == []
    # within the body's slack but over the file limit: refused by the rule, naming the file, in the page's language
    near = upload(rep, "near.pdf", PDF + b"x" * 2000, lang="?lang=en")
    assert near.status_code == 413 and "near.pdf: The file is too large (at most 0.000953674 MB)." in near.text
    assert stored(url) == []
    empty = upload(rep, "empty.txt", b"")
    assert empty.status_code == 422 and "empty.txt: 空のファイルは添付できません。" in empty.text


def test_a_forged_csrf_token_writes_nothing(site):
    app, url = site
    rep = signed_in(app, "rep")
    assert upload(rep, "根拠.pdf", PDF, token="forged").status_code == 403
    assert stored(url) == []
    assert upload(rep, "根拠.pdf", PDF).status_code == 303
    assert rep.post("/reports/1/evidence/1/remove", data={"csrf_token": "forged"}).status_code == 403
    assert len(stored(url)) == 1


def test_only_the_reports_editors_the_secretariat_and_the_admin_see_a_file(site):
    app, url = site
    rep = signed_in(app, "rep")
    assert upload(rep, "根拠.pdf", PDF).status_code == 303
    mof = signed_in(app, "mof")
    assert mof.get("/reports/1/evidence/1").status_code == 403
    assert upload(mof, "mine.pdf", PDF + b"1").status_code == 403  # another organisation's reporter
    assert mof.post("/reports/1/evidence/1/remove", data={"csrf_token": mof.csrf}).status_code == 403
    assert TestClient(app).get("/reports/1/evidence/1").status_code == 404  # anonymous: nothing to see here
    anonymous = TestClient(app).post("/reports/1/evidence", data={"csrf_token": "x"},
                                     files={"file": ("a.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/signin?next=")
    for login in ("sec", "root"):
        assert signed_in(app, login).get("/reports/1/evidence/1").content == PDF
    assert rep.get("/reports/1/evidence/99").status_code == 404
    past = "9223372036854775808"  # past SQLite's and PostgreSQL's integers: refused before any query
    assert TestClient(app).get(f"/reports/{past}/evidence/1").status_code == 422
    assert rep.get(f"/reports/1/evidence/{past}").status_code == 422
    assert [r[0] for r in stored(url)] == [1]


def test_upload_and_removal_are_in_the_history_and_the_security_log(site):
    app, url = site
    rep = signed_in(app, "rep")
    assert upload(rep, "根拠.pdf", PDF).status_code == 303
    again = upload(rep, "同じ.pdf", PDF)  # the same bytes: kept once, nothing new recorded
    assert again.headers["location"] == "/reports/1?evidence=same" and len(stored(url)) == 1
    sec = signed_in(app, "sec")
    assert sec.post("/reports/1/evidence/1/remove", data={"csrf_token": sec.csrf},
                    follow_redirects=False).headers["location"] == "/reports/1?evidence=removed"
    assert stored(url) == []
    # removing it again, or a file that never was: 404, named, nothing recorded
    for lang, text in (("", "証拠資料 1 はこの報告にありません。"), ("?lang=en", "This report has no evidence file 1.")):
        gone = sec.post(f"/reports/1/evidence/1/remove{lang}", data={"csrf_token": sec.csrf}, follow_redirects=False)
        assert gone.status_code == 404 and text in gone.text
    never = rep.post("/reports/1/evidence/77/remove", data={"csrf_token": rep.csrf}, follow_redirects=False)
    assert never.status_code == 404 and "証拠資料 77 はこの報告にありません。" in never.text
    label = f"根拠.pdf ({len(PDF)} B, sha256 {hashlib.sha256(PDF).hexdigest()[:12]})"
    with storage.session_scope(url) as s:
        steps = [(v.actor, v.action, v.changes, v.version) for v in s.scalars(
            select(ReportVersion).where(ReportVersion.report_id == 1).order_by(ReportVersion.id))]
        assert steps[1:] == [("rep", "attach", {"evidence": [None, label]}, 1),
                             ("sec", "detach", {"evidence": [label, None]}, 1)]
        log = [(e.event, e.actor, e.subject, e.details["file"], e.details["sha256"][:12]) for e in s.scalars(
            select(SecurityEvent).where(SecurityEvent.event.like("evidence%")).order_by(SecurityEvent.id))]
        assert log == [("evidence_add", "rep", "report 1", "根拠.pdf", hashlib.sha256(PDF).hexdigest()[:12]),
                       ("evidence_remove", "sec", "report 1", "根拠.pdf", hashlib.sha256(PDF).hexdigest()[:12])]
    history = sec.get("/kpis/1/history").text
    assert "証拠資料の添付" in history and "証拠資料の削除" in history and "証拠資料: — → 根拠.pdf" in history


def test_a_submitted_report_takes_no_file_from_its_reporter(site):
    app, url = site
    rep = signed_in(app, "rep")
    assert rep.post("/reports/1", data={"csrf_token": rep.csrf, "version": "1", "value": "330", "as_of": "2018-04-01",
                                        "action": "submit"}).status_code == 200
    refused = upload(rep, "late.pdf", PDF)
    assert refused.status_code == 409 and "この報告は「提出済み」のため編集できません。" in refused.text
    assert stored(url) == []
    assert upload(signed_in(app, "sec"), "review.pdf", PDF).status_code == 303  # the secretariat still may


def test_a_body_without_a_length_is_read_only_up_to_the_limit():
    """A chunked upload declares no length: reading stops at the first chunk past the limit, not at the end."""
    import asyncio
    import concurrent.futures

    from fastapi import HTTPException
    from starlette.requests import Request

    from mieruka.web.routers.cycle import _bounded_form

    asked = []

    async def receive():
        asked.append(1)
        return {"type": "http.request", "body": b"x" * 65536, "more_body": len(asked) < 1000}

    scope = {"type": "http", "method": "POST", "path": "/reports/1/evidence", "query_string": b"",
             "headers": [(b"content-type", b"multipart/form-data; boundary=zz")]}
    # a thread of its own: an earlier test's event loop (Playwright's) may still run in this one
    with pytest.raises(HTTPException) as refused, concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _bounded_form(Request(scope, receive), 10 * 65536)).result()
    assert refused.value.status_code == 413 and len(asked) == 11  # 11 of the 1,000 chunks (65.5 MB) were read


def test_the_shell_attaches_lists_and_removes_as_the_account_named(tmp_path, monkeypatch):
    import json

    from typer.testing import CliRunner

    from mieruka.cli import load_commands

    db = str(tmp_path / "cli.db")
    url = f"sqlite:///{db}"
    staffed(url, opened=True)
    page = tmp_path / "<script>.html"
    page.write_bytes(HTML)
    cli, runner = load_commands(), CliRunner()

    def run(*args):
        return runner.invoke(cli, [*args, "--db", db])

    done = run("report", "attach", "1", str(page), "--as", "rep")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip() == (f"attached: evidence 1 <script>.html (text/html, {len(HTML)} bytes, "
                                   f"sha256 {hashlib.sha256(HTML).hexdigest()})")
    other = run("report", "attach", "1", str(page), "--as", "mof")
    assert other.exit_code == 1 and "report 1: You may not edit this report." in other.stderr
    assert run("report", "evidence", "1", "--as", "mof").exit_code == 1
    listed = json.loads(run("report", "evidence", "1", "--as", "sec", "--format", "json").stdout)
    assert [(x["id"], x["file_name"], x["uploaded_by"]) for x in listed] == [(1, "<script>.html", "rep")]
    monkeypatch.setenv("MIERUKA_EVIDENCE_MAX_BYTES", "10")
    big = run("report", "attach", "1", str(page), "--as", "rep")
    assert big.exit_code == 1 and f"{len(HTML):,} bytes, more than the limit of 10" in big.stderr
    # an id past the databases' integers: the usage error naming the argument, not a traceback
    for args in (("attach", "99999999999999999999", str(page)), ("evidence", "2147483648"),
                 ("detach", "1", "99999999999999999999"), ("detach", "0", "1")):
        past = run("report", *args, "--as", "sec")
        said = " ".join(re.sub(r"[│╭╮╰╯─]", " ", past.stderr).split())
        assert past.exit_code == 2 and re.search(r"Invalid value for '(report|evidence)_id': Input should be "
                                                 r"(less than or equal to 2147483647|greater than or equal to 1)",
                                                 said), (args, said)
        assert past.exception is None or isinstance(past.exception, SystemExit)
    gone = run("report", "detach", "1", "1", "--as", "sec")
    assert gone.exit_code == 0 and gone.stdout.startswith("removed evidence 1 <script>.html")
    assert stored(url) == []
    with storage.session_scope(url) as s:
        assert [(v.actor, v.via, v.action) for v in s.scalars(
            select(ReportVersion).where(ReportVersion.report_id == 1).order_by(ReportVersion.id))][1:] == [
            ("rep", "cli", "attach"), ("sec", "cli", "detach")]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_malformed_upload_is_refused_naming_the_field_in_the_pages_language(site, lang):
    """Not a multipart form, a broken one, two files: each a 400 saying what is wrong with the file field, in the
    page's language (the evidence, report workbook and survey workbook uploads read their form the same way), nothing
    stored."""
    app, url = site
    rep = signed_in(app, "rep")
    q = "?lang=en" if lang == "en" else ""
    said = {
        "ja": ["ファイル（file）が送られていません。フォームからファイルを選んで送ってください（multipart/form-data）。",
               "送られたフォームを読み取れません。ファイル（file）を選び直して送ってください。",
               "ファイル（file）は1つだけ送ってください。"],
        "en": ["No file (field file) was sent: choose a file in the form and send it (multipart/form-data).",
               "The form sent could not be read: choose the file (field file) again and send it.",
               "Send one file (field file) only."]}[lang]
    for path in ("/reports/1/evidence", "/my/workbook", "/surveys/workbook"):
        plain = rep.post(path + q, data={"csrf_token": rep.csrf}, follow_redirects=False)
        broken = rep.post(path + q, content=b"--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n",
                          headers={"content-type": "multipart/form-data"}, follow_redirects=False)
        two = rep.post(path + q, data={"csrf_token": rep.csrf},
                       files=[("file", ("a.pdf", PDF, "application/pdf")), ("file", ("b.pdf", PDF, "application/pdf"))],
                       follow_redirects=False)
        for answer, text in zip((plain, broken, two), said):
            assert answer.status_code == 400 and text in answer.text, (path, answer.status_code, answer.text[-800:])
    assert stored(url) == []


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_multipart_body_cut_short_is_unreadable_not_a_csrf_error(site, lang):
    """A body that never closes its form (cut off mid-field, or empty) was parsed as a form without fields and refused
    as a wrong CSRF token; it is a 400 saying the form cannot be read. A whole form without the token is still a 403."""
    app, url = site
    rep = signed_in(app, "rep")
    q = "?lang=en" if lang == "en" else ""
    unreadable = {"ja": "送られたフォームを読み取れません。ファイル（file）を選び直して送ってください。",
                  "en": "The form sent could not be read: choose the file (field file) again and send it."}[lang]
    csrf = {"ja": "フォームの確認用トークンが正しくありません。", "en": "CSRF token is wrong"}[lang]
    header = {"content-type": "multipart/form-data; boundary=zz"}
    cut = [b"",
           b"--zz\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + rep.csrf.encode(),
           b"--zz\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + rep.csrf.encode() +
           b"\r\n--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n" + PDF[:8]]
    for path in ("/reports/1/evidence", "/my/workbook", "/surveys/workbook"):
        for body in cut:
            answer = rep.post(path + q, content=body, headers=header, follow_redirects=False)
            assert answer.status_code == 400 and unreadable in answer.text, (path, body[:40], answer.status_code)
            assert csrf not in answer.text
        whole = rep.post(path + q, content=b"--zz--\r\n", headers=header, follow_redirects=False)
        assert whole.status_code == 403 and csrf in whole.text, (path, whole.status_code)
    assert stored(url) == []
