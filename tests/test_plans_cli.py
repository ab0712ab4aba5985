"""`mieruka plan …` end to end on a SQLite file holding the sample's measure catalogue: new, add, edit, actual, show,
export, list, and the bulk import of a spreadsheet of choices (one bad row: nothing written, every bad line named)."""
from __future__ import annotations

import io
import json

import plandata
import pytest
from docx import Document
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import load_commands
from mieruka.storage import plans as store


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "plans.db")
    plandata.build(path, tmp_path)
    yield path
    storage.dispose_engines()


def run(*args):
    return CliRunner().invoke(load_commands(), [str(a) for a in args])


def _add_all(db):
    assert run("plan", "new", "--body", "神奈川県海老名市", "--actor", "県 情報政策課", "--db", db).stdout == "1\n"
    for no, _, section, kpi, baseline, target, deadline, schedule in plandata.CHOICES:
        args = ["plan", "add", 1, "--measure", no, "--section", section, "--baseline", baseline, "--target", target,
                "--actor", "県 情報政策課", "--db", db]
        if kpi:
            args += ["--kpi", kpi]
        if deadline:
            args += ["--deadline", deadline]
        for line in schedule.splitlines():
            args += ["--schedule", line]
        out = run(*args)
        assert out.exit_code == 0, out.stderr


def test_new_add_show_export(db, tmp_path):
    _add_all(db)
    shown = run("plan", "show", 1, "--format", "json", "--db", db)
    plan = json.loads(shown.stdout)
    assert [m["measure_no"] for m in plan["measures"]] == [15, 12, 32, 3, 10]
    assert plan["measures"][2]["kpi"] == "コンビニ交付の交付通数の割合"
    assert plan["measures"][2]["schedule"] == [{"fiscal_year": 2024, "text": "交付手数料の見直し"},
                                               {"fiscal_year": 2025, "text": "周知の強化"}]
    csv_rows = run("plan", "show", 1, "--format", "csv", "--db", db).stdout.splitlines()
    assert csv_rows[0] == "id,measure_no,measure_code,measure_name,section,kpi,baseline,target,deadline,schedule,actuals,rating"
    assert csv_rows[3].startswith("3,32,05-06,コンビニ交付サービスの導入推進,市民課,コンビニ交付の交付通数の割合,2023年度 20%,2027年度 45%,"
                                  "2027年度（令和9年度）末,2024年度（令和6年度）: 交付手数料の見直し; 2025年度（令和7年度）: 周知の強化,,")
    out = run("plan", "export", 1, tmp_path / "ebina.docx", tmp_path / "ebina.xlsx", "--db", db)
    assert out.exit_code == 0
    assert out.stdout.splitlines()[0].startswith(f"{tmp_path / 'ebina.docx'}: 5 measure(s), ")
    doc = Document(str(tmp_path / "ebina.docx"))
    assert [r.cells[4].text for r in doc.tables[0].rows[1:]][2] == "コンビニ交付の交付通数の割合"
    ws = load_workbook(tmp_path / "ebina.xlsx").active
    assert [r[0] for r in ws.iter_rows(min_row=3, values_only=True)] == [15, 12, 32, 3, 10]
    assert run("plan", "export", 1, tmp_path / "x.pdf", "--db", db).exit_code == 1
    listed = run("plan", "list", "--format", "csv", "--db", db).stdout.splitlines()
    assert listed[1].startswith("1,142158,神奈川県海老名市,海老名市官民データ活用推進計画,5,municipal-sabc,県 情報政策課,")


def test_edit_and_actuals(db):
    _add_all(db)
    out = run("plan", "edit", 1, "--measure", 32, "--target", "2027年度 50%", "--actor", "市民課", "--db", db)
    assert out.stdout.splitlines() == ["target_text: 2027年度 45% → 2027年度 50%", "target_value: 45.0 → 50.0"]
    first = run("plan", "actual", 1, "--measure", 32, "--value", "2024年度 21%", "--actor", "市民課", "--db", db)
    assert first.stdout.startswith("B 基準値から±10%以内 — ")
    second = run("plan", "actual", 1, "--measure", 32, "--value", "2025年度 30%", "--actor", "市民課", "--db", db)
    assert second.stdout.startswith("A 基準値より改善（10%超） — ")
    bad = run("plan", "actual", 1, "--measure", 99, "--value", "30%", "--actor", "市民課", "--db", db)
    assert bad.exit_code == 1 and "施策番号: 国の施策一覧に「99」の施策はありません" in bad.stderr
    missing = run("plan", "actual", 1, "--measure", 1, "--value", "30%", "--actor", "市民課", "--db", db)
    assert missing.exit_code == 1 and "measure number: measure 1 is not in plan 1" in missing.stderr


def test_bad_add_changes_nothing(db):
    _add_all(db)
    out = run("plan", "add", 1, "--measure", 45, "--target", "すべて", "--actor", "x", "--db", db)
    assert out.exit_code == 1
    assert "目標値: 「すべて」から数値を読み取れません" in out.stderr and "target: cannot read a number from 'すべて'" in out.stderr
    with storage.session_scope(db) as s:
        assert len(store.plan(s, 1)["measures"]) == 5
    assert run("plan", "new", "--body", "府中市", "--actor", "x", "--db", db).exit_code == 1
    assert run("plan", "show", 9, "--db", db).stderr.strip() == "error: no plan 9 (see mieruka plan list)"


CHOICES_CSV = """団体コード,施策番号,担当課,KPI,基準値,目標値,目標年度,スケジュール
142158,15,情報政策課,オープンデータ公開数,2023年度 40件,2027年度までに 100件,,令和6年度: 公開;令和7年度: 拡充
142166,32,市民課,,2023年度 10%,2027年度 30%,,令和6年度: 周知
142166,46,情報政策課,クラウド移行数,2023年度 2システム,2026年度 12システム,,
"""


def test_bulk_import_from_csv_and_xlsx(db, tmp_path):
    f = tmp_path / "choices.csv"
    f.write_bytes(CHOICES_CSV.encode("cp932"))
    out = run("plan", "import", f, "--actor", "神奈川県", "--format", "csv", "--db", db)
    assert out.exit_code == 0, out.stderr
    assert out.stdout.splitlines() == ["body_code,plan_id,new_plan", "142158,1,true", "142166,2,true"]
    assert "2 plan(s), 2 new; 3 measure(s) added, 0 changed" in out.stderr
    with storage.session_scope(db) as s:
        zama = store.plan(s, 2)
        assert zama["title"] == "座間市官民データ活用推進計画"
        assert [m["measure_no"] for m in zama["measures"]] == [32, 46]
        assert store.plan(s, 1)["measures"][0]["schedule"] == [{"fiscal_year": 2024, "text": "公開"},
                                                               {"fiscal_year": 2025, "text": "拡充"}]
        assert store.changes(s, 2)[1]["via"] == "bulk"
    # the same choices as XLSX, one target changed: the measure is changed in place, logged old → new
    wb = Workbook()
    ws = wb.active
    ws.append(["神奈川県の選択（令和6年度）"])
    for line in CHOICES_CSV.splitlines():
        ws.append(line.split(","))
    ws.cell(row=3, column=6, value="2027年度までに 120件")
    x = tmp_path / "choices.xlsx"
    wb.save(x)
    again = run("plan", "import", x, "--actor", "神奈川県", "--db", db)
    assert again.exit_code == 0, again.stderr
    assert "2 plan(s), 0 new; 0 measure(s) added, 1 changed" in again.stderr
    with storage.session_scope(db) as s:
        assert store.plan(s, 1)["measures"][0]["target_value"] == 120.0


def test_bulk_import_with_bad_rows_writes_nothing(db, tmp_path):
    bad = CHOICES_CSV + "142158,99,,,,,,\n999999,3,,,,,,\n142158,3,,,,たくさん,,\n"
    f = tmp_path / "bad.csv"
    f.write_text(bad, encoding="utf-8")
    out = run("plan", "import", f, "--actor", "神奈川県", "--db", db)
    assert out.exit_code == 1
    assert out.stderr.splitlines()[1:] == [
        "bad.csv:5: 施策番号: 国の施策一覧に「99」の施策はありません",
        "bad.csv:6: 団体: 団体コード「999999」の団体はありません（6桁、例: 142158）",
        "bad.csv:7: 目標値: 「たくさん」から数値を読み取れません（例: 2023年度 45%、令和9年度までに100件）",
    ]
    with storage.session_scope(db) as s:
        assert store.plans(s) == []
    nohead = tmp_path / "nohead.csv"
    nohead.write_text("a,b\n1,2\n", encoding="utf-8")
    out = run("plan", "import", nohead, "--actor", "x", "--db", db)
    assert out.exit_code == 1 and "nohead.csv: no header row naming 施策番号 and 団体コード or 団体名" in out.stderr


def test_remove(db):
    _add_all(db)
    out = run("plan", "remove", 1, "--measure", 10, "--actor", "x", "--db", db)
    assert out.stdout == "measure 10 taken out of plan 1\n"
    run("plan", "actual", 1, "--measure", 32, "--value", "2024年度 21%", "--actor", "x", "--db", db)
    kept = run("plan", "remove", 1, "--measure", 32, "--actor", "x", "--db", db)
    assert kept.exit_code == 1 and "measure 32 has 1 actual(s) entered, so it stays in the plan" in kept.stderr
    with storage.session_scope(db) as s:
        assert [m["measure_no"] for m in store.plan(s, 1)["measures"]] == [15, 12, 32, 3]
