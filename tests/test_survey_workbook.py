"""The survey workbook round trip on SQLite and PostgreSQL: a local body's account gets its own body's answer, the
secretariat every municipality's; the upload reads each cell by the answer page's rules, names every error by sheet,
row and column in both languages, saves all rows or none, and the same file twice changes nothing."""
from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from cycle_staff import EBINA, surveyed, who
from mieruka import storage
from mieruka.bodies import registry
from mieruka.evaluate import bottom_up
from mieruka.storage import models as m
from mieruka.storage.survey_round_models import SurveyAnswer, SurveyAnswerVersion
from mieruka.workflow import survey_workbook, surveys
from mieruka.workflow.reports import NotAllowed
from mieruka.workflow.workbook import WorkbookRefused

@pytest.fixture
def db(db_url):
    surveyed(db_url)
    return db_url


def exported(url, login="ebina", lang="ja") -> bytes:
    with storage.session_scope(url) as s:
        return survey_workbook.export(s, who(s, login), surveys.store.request_by_id(s, 1), lang).content


def filled(raw: bytes, cells: dict[str, object]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(raw))
    for ref, value in cells.items():
        book["回答"][ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def imported(url, raw, login="ebina"):
    with storage.session_scope(url) as s:
        return survey_workbook.import_workbook(s, who(s, login), raw, "kaitou.xlsx")


def answers(url) -> list[tuple]:
    with storage.session_scope(url) as s:
        return [(a.body_code, a.state, a.version, a.adopted, a.year_started, a.cost_before, a.cost_after)
                for a in s.scalars(select(SurveyAnswer).where(SurveyAnswer.updated_by.is_not(None))
                                   .order_by(SurveyAnswer.id))]


def versions(url) -> int:
    with storage.session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(SurveyAnswerVersion))


def ebina_id(url) -> int:
    with storage.session_scope(url) as s:
        return s.scalar(select(SurveyAnswer.id).where(SurveyAnswer.body_code == EBINA))


def test_the_exported_workbook(db):
    book = openpyxl.load_workbook(io.BytesIO(exported(db)))
    assert book.sheetnames == ["説明", "回答", "_mieruka"] and book["_mieruka"].sheet_state == "hidden"
    assert book["説明"]["A2"].value == "調査: 窓口委託(2019-04-01現在) ／ ラウンド: 2019年度 進捗報告"
    assert book["説明"]["A3"].value == "団体: 神奈川県海老名市"
    rows = list(book["回答"].iter_rows(values_only=True))
    assert rows == [("回答ID", "団体コード", "団体", "状態", "版", "導入(○/×)", "開始年度", "導入前経費(円)", "導入後経費(円)",
                     "人口", "提出"),
                    (ebina_id(db), EBINA, "神奈川県海老名市", "下書き", 1, None, None, None, None, None, None)]
    ws = book["回答"]
    assert ws.protection.sheet is True and ws["A2"].protection.locked is True and ws["F2"].protection.locked is False
    assert {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation} == {"F2": '"○,×"',
                                                                                         "K2": '"提出"'}
    everyone = openpyxl.load_workbook(io.BytesIO(exported(db, "sec", "en")))
    assert everyone["回答"].max_row == 1 + len(registry.municipalities())
    assert everyone["回答"]["F1"].value == "adopted (○/×)" and everyone["説明"]["A3"].value == \
        "Local bodies: every municipality"
    with storage.session_scope(db) as s, pytest.raises(NotAllowed):
        survey_workbook.export(s, who(s, "rep"), surveys.store.request_by_id(s, 1))


def test_import_saves_submits_and_the_same_file_twice_changes_nothing(db):
    raw = filled(exported(db), {"F2": "○", "G2": "平成28年度", "H2": "120万円", "I2": "1,000千円", "K2": "提出"})
    done = imported(db, raw)
    assert (done.saved, done.submitted, done.unchanged) == ([ebina_id(db)], [ebina_id(db)], 0)
    after, count = answers(db), versions(db)
    assert after == [(EBINA, "submitted", 3, True, 2016, 1_200_000.0, 1_000_000.0)]
    again = imported(db, raw)
    assert (again.saved, again.submitted, again.unchanged) == ([], [], 1)
    assert answers(db) == after and versions(db) == count
    with storage.session_scope(db) as s:
        steps = [(v.actor, v.via, v.action) for v in s.scalars(select(SurveyAnswerVersion).order_by(SurveyAnswerVersion.id))]
        assert steps == [("ebina", "web:xlsx", "save"), ("ebina", "web:xlsx", "submit")]
        answer = s.get(SurveyAnswer, ebina_id(db))
        surveys.approve(s, who(s, "sec"), answer, answer.version)
        (snap,) = bottom_up.kpi_report(s, s.scalar(select(m.SurveyKpi.kpi_id)))["snapshots"]
        assert snap.national.adopted == 1


def test_every_bad_cell_is_named_and_nothing_is_saved(db):
    raw = filled(exported(db, "sec"), {"F2": "たぶん", "G2": "そのうち", "H3": "1 200", "K3": "いつか", "B4": "999999",
                                       "F4": "○", "A5": 99999999, "F5": "×"})
    count = versions(db)
    with pytest.raises(WorkbookRefused) as caught:
        imported(db, raw, "sec")
    lines = caught.value.lines("ja")
    with storage.session_scope(db) as s:  # the sheet's rows are in the order of the bodies' codes
        third = s.scalars(select(SurveyAnswer).order_by(SurveyAnswer.body_code).offset(2).limit(1)).one()
        third = type("Row", (), {"id": third.id, "body_code": third.body_code})
    assert lines[:2] == ["シート「回答」 2行 F列(導入(○/×)): 「たぶん」を読み取れません(例: ○(導入済)、×(未導入)または空欄)。",
                         "シート「回答」 2行 G列(開始年度): 「そのうち」を読み取れません(例: 2016、2016年度、平成28年度)。"]
    assert lines[2:] == ["シート「回答」 3行 H列(導入前経費(円)): 「1 200」を読み取れません(例: 1200000、120万円、1,200千円)。",
                         "シート「回答」 3行 K列(提出): 「提出」を選ぶか空欄にしてください。",
                         f"シート「回答」 4行 B列(団体コード): 回答 {third.id} の団体コードは {third.body_code} です"
                         "(変更できない欄です)。",
                         "シート「回答」 5行 A列(回答ID): 回答ID「99999999」はこの調査にありません(変更できない欄です)。"]
    assert caught.value.lines("en")[0] == ("sheet 回答, row 2, column F (adopted (○/×)): cannot read 'たぶん' "
                                           "(e.g. ○ (adopted), × (not adopted) or blank).")
    assert answers(db) == [] and versions(db) == count


def test_another_body_a_stale_file_and_a_submitted_row_are_refused(db):
    raw = exported(db)
    mine = filled(raw, {"F2": "○"})
    with pytest.raises(NotAllowed) as caught:  # 千代田区's account uploading 海老名市's answer
        imported(db, mine, "chiyoda")
    assert caught.value.status == 403 and "belongs to a body you do not answer for" in caught.value.message["en"]
    assert answers(db) == []
    with storage.session_scope(db) as s:
        answer = s.get(SurveyAnswer, ebina_id(db))
        surveys.save(s, who(s, "sec"), answer, {"adopted": "×"}, 1)
    with pytest.raises(WorkbookRefused) as caught:
        imported(db, mine)
    assert caught.value.lines("en") == [
        "sheet 回答, row 2, column E (version): answer %d was saved after this workbook was made (version 1 → 2, "
        "by sec); download a new workbook." % ebina_id(db)]
    submitted = filled(exported(db), {"K2": "提出"})
    assert imported(db, submitted).submitted == [ebina_id(db)]
    with pytest.raises(WorkbookRefused) as caught:
        imported(db, filled(submitted, {"G2": 2017}))
    assert caught.value.lines("ja") == [
        f"シート「回答」 2行 D列(状態): 回答 {ebina_id(db)} は「提出済み」のため変更できません。"]
    with pytest.raises(WorkbookRefused) as caught:  # a report workbook is not a survey workbook
        other = openpyxl.Workbook()
        buf = io.BytesIO()
        other.save(buf)
        imported(db, buf.getvalue())
    assert caught.value.lines("ja")[0].startswith("kaitou.xlsx: mieruka が作った調査の様式ではありません")
