"""Bad input: a clear message naming the file and reason, a non-zero exit, and the database as it was."""
import os
import random

from sqlalchemy import func, select
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import app
from mieruka.cli import ingest as _ingest  # noqa: F401  (registers the commands)
from mieruka.ingest.loader import ingest_paths
from mieruka.storage import models as m


def _counts(url):
    with storage.session_scope(url) as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t))
                for t in (m.Document, m.Kpi, m.Target, m.Observation, m.Rating, m.Measure, m.AdvancedCase)}


def _bad_files(tmp_path):
    files = {}
    files["empty.txt"] = b""
    files["binary.txt"] = bytes(range(256)) * 64
    files["truncated.pdf"] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pa"
    files["notes.txt"] = "今日の会議メモ\n出席者:三名\n次回は来週\n".encode("utf-8")
    files["broken.xlsx"] = b"PK\x03\x04" + b"\x00garbage" * 100
    rng = random.Random(7)
    files["noise.txt"] = rng.randbytes(50_000_000)
    paths = {}
    for name, data in files.items():
        p = tmp_path / name
        p.write_bytes(data)
        paths[name] = p
    return paths


EXPECTED_REASONS = {
    "empty.txt": "the file is empty",
    "binary.txt": "binary data, not text",
    "truncated.pdf": "not a readable PDF",
    "notes.txt": "not a document of a known family",
    "broken.xlsx": "not a readable XLSX workbook",
    "noise.txt": "binary data, not text",
}


def test_each_bad_file_is_reported_and_nothing_is_stored(tmp_path, db_url):
    storage.upgrade(db_url)
    before = _counts(db_url)
    paths = _bad_files(tmp_path)
    reports = {os.path.basename(r.file): r for r in ingest_paths(list(paths.values()), db_url)}
    for name, reason in EXPECTED_REASONS.items():
        assert reports[name].status == "error", name
        assert reason in reports[name].error, (name, reports[name].error)
    assert _counts(db_url) == before


def test_missing_file_is_an_error(tmp_path, sqlite_url):
    [report] = ingest_paths([tmp_path / "nowhere.txt"], sqlite_url)
    assert report.status == "error" and "cannot open" in report.error


def test_cli_exits_non_zero_names_file_and_still_loads_good_files(tmp_path, sqlite_url, seed_file):
    good = seed_file("004")
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    result = CliRunner().invoke(app, ["ingest", str(bad), str(good), "--db", sqlite_url, "--format", "json"])
    assert result.exit_code == 1
    assert f"{bad}: the file is empty" in result.output.replace("\n", "")
    counts = _counts(sqlite_url)
    assert counts["documents"] == 1 and counts["advanced_cases"] > 0


def test_reingesting_the_same_file_changes_nothing(sqlite_url, seed_file):
    seed = seed_file("000")
    [first] = ingest_paths([seed], sqlite_url)
    assert first.status == "loaded"
    before = _counts(sqlite_url)
    [again] = ingest_paths([seed], sqlite_url)
    assert again.status == "unchanged" and again.document_id == first.document_id
    assert _counts(sqlite_url) == before


def test_raw_bytes_are_kept(sqlite_url, seed_file):
    seed = seed_file("002")
    ingest_paths([seed], sqlite_url)
    with storage.session_scope(sqlite_url) as s:
        doc = s.scalars(select(m.Document)).one()
        assert doc.raw == seed.read_bytes()
        assert doc.family == "policy-evaluation"
