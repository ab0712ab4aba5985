"""Bad input: a clear message naming the file and reason, a non-zero exit, and the database as it was."""
import os
import random

from sqlalchemy import func, select
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import app
from mieruka.cli import ingest as _ingest  # noqa: F401  (registers the commands)
from mieruka.loading.documents import ingest_paths
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
    assert f"{bad}: the file is empty" in result.output
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


def _memo_pdf(path, lines):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    c = canvas.Canvas(str(path))
    c.setFont("HeiseiKakuGo-W5", 10)
    for n, line in enumerate(lines):
        c.drawString(40, 800 - 20 * n, line)
    if not lines:
        c.rect(40, 700, 200, 50)  # a page with a drawing and no text, as a scan without OCR
    c.save()
    return path.read_bytes()


def _workbook(rows):
    import io

    from openpyxl import Workbook

    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


MEMO = ["今日の会議メモ", "出席者:三名", "次回は来週"]


def _every_bad_input(tmp_path, seed_file):
    """name -> (bytes, reason the report must give): each kind of file a user may hand us that we cannot read."""
    text_002 = seed_file("002").read_bytes()
    cut_utf8 = text_002.index("評価書".encode()) + 1  # inside the first byte sequence of 評
    deck_cp932 = seed_file("004").read_text(encoding="utf-8").encode("cp932")
    cut_cp932 = deck_cp932.index("内閣府".encode("cp932")) + 1
    memo = "\n".join(MEMO) + "\n"
    rng = random.Random(11)
    pdf = _memo_pdf(tmp_path / "memo-source.pdf", MEMO)
    return {
        "empty.txt": (b"", "the file is empty"),
        "binary.txt": (bytes(range(256)) * 64, "binary data, not text"),
        "noise-50MB.txt": (rng.randbytes(50_000_000), "binary data, not text"),
        "truncated-utf8.txt": (text_002[:cut_utf8], "the file looks truncated"),
        "truncated-cp932.txt": (deck_cp932[:cut_cp932], "read as CP932 it ends in the middle of a character"),
        "truncated-utf16.txt": (memo.encode("utf-16")[:-1], "broken UTF-16 text"),
        "memo-utf8.txt": (memo.encode("utf-8"), "not a document of a known family"),
        "memo-cp932.txt": (memo.encode("cp932"), "not a document of a known family"),
        "memo-utf16.txt": (memo.encode("utf-16"), "not a document of a known family"),
        "memo.pdf": (pdf, "not a document of a known family"),
        "truncated.pdf": (pdf[: len(pdf) // 2], "not a readable PDF"),
        "scan.pdf": (_memo_pdf(tmp_path / "scan-source.pdf", []), "the PDF has no text layer"),
        "memo.xlsx": (_workbook([[line] for line in MEMO]), "not a document of a known family"),
        "truncated.xlsx": (_workbook([[line] for line in MEMO])[:700], "not a readable XLSX workbook"),
        "empty.xlsx": (_workbook([]), "the workbook has no cells with values"),
    }


def _all_counts(url):
    with storage.session_scope(url) as s:
        # (the change tokens are SQLite's own bookkeeping, kept by triggers: PostgreSQL has none)
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in m.Base.metadata.sorted_tables
                if t.name not in ("alembic_version", "kpi_changes", "document_changes")}


def test_cli_names_each_bad_file_and_its_reason_keeps_the_database_and_loads_the_good_file(
        tmp_path, db_url, sqlite_url, seed_file):
    import json
    import re

    [first] = ingest_paths([seed_file("004")], db_url)
    assert first.status == "loaded"
    bad_dir = tmp_path / "in"
    bad_dir.mkdir()
    cases = _every_bad_input(tmp_path, seed_file)
    paths = []
    for name, (data, _) in cases.items():
        (bad_dir / name).write_bytes(data)
        paths.append(str(bad_dir / name))
    good = seed_file("002")
    result = CliRunner().invoke(app, ["ingest", *paths, str(good), "--db", db_url, "--format", "json"])
    assert result.exit_code == 1
    reports = {os.path.basename(r["file"]): r for r in json.loads(result.stdout)}
    assert reports[good.name]["status"] == "loaded"
    flat = re.sub(r"\s+", "", result.output)
    for name, (_, reason) in cases.items():
        r = reports[name]
        assert (r["status"], r["document_id"]) == ("error", None), name
        assert reason in r["error"], (name, r["error"])
        assert re.sub(r"\s+", "", f"error: {bad_dir / name}: {r['error']}") in flat, name
    assert f"{len(cases) + 1} file(s), 1 loaded, 0 unchanged, {len(cases)} failed" in " ".join(result.output.split())
    # what the database holds is exactly 004, then 002: the bad files left nothing behind
    ingest_paths([seed_file("004"), good], sqlite_url)
    assert _all_counts(db_url) == _all_counts(sqlite_url)


def test_a_document_the_database_refuses_is_rolled_back_and_the_run_goes_on(monkeypatch, sqlite_url, seed_file):
    from mieruka.storage import load

    real = load.store_extraction

    def refuse_policy_sheets(session, doc, ex, *args):
        written = real(session, doc, ex, *args)
        if ex.family == "policy-evaluation":  # after its rows are written, as a constraint failing at the end
            raise RuntimeError("value too long for column")
        return written

    monkeypatch.setattr(load, "store_extraction", refuse_policy_sheets)
    sheet, deck = seed_file("002"), seed_file("004")
    reports = ingest_paths([sheet, deck], sqlite_url)
    assert [(r.status, r.document_id) for r in reports] == [("error", None), ("loaded", 1)]
    assert reports[0].error == "could not be stored, nothing of it was kept (RuntimeError: value too long for column)"
    counts = _counts(sqlite_url)
    assert (counts["documents"], counts["kpis"], counts["targets"], counts["advanced_cases"]) == (1, 2, 2, 9)
