"""`mieruka export`: the whole database as one workbook (a sheet per table), JSON, or CSV files with a BOM."""
import json
from datetime import date

from openpyxl import load_workbook
from typer.testing import CliRunner

from mieruka.cli import app
from mieruka.cli import core as _core, export as _export  # noqa: F401  (two commands: a group, not a lone command)
from mieruka.loading.sample import load_sample


def _run(*args):
    return CliRunner().invoke(app, ["export", *map(str, args)])


def test_workbook_has_a_sheet_per_table_with_sources(tmp_path, sqlite_url):
    load_sample(sqlite_url)
    out = tmp_path / "mieruka.xlsx"
    result = _run(out, "--db", sqlite_url, "--as-of", "2018-06-01")
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["KPI一覧", "目標値", "実績値", "評価", "監査", "国の施策", "先進事例", "文書"]
    obs = list(wb["実績値"].iter_rows(values_only=True))
    header = obs[0]
    rows = [dict(zip(header, r)) for r in obs[1:]]
    outsourcing = [r for r in rows if r["kpi"] == "窓口業務のアウトソーシング"]
    assert {(r["value"], r["as_of"].date(), r["status"]) for r in outsourcing} == {(301, date(2017, 4, 1), "preliminary")}
    assert {r["document"][:3] for r in outsourcing} == {"000", "001"}
    measures = list(wb["国の施策"].iter_rows(values_only=True))
    assert len(measures) == 83  # header + 82 measures
    # a source is named by its document's title and date, its file in a column of its own
    first = dict(zip(measures[0], measures[1]))
    assert (first["source_document"], first["document"][:3]) == ("市町村の施策に関する国の施策一覧", "003")
    case_rows = list(wb["先進事例"].iter_rows(values_only=True))
    case = dict(zip(case_rows[0], case_rows[1]))
    assert (case["source_document"], case["source_date"].date(), case["document"][:3]) == (
        "公共サービスイノベーション・プラットフォーム in 東北", date(2017, 7, 7), "004")
    audit_kinds = {r[0] for r in list(wb["監査"].iter_rows(values_only=True))[1:]}
    assert {"rating_conflict", "value_conflict", "target_overdue"} <= audit_kinds


def test_json_and_csv_folder(tmp_path, sqlite_url):
    load_sample(sqlite_url)
    assert _run(tmp_path / "all.json", "--db", sqlite_url).exit_code == 0
    data = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    assert [m["no"] for m in data["measures"]] == list(range(1, 83))
    assert _run(tmp_path / "csv", "--db", sqlite_url).exit_code == 0
    raw = (tmp_path / "csv" / "cases.csv").read_bytes()
    assert raw.startswith("\ufeff".encode("utf-8"))
    assert "神奈川県海老名市" in raw.decode("utf-8-sig")


def test_bad_arguments_fail_clearly(tmp_path, sqlite_url):
    result = _run(tmp_path / "out.pdf", "--db", sqlite_url)
    assert result.exit_code == 1 and "give a .xlsx or .json file" in result.output
    result = _run(tmp_path / "out.xlsx", "--db", sqlite_url, "--as-of", "いつか")
    assert result.exit_code == 1 and "--as-of" in result.output
    assert not (tmp_path / "out.xlsx").exists()
