"""The plan draft re-read: the DOCX's seven chapters, its 個別施策 table and annex (python-docx), the XLSX's rows
(openpyxl); the prompts for chapters only the planner can write; formulas neutralised."""
from __future__ import annotations

import io

import plandata
import pytest
from docx import Document
from openpyxl import load_workbook

from mieruka import storage
from mieruka.plans import draft, editing


@pytest.fixture
def files(sqlite_url, tmp_path):
    plandata.build(sqlite_url, tmp_path)
    with storage.session_scope(sqlite_url) as s:
        plan_id = editing.new_plan(s, plandata.EBINA, "tester", "test")
        for choice in plandata.CHOICES:
            editing.add_measure(s, plan_id, plandata.form(choice), "tester", "test")
        editing.add_measure(s, plan_id, {"measure": "45", "kpi": "=HYPERLINK(\"http://x\")",
                                         "section": "@総務課"}, "tester", "test")
        plan, annex = draft.plan_files(s, plan_id)
    return plan, draft.docx_bytes(plan, annex), draft.xlsx_bytes(plan, annex)


def test_docx_has_the_seven_chapters_and_prompts(files):
    _, docx, _ = files
    doc = Document(io.BytesIO(docx))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["第1章　現状と課題", "第2章　目的", "第3章　計画の位置付け", "第4章　推進体制", "第5章　基本方針",
                        "第6章　個別施策", "第7章　セキュリティ", "別表　選んだ国の施策"]
    prompts = [p.text for p in doc.paragraphs if p.text.startswith("【記入してください】")]
    assert len(prompts) == 6
    texts = [p.text for p in doc.paragraphs]
    assert "個別施策の担当課: 情報政策課、市民課、デジタル推進課、税務課、@総務課" in texts
    assert "選んだ国の施策の分野: 官民データの容易な利用等、個人番号カードの普及及び活用、手続における情報通信の技術の利用等、" \
           "情報システムに係る規格の整備及び互換性の確保等" in texts
    assert doc.paragraphs[0].text == "海老名市官民データ活用推進計画"


def test_docx_measure_table_and_annex(files):
    plan, docx, _ = files
    doc = Document(io.BytesIO(docx))
    measures, annex = doc.tables
    rows = [[c.text for c in r.cells] for r in measures.rows]
    assert rows[0] == list(draft.MEASURE_HEADER)
    assert [r[0] for r in rows[1:]] == ["15", "12", "32", "3", "10", "45"]
    assert rows[1][1:5] == ["02-05", plan["measures"][0]["measure_name"], "情報政策課", "本市のオープンデータ公開数"]
    assert rows[1][5:8] == ["2023年度 40件", "2027年度までに 100件", "2027年度（令和9年度）末"]
    assert rows[1][8].split("\n") == ["2024年度（令和6年度）: 推奨データセットの公開", "2025年度（令和7年度）: 公開データの拡充",
                                      "2026年度（令和8年度）: 利用者との意見交換"]
    arows = [[c.text for c in r.cells] for r in annex.rows]
    assert arows[0] == ["施策番号", "施策コード", "施策名", "分野", "府省", "URL"]
    assert len(arows) == 7
    by_no = {r[0]: r for r in arows[1:]}
    assert by_no["15"][3] == "官民データの容易な利用等"
    assert by_no["15"][5].split("\n") == [u for u in plan_urls(15)]
    assert by_no["3"][5] == ""  # the catalogue gives measure 3 no URL


def plan_urls(no):
    import json
    from pathlib import Path

    from mieruka.ingest.sample import SAMPLE_PATH

    data = json.loads(Path(SAMPLE_PATH).read_text(encoding="utf-8"))
    return next(m["urls"] for d in data["documents"] for m in d["extraction"]["measures"] if m["no"] == no)


def test_xlsx_one_row_per_measure(files):
    _, _, xlsx = files
    ws = load_workbook(io.BytesIO(xlsx)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "海老名市官民データ活用推進計画"
    header = rows[1]
    assert header[:14] == draft.XLSX_HEADER
    assert header[14:] == ("2024年度（令和6年度）", "2025年度（令和7年度）", "2026年度（令和8年度）")
    assert [r[0] for r in rows[2:]] == [15, 12, 32, 3, 10, 45]
    first = dict(zip(header, rows[2]))
    assert (first["KPI"], first["基準値（数値）"], first["目標値（数値）"], first["単位"], first["担当課"]) == \
        ("本市のオープンデータ公開数", 40, 100, "件", "情報政策課")
    assert first["2025年度（令和7年度）"] == "公開データの拡充"
    assert first["目標期限"].date().isoformat() == "2028-03-31"


def test_xlsx_neutralises_formulas(files):
    _, _, xlsx = files
    ws = load_workbook(io.BytesIO(xlsx)).active
    last = dict(zip([c.value for c in ws[2]], [c.value for c in ws[ws.max_row]]))
    assert last["KPI"] == "'=HYPERLINK(\"http://x\")"
    assert last["担当課"] == "'@総務課"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
