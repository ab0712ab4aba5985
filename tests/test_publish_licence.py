"""Each source document records the terms it may be reused under (records.licence): the terms it prints, with the line,
else the declared default saying so; the document page and /api/documents show them; migration 0012 gives documents
stored before the default and goes down again."""
from __future__ import annotations

from sqlalchemy import select
from starlette.testclient import TestClient

from mieruka import storage
from mieruka.records.licence import licence_of
from mieruka.loading.documents import ingest_file, ingest_paths
from mieruka.storage import models as m
from mieruka.web.app import create_app

PROGRESS = """重要課題:地方の行財政改革
改革項目: ①窓口業務の改革

KPIの状況

KPI\t\t目標値 (達成時期)\tKPIの進捗\t\t
\t\t\t実績値 (時点)\t区分\t次回の把握時期と今後の方針
第一階層\t窓口業務を委託する団体数\t2020年度までに416団体\t200団体 (2017年4月速報値)\tA\t2018年3月頃に公表。
"""


def test_printed_terms_are_recorded_with_their_line():
    text = "表題\n本資料は政府標準利用規約(第2.0版)に準拠して利用できます。\n"
    record = licence_of(text, "表題", "a.txt", issuer="総務省")
    assert record["basis"] == "printed" and record["terms"] == "政府標準利用規約（第2.0版）"
    assert record["name"] == "CC-BY-4.0" and record["stated_by"].startswith("a.txt 2行: 本資料は政府標準利用規約")
    assert record["attribution"] == "出典: 「表題」（総務省）をもとに mieruka が読み取り、加工して作成"
    old = licence_of("政府標準利用規約（第1.0版）による", None, "b.txt")
    assert (old["name"], old["path"], old["basis"]) == ("other-attribution", None, "printed")
    assert licence_of("CC BY 4.0", None, "c.txt")["terms_en"] == "Creative Commons Attribution 4.0 International"


def test_a_document_without_terms_gets_the_default_saying_so(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.db'}"
    doc = tmp_path / "progress.txt"
    doc.write_text(PROGRESS, encoding="utf-8")
    ingest_paths([doc], url)
    with storage.session_scope(url) as s:
        record = s.scalar(select(m.Document.licence))
    assert record["basis"] == "default" and record["terms"] == "政府標準利用規約（第2.0版）"
    assert "文書に利用条件の記載なし" in record["stated_by"] and record["origin"] is None
    assert record["attribution"] == "出典: 「改革工程表の進捗状況（地方の行財政改革 ①）」をもとに mieruka が読み取り、加工して作成"
    with TestClient(create_app(url), base_url="http://localhost") as client:
        page = client.get("/documents/1").text
        assert "利用条件" in page and "文書に記載がないため既定値" in page and 'rel="license"' in page
        english = client.get("/documents/1?lang=en").text
        assert "Government of Japan Standard Terms of Use (Version 2.0)" in english and "the document prints none" in english
        item = client.get("/api/documents").json()["items"][0]
        assert item["licence"]["basis"] == "default" and item["licence"]["name"] == "CC-BY-4.0"


def test_migration_0012_gives_stored_documents_the_default_and_goes_down(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    doc = tmp_path / "progress.txt"
    doc.write_text(PROGRESS, encoding="utf-8")
    storage.upgrade(url)
    ingest_file(doc, url)
    storage.downgrade(url, "0011")
    assert storage.current_revision(url) == "0011"
    storage.upgrade(url)
    with storage.session_scope(url) as s:
        record = s.scalar(select(m.Document.licence))
    assert record["basis"] == "default" and "not recorded at ingest" in record["stated_by"]
    assert record["attribution"] == "出典: 「改革工程表の進捗状況（地方の行財政改革 ①）」をもとに mieruka が読み取り、加工して作成"


def test_ingest_records_where_documents_were_taken_from(tmp_path):
    """mieruka ingest --origin: a folder URL is followed by each file's name; the data package's source points there;
    an origin that is not an http(s) address, or a file's URL given for several files, is refused, nothing stored."""
    import json
    from datetime import date

    from typer.testing import CliRunner

    from mieruka.cli import load_commands
    from mieruka.export.workbook import database_tables
    from mieruka.publish.site import publish_site
    from mieruka.storage.queries import document_rows

    url = f"sqlite:///{tmp_path / 'o.db'}"
    storage.ensure_schema(url)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "progress.txt").write_text(PROGRESS, encoding="utf-8")
    (folder / "other.txt").write_text(PROGRESS.replace("416", "417"), encoding="utf-8")
    cli = load_commands()
    for origin, wanted in (("ftp://example.go.jp/a.txt", "http:// か https://"),
                           ("https://example.go.jp/a b", "no spaces"),
                           ("https://example.go.jp/progress.txt", "ending in /")):
        refused = CliRunner().invoke(cli, ["ingest", str(folder), "--origin", origin, "--db", url])
        assert refused.exit_code == 2 and wanted in refused.output and "Traceback" not in refused.output, origin
    with storage.session_scope(url) as s:
        assert s.scalar(select(m.Document.id)) is None
    done = CliRunner().invoke(cli, ["ingest", str(folder), "--origin", "https://www.soumu.go.jp/main_content/",
                                    "--db", url])
    assert done.exit_code == 0, done.output
    with storage.session_scope(url) as s:
        origins = {d["file_name"]: d["licence"]["origin"] for d in document_rows(s)}
        tables = database_tables(s, date(2019, 3, 31), "ja")
        documents = document_rows(s)
    assert origins == {"other.txt": "https://www.soumu.go.jp/main_content/other.txt",
                       "progress.txt": "https://www.soumu.go.jp/main_content/progress.txt"}
    assert {r["origin"] for r in tables["documents"]} == set(origins.values())
    out = tmp_path / "site"
    publish_site(create_app(url), out, tables=tables, documents=documents, pdf=False, exclude=("/local",))
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert {s["file_name"]: s["path"] for s in package["sources"]} == origins
    storage.dispose_engines()
