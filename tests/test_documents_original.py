"""Nothing a user gave us is out of their reach: every document's bytes, exactly as ingested, come back from the
document page and from `mieruka documents --save`."""
import hashlib

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import load_commands
from mieruka.web import create_app

# A CP932 file: what comes back must be these bytes, not the UTF-8 text mieruka read from them.
CP932 = ("重要課題:地方交付税をはじめとした地方の財政に係る制度の改革\n\n改革項目: 公共サービスの広域化\n\nKPIの状況\n\n"
         "KPI\t目標値 (達成時期)\tKPIの進捗\t\t\n\t\t実績値 (時点)\t区分\t次回の把握時期と今後の方針\n"
         "第一階層\t「連携中枢都市圏」の形成数\t2020年度までに30圏域\t23圏域 (2017年10月1日現在)\tA\t2018年度の実績は2018年10月に把握\n"
         ).encode("cp932")


def _loaded(tmp_path):
    src = tmp_path / "連携中枢.txt"
    src.write_bytes(CP932)
    db = str(tmp_path / "orig.db")
    result = CliRunner().invoke(load_commands(), ["ingest", str(src), "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    return db


def test_the_original_bytes_come_back_from_the_page_and_the_cli(tmp_path):
    db = _loaded(tmp_path)
    client = TestClient(create_app(db))
    page = client.get("/documents/1")
    assert 'href="/documents/1/original"' in page.text and f"{len(CP932):,}バイト" in page.text
    got = client.get("/documents/1/original")
    assert got.status_code == 200 and got.content == CP932
    assert got.headers["content-disposition"] == "attachment; filename*=UTF-8''%E9%80%A3%E6%90%BA%E4%B8%AD%E6%9E%A2.txt"
    assert client.get("/documents/9/original").status_code == 404

    out = tmp_path / "saved"
    saved = CliRunner().invoke(load_commands(), ["documents", "--db", db, "--save", str(out), "--format", "json"])
    assert saved.exit_code == 0, saved.output
    written = out / "0001_連携中枢.txt"
    assert written.read_bytes() == CP932
    assert hashlib.sha256(written.read_bytes()).hexdigest() == hashlib.sha256(CP932).hexdigest()
    storage.dispose_engines()
