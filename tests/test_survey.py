"""Survey import: UTF-8 and CP932 CSV, XLSX, bad rows reported by line, whole-file errors that leave the database
unchanged, re-imports, attributes, the XLSX template, and the `mieruka survey` commands."""
from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import app
from mieruka.cli import municipalities as _commands  # noqa: F401  (registers the commands)
from mieruka.municipalities.importing import import_attributes, import_survey
from mieruka.municipalities.survey import SurveyError, read_survey, read_table, write_template
from mieruka.storage import local_bodies as store
from mieruka.storage import models as m

SURVEYS = Path(__file__).parent / "fixtures" / "surveys"
AS_OF = date(2017, 4, 1)

# What madoguchi_utf8.csv holds: (line, code, adopted, year, cost before, cost after, population).
GOOD_ROWS = [
    (2, "142158", True, 2016, 208_333_000.0, 158_333_000.0, 131_000),
    (3, "142123", False, None, 300_000_000.0, None, 224_000),
    (4, "132063", True, 2016, None, None, 260_000),
    (9, "232025", True, 2012, None, None, None),
    (12, "142166", False, None, 120_000_000.0, None, None),
]
BAD_LINES = {
    5: "府中市 is ambiguous: 東京都府中市 (132063), 広島県府中市 (342084); give the prefecture",
    6: "神奈川県海老名市 (142158) is already on line 2",
    7: "code 999999 has a wrong check digit (expected 999997)",
    10: "窓口委託: cannot read 'たぶん' as yes or no (write ○ or ×, 1 or 0, yes or no)",
    13: "導入後経費(千円): a cost cannot be negative (▲10)",
}


def _as_tuples(survey):
    return [(r.line, r.body.code, r.adopted, r.year_started, r.cost_before, r.cost_after, r.population)
            for r in survey.rows]


@pytest.mark.parametrize("file_name,encoding", [("madoguchi_utf8.csv", "utf-8"), ("madoguchi_cp932.csv", "cp932")])
def test_csv_in_either_encoding_gives_the_same_rows_and_line_errors(file_name, encoding):
    survey = read_survey((SURVEYS / file_name).read_bytes(), file_name, "窓口委託")
    assert survey.encoding == encoding
    assert _as_tuples(survey) == GOOD_ROWS
    errors = {e.line: e.message for e in survey.errors}
    assert {k: v for k, v in errors.items() if k != 8} == BAD_LINES
    assert errors[8].startswith("海老名区 is neither a prefecture nor one of the 1,741 municipalities")
    assert survey.unanswered == 1  # 五霞町 on line 11 answered nothing
    assert survey.columns["cost_before"] == "導入前経費(千円)"


def test_utf8_with_bom_and_tab_separated():
    text = "市区町村名\t都道府県\t導入\n海老名市\t神奈川県\t○\n"
    survey = read_survey(b"\xef\xbb\xbf" + text.encode(), "t.tsv", "窓口委託")
    assert survey.encoding == "utf-8-sig"
    assert _as_tuples(survey) == [(2, "142158", True, None, None, None, None)]


def _xlsx(rows: list[list], title_rows: int = 0) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for _ in range(title_rows):
        sheet.append(["令和元年度 窓口業務調査"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_with_a_title_row_numeric_codes_and_cell_units():
    raw = _xlsx([
        ["コード", "団体名", "自治体クラウド", "導入", "導入前経費(百万円)", "導入後経費(百万円)", "人口"],
        [142158, "海老名市", "○", "×", 208.3, "1.583億円", 131000],
        [11002, "札幌市", True, None, None, None, None],  # 011002 with its leading zero lost
        [12203, "", 1, None, None, None, None],  # 012203 or 12203 + check digit: both exist
        [13101, "", "×", None, None, None, None],  # 5-digit code of 千代田区
        [None, None, None, None, None, None, None],
        [None, "五霞町", "〇", None, 10, 8, 8700],
    ], title_rows=1)
    survey = read_survey(raw, "cloud.xlsx", "自治体クラウド")
    assert survey.encoding == "xlsx"
    assert survey.columns["adopted"] == "自治体クラウド"  # the initiative's own column, not 導入
    assert _as_tuples(survey) == [
        (3, "142158", True, None, 208_300_000.0, 158_300_000.0, 131_000),
        (4, "011002", True, None, None, None, None),
        (6, "131016", False, None, None, None, None),
        (8, "085421", True, None, 10_000_000.0, 8_000_000.0, 8_700),
    ]
    assert [(e.line, e.message) for e in survey.errors] == [
        (5, "code 12203 could be 千葉県市川市 (122033), 北海道士別市 (012203); write all 6 digits as text")]


def test_code_and_name_must_agree():
    survey = read_survey("団体コード,団体名,導入\n142158,厚木市,○\n142123,厚木市,○\n".encode(), "t.csv", "x")
    assert [r.body.name for r in survey.rows] == ["厚木市"]
    assert survey.errors[0].line == 2
    assert survey.errors[0].message == "code 142158 is 神奈川県海老名市 but the name says 厚木市 (神奈川県厚木市)"


@pytest.mark.parametrize("raw,file_name,message", [
    ("市区町村名,導入\n海老名市,○\n".encode("utf-16-le"), "u16.csv",
     "u16.csv: cannot read the text as UTF-8 or CP932"),
    ("人口,導入\n1,○\n".encode(), "nokey.csv",
     "nokey.csv: no code or name column in the first 10 rows (expected a header such as 団体コード or 市区町村名; "
     "the first row holds: 人口, 導入)"),
    ("団体コード,人口\n142158,131000\n".encode(), "noadopt.csv",
     "noadopt.csv: no adoption column for '窓口委託' in the header on line 1; expected a column named one of: "
     "窓口委託, adopted, 導入, 導入状況, 導入の有無"),
    ("団体コード,導入\n999999,○\n,\n".encode(), "nothing.csv",
     "nothing.csv: no valid row with an answer (0 unanswered; 1 rejected, first: line 2: "
     "code 999999 has a wrong check digit (expected 999997))"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls",
     "old.xls: this is an old Excel .xls file; save it as .xlsx or as CSV"),
])
def test_files_that_cannot_be_imported(raw, file_name, message):
    with pytest.raises(SurveyError) as info:
        read_survey(raw, file_name, "窓口委託")
    assert str(info.value).startswith(message)


def test_header_found_below_a_title_keeps_csv_line_numbers():
    table = read_table("調査結果\n\n団体コード,導入\n142158,○\n".encode(), "t.csv")
    assert table.header_line == 3
    assert table.rows == [(4, ["142158", "○"])]


# --- into the database ----------------------------------------------------------------------------

def _counts(url):
    with storage.session_scope(url) as s:
        return (s.scalar(select(func.count()).select_from(m.SurveyImport)),
                s.scalar(select(func.count()).select_from(m.SurveyResponse)))


def test_import_loads_valid_rows_keeps_the_raw_file_and_sets_populations(db_url):
    storage.upgrade(db_url)
    raw = (SURVEYS / "madoguchi_cp932.csv").read_bytes()
    with storage.session_scope(db_url) as s:
        result = import_survey(s, raw, "madoguchi_cp932.csv", "窓口委託", AS_OF)
    assert (result["status"], result["loaded"], result["rejected"], result["unanswered"]) == ("loaded", 5, 6, 1)
    assert [e["line"] for e in result["errors"]] == [5, 6, 7, 8, 10, 13]
    with storage.session_scope(db_url) as s:
        imp = s.get(m.SurveyImport, result["import_id"])
        assert imp.raw == raw and imp.initiative == "窓口委託" and imp.as_of == AS_OF
        assert imp.report["errors"][0]["line"] == 5
        responses = {r.body_code: (r.line, r.adopted, r.cost_before) for r in s.scalars(select(m.SurveyResponse))}
        assert responses == {"142158": (2, True, 208_333_000.0), "142123": (3, False, 300_000_000.0),
                             "132063": (4, True, None), "232025": (9, True, None), "142166": (12, False, 120_000_000.0)}
        ebina = s.get(m.LocalBody, "142158")
        assert (ebina.population, ebina.attributes["population_as_of"]) == (131_000, "2017-04-01")
        assert s.scalar(select(func.count()).select_from(m.LocalBody)) == 1788


def test_same_file_again_is_unchanged_and_a_new_file_for_the_same_date_replaces(db_url):
    storage.upgrade(db_url)
    first = (SURVEYS / "madoguchi_utf8.csv").read_bytes()
    with storage.session_scope(db_url) as s:
        one = import_survey(s, first, "a.csv", "窓口委託", AS_OF)
    with storage.session_scope(db_url) as s:
        again = import_survey(s, first, "a.csv", "窓口委託", AS_OF)
    assert again["status"] == "unchanged" and again["import_id"] == one["import_id"]
    with storage.session_scope(db_url) as s:
        newer = import_survey(s, "団体コード,導入\n142158,×\n".encode(), "b.csv", "窓口委託", AS_OF)
    assert newer["replaced"] == one["import_id"]
    assert _counts(db_url) == (1, 1)
    with storage.session_scope(db_url) as s:
        other_day = import_survey(s, first, "a.csv", "窓口委託", date(2018, 4, 1))
    assert other_day["replaced"] is None
    assert _counts(db_url) == (2, 6)


def test_a_failing_file_leaves_the_database_unchanged(db_url):
    storage.upgrade(db_url)
    with storage.session_scope(db_url) as s:
        import_survey(s, (SURVEYS / "madoguchi_utf8.csv").read_bytes(), "a.csv", "窓口委託", AS_OF)
    before = _counts(db_url)
    with pytest.raises(SurveyError):
        with storage.session_scope(db_url) as s:
            import_survey(s, "団体コード,導入\n999999,○\n".encode(), "bad.csv", "窓口委託", AS_OF)
    assert _counts(db_url) == before == (1, 5)


def test_attributes_derive_the_industry_class_and_report_bad_lines(db_url):
    storage.upgrade(db_url)
    with storage.session_scope(db_url) as s:
        result = import_attributes(s, (SURVEYS / "attributes.csv").read_bytes(), "attributes.csv", AS_OF)
    assert result["updated"] == 7
    assert [(e["line"], e["message"]) for e in result["errors"]] == [
        (9, "第2次・第3次産業就業者比率: a share must lie between 0 and 100 % (120)")]
    with storage.session_scope(db_url) as s:
        got = {b.code: (b.population, b.industry, (b.attributes or {}).get("city_class"))
               for b in s.scalars(select(m.LocalBody).where(m.LocalBody.population.is_not(None)))}
    assert got == {
        "142158": (131_000, "3", None), "142123": (224_000, "3", "施行時特例市"), "142166": (129_000, "3", None),
        "142182": (84_000, "2", None), "232025": (386_000, "2", "中核市"), "085421": (8_700, "1", None),
        "313726": (14_800, "0", None),
    }


def test_template_lists_every_municipality_and_imports_once_filled(tmp_path, db_url):
    path = tmp_path / "template.xlsx"
    write_template(path, "窓口委託")
    book = openpyxl.load_workbook(path)
    sheet = book["調査票"]
    assert [c.value for c in sheet[1]] == ["団体コード", "都道府県", "市区町村名", "導入", "開始年度",
                                         "導入前経費(円)", "導入後経費(円)", "人口"]
    assert sheet.max_row == 1742
    assert [c.value for c in sheet[2]][:3] == ["011002", "北海道", "札幌市"]
    with pytest.raises(SurveyError, match="no valid row with an answer \\(1741 unanswered\\)"):
        read_survey(path.read_bytes(), "template.xlsx", "窓口委託")
    sheet["D2"], sheet["E2"], sheet["H2"] = "○", "令和元年度", 1_960_000
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    storage.upgrade(db_url)
    with storage.session_scope(db_url) as s:
        result = import_survey(s, filled.read_bytes(), "filled.xlsx", "窓口委託", AS_OF)
        assert (result["loaded"], result["unanswered"], result["rejected"]) == (1, 1740, 0)
        row = s.scalars(select(m.SurveyResponse)).one()
        assert (row.body_code, row.line, row.adopted, row.year_started, row.population) == ("011002", 2, True, 2019, 1_960_000)


# --- the commands ---------------------------------------------------------------------------------

def _run(*args):
    return CliRunner().invoke(app, list(args))


def test_cli_import_reports_skipped_lines_and_lists_the_import(tmp_path):
    db = str(tmp_path / "cli.db")
    result = _run("survey", "import", str(SURVEYS / "madoguchi_utf8.csv"), "--initiative", "窓口委託",
                  "--as-of", "平成29年4月1日", "--db", db, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["status"], data["as_of"], data["loaded"], data["rejected"]) == ("loaded", "2017-04-01", 5, 6)
    assert "skipped line 7: code 999999 has a wrong check digit (expected 999997)" in result.stderr
    listing = json.loads(_run("survey", "list", "--db", db, "--format", "json").stdout)
    assert [(x["initiative"], x["as_of"], x["responses"], x["rejected"]) for x in listing] == [
        ("窓口委託", "2017-04-01", 5, 6)]
    storage.dispose_engines()


def test_cli_import_of_a_bad_file_fails_and_writes_nothing(tmp_path):
    db = str(tmp_path / "cli.db")
    bad = tmp_path / "bad.csv"
    bad.write_text("団体コード,人口\n142158,1\n", encoding="utf-8")
    result = _run("survey", "import", str(bad), "--initiative", "窓口委託", "--as-of", "2017-04-01", "--db", db)
    assert result.exit_code == 1
    assert "bad.csv: no adoption column for '窓口委託'" in result.stderr
    assert json.loads(_run("survey", "list", "--db", db, "--format", "json").stdout) == []
    storage.dispose_engines()


def test_cli_template(tmp_path):
    out = tmp_path / "t.xlsx"
    result = _run("survey", "template", str(out), "--initiative", "窓口委託")
    assert result.exit_code == 0
    assert openpyxl.load_workbook(out)["記入方法"]["A1"].value == "「窓口委託」の導入状況調査票"
    assert _run("survey", "template", str(tmp_path / "t.csv")).exit_code == 1


def test_cli_municipalities_lists_all_bodies_and_resolves_names():
    rows = json.loads(_run("municipalities", "--format", "json").stdout)
    assert len(rows) == 1788
    assert sum(r["kind"] != "都道府県" for r in rows) == 1741
    assert rows[1] == {"code": "011002", "prefecture": "北海道", "name": "札幌市", "kana": "サッポロシ", "kind": "市",
                       "designated_city": True}
    csv_lines = _run("municipalities", "--format", "csv", "--name", "愛知県岡崎市・豊橋市").stdout.splitlines()
    assert csv_lines == ["code,prefecture,name,kana,kind,designated_city",
                         "232025,愛知県,岡崎市,オカザキシ,市,false", "232017,愛知県,豊橋市,トヨハシシ,市,false"]
    ambiguous = _run("municipalities", "--name", "府中市")
    assert ambiguous.exit_code == 1
    assert "府中市 is ambiguous: 東京都府中市 (132063), 広島県府中市 (342084); give the prefecture" in ambiguous.stderr
    wards = json.loads(_run("municipalities", "--format", "json", "--prefecture", "東京", "--kind", "特別区").stdout)
    assert len(wards) == 23 and wards[0]["name"] == "千代田区"


def test_registry_sync_is_idempotent(db_url):
    storage.upgrade(db_url)
    with storage.session_scope(db_url) as s:
        assert store.sync_registry(s) == {"added": 1788, "updated": 0, "total": 1788}
        s.get(m.LocalBody, "142158").name = "えびな市"
    with storage.session_scope(db_url) as s:
        assert store.sync_registry(s) == {"added": 0, "updated": 1, "total": 1788}
        assert store.sync_registry(s) == {"added": 0, "updated": 0, "total": 1788}
        assert s.get(m.LocalBody, "142158").name == "海老名市"


def test_the_initiatives_own_column_wins_over_a_generic_one_before_it():
    survey = read_survey("団体コード,導入,窓口委託\n142158,×,○\n".encode(), "t.csv", "窓口委託")
    assert survey.columns["adopted"] == "窓口委託"
    assert survey.rows[0].adopted is True
