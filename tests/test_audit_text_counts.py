"""Issue 11, class 10 (count_mismatch) in running text that belongs to no KPI: a policy evaluation sheet's analysis and a
case's summary are read for a count stated two ways, and a disagreement cites the line it rests on. On the seeds (002
l.55, 004 l.123: every such count agrees) and on small documents of the same shape with other numbers."""
from __future__ import annotations

import sys
import unicodedata
from datetime import date
from pathlib import Path

from mieruka import storage
from mieruka.evaluate import schemes
from mieruka.evaluate.audit import audit, text_count_mismatches
from mieruka.evaluate.stored import audit_bulk
from mieruka.evaluate.audit_columns import READ_MARKS, text_is_read
from mieruka.jp.printed import COUNT_MARKS, CUT_MARKS, count_statements, may_count_twice
from mieruka.loading.documents import ingest_file
from mieruka.storage.queries import NO_LINE, STATUS_CODES, audit_observation_columns, kpi_rows
from mieruka.storage.ratings import count_text_rows, policy_result_rows

FIXTURES = Path(__file__).parent / "fixtures"


def _texts(url, *paths):
    storage.ensure_schema(url)
    for p in paths:
        ingest_file(p, url)
    with storage.session_scope(url) as s:
        return count_text_rows(s)


def test_seed_analysis_and_case_counts_are_read_and_agree(sqlite_url, seed_file):
    texts = _texts(sqlite_url, seed_file("002"), seed_file("004"))
    read = [(t["source"]["document"][:3], t["source"]["line"], t["about"],
             [(c.shape, c.total, c.counted) for c in count_statements(t["text"])]) for t in texts]
    assert read == [
        # 「6省庁(国家公安委員会・警察庁、金融庁、…、環境省)」; 「550団体(平成26年4月1日現在、自治体クラウド211団体、単独クラウド339)」
        ("002", 55, "政策8:電子政府・電子自治体の推進（政策の分析(達成・未達成に関する要因分析)）",
         [("list", 6, ("国家公安委員会・警察庁", "金融庁", "厚生労働省", "経済産業省", "国土交通省", "環境省")),
          ("parts", 550, (211, 339)), ("parts", 1067, (407, 660))]),
        # 「4つの自治体(常陸大宮市、那珂市、かすみがうら市、五霞町)」
        ("004", 123, "いばらき自治体クラウド基幹業務運営協議会", [("list", 4, ("常陸大宮市", "那珂市", "かすみがうら市", "五霞町"))]),
    ]
    assert text_count_mismatches(texts) == []


def test_small_documents_counts_that_disagree_are_found_citing_their_lines(sqlite_url, tmp_path):
    sheet = tmp_path / "sheet.txt"
    sheet.write_text((FIXTURES / "policy_evaluation" / "heisei_sheet.txt").read_text(encoding="utf-8").replace(
        "<p>委託の拡大が進んだ。</p>",
        "<p>委託市区町村数が320団体(平成27年4月1日現在、包括委託120団体、個別委託190団体)から、410団体(平成29年4月1日現在、"
        "包括委託150団体、個別委託260団体)まで増加。申請は3省庁(総務省、財務省)の手続となっている。</p>"), encoding="utf-8")
    slides = tmp_path / "slides.txt"
    slides.write_text((FIXTURES / "presentation" / "platform_slides.txt").read_text(encoding="utf-8").replace(
        "三つの市(館山市、鴨川市、南房総市)", "4つの市(館山市、鴨川市、南房総市)"), encoding="utf-8")
    texts = _texts(sqlite_url, sheet, slides)
    found = text_count_mismatches(texts)
    assert [(f.kind, f.kpi_id, f.sources, f.message) for f in found] == [
        ("count_mismatch", None, [{"document": "sheet.txt", "line": 28}],
         "「320団体(平成27年4月1日現在、包括委託120団体、個別委託190団体)」（sheet.txt 28行）: "
         "内訳120団体と190団体の合計は310団体で、総数320団体と合わない"),
        ("count_mismatch", None, [{"document": "sheet.txt", "line": 28}],
         "「3省庁(総務省、財務省)」（sheet.txt 28行）: 数は3だが、挙げる名称は2つ（総務省、財務省）"),
        ("count_mismatch", None, [{"document": "slides.txt", "line": 39}],
         "「4つの市(館山市、鴨川市、南房総市)」（slides.txt 39行）: 数は4だが、挙げる名称は3つ（館山市、鴨川市、南房総市）"),
    ]
    assert found[0].kpi.endswith("（政策の分析）") and found[2].kpi == "ちば共同クラウド協議会"
    # the whole audit, and the stored audit the pages read, carry them
    every = [schemes.load(n) for n in schemes.available()]
    with storage.session_scope(sqlite_url) as s:
        whole = audit(kpi_rows(s), every, date(2019, 3, 31), policy_result_rows(s), texts=count_text_rows(s))
        stored = audit_bulk(s, date(2019, 3, 31))
    for findings in (whole, stored):
        assert [f.sources for f in findings if f.kind == "count_mismatch"] == [f.sources for f in found]


def test_a_text_without_count_marks_counts_nothing_and_every_folded_mark_is_one():
    # every code point NFKC folds into a character a count statement needs (、 。 ・ う) is a mark, & (an entity) too
    needed = set("、。・う")
    folded = {chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000
              and needed & set(unicodedata.normalize("NFKC", chr(c)))}
    assert folded | {"&"} == set(COUNT_MARKS)
    assert folded == set("、。・う︑︒﹑｡､･")
    # a cut printed as a share (「1104億円の削減(2013年度比で29%減)」) needs 減, and nothing else folds into it
    assert {chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000
            and "減" in unicodedata.normalize("NFKC", chr(c))} | {"&"} == set(CUT_MARKS)
    # half-width and entity-written marks still count: the marks are read before the text is prepared
    for text in ("550団体(2014年4月1日現在､自治体クラウド211団体､単独クラウド339)",
                 "550団体(2014年4月1日現在&#12289;自治体クラウド211団体&#12289;単独クラウド339)"):
        assert may_count_twice(text)
        assert [(c.shape, c.total, c.counted) for c in count_statements(text)] == [("parts", 550, (211, 339))]
    # a plain figure, as a national database prints a hundred thousand of them, is never prepared
    assert not may_count_twice("312.4団体 (2014年度)") and count_statements("312.4団体 (2014年度)") == []


def test_only_texts_with_a_mark_are_read_from_the_database_and_they_are_every_text_a_check_reads(db_url, seed_file):
    storage.ensure_schema(db_url)
    for n in ("000", "001", "002", "003", "004"):
        ingest_file(seed_file(n), db_url)
    with storage.session_scope(db_url) as s:
        ids = [k["id"] for k in kpi_rows(s)]
        observed = kpi_rows(s)
        every = {o["text"] for k in observed for o in k["observations"]}
        rows = audit_observation_columns(s, ids, None, READ_MARKS)
        plain = audit_observation_columns(s, ids, None, "")
    marked = {r[-1] for r in rows} - {None}
    # the database's character class (GLOB on SQLite, ~ on PostgreSQL) picks what Python's `in` picks
    assert marked == {t for t in every if t and any(c in t for c in READ_MARKS)}
    assert 0 < len(marked) < len(every)
    assert {r[-1] for r in plain} == {None} and [r[:-1] for r in plain] == [r[:-1] for r in rows]
    assert {t for t in every if text_is_read(t)} == {t for t in marked if text_is_read(t)}
    # the day numbers and status codes the database works out are Python's
    dated = {(o["as_of"].toordinal() if o["as_of"] else 0, STATUS_CODES.get(o["status"], 0), o["value"])
             for k in observed for o in k["observations"]}
    assert {(r[4], r[5], r[2]) for r in rows} == dated
    assert {(r[6], r[7]) for r in rows} == {(o["source"]["document_id"], o["source"]["line"]) if o["source"] else (-1, NO_LINE)
                                            for k in observed for o in k["observations"]}
    # the seeds print 速報値 and 見込み, and actuals without a date (day 0) beside dated ones
    assert {r[5] for r in rows} == {0, STATUS_CODES["preliminary"], STATUS_CODES["forecast"]} and 0 in {r[4] for r in rows}
    # a figure with a per cent sign and no cut (「45.2% (2014年度)」) is not read: it prints no cut as a share
    assert not text_is_read("45.2% (2014年度)") and text_is_read("1104億円の削減(2013年度比で20%減)")
