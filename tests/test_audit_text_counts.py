"""Issue 11, class 10 (count_mismatch) in running text that belongs to no KPI: a policy evaluation sheet's analysis and a
case's summary are read for a count stated two ways, and a disagreement cites the line it rests on. On the seeds (002
l.55, 004 l.123: every such count agrees) and on small documents of the same shape with other numbers."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from mieruka import storage
from mieruka.evaluate import schemes
from mieruka.evaluate.audit import audit, text_count_mismatches
from mieruka.evaluate.stored import audit_bulk
from mieruka.jp.printed import count_statements
from mieruka.loading.documents import ingest_file
from mieruka.storage.queries import kpi_rows
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
