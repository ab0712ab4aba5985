"""Tests for the measure catalogue reader (市町村の施策に関する国の施策一覧): the real seed when present,
and small fixture documents with drifting headers, HTML cells and broken input."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from mieruka.ingest.readers import measure_catalogue as reader
from mieruka.records.extraction import MinistryRecord

FIXTURES = Path(__file__).parent / "fixtures" / "measure_catalogue"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
NO_EFFECTS = {"efficiency": False, "economy": False, "convenience": False, "safety": False}


def _effects(*names: str) -> dict[str, bool]:
    return {**NO_EFFECTS, **{n: True for n in names}}


def _fixture(name: str):
    return reader.read((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    return next(SEEDS.glob("003_*")).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed(seed_text):
    ex = reader.read(seed_text)
    return ex, {m.no: m for m in ex.measures}


# --- the real seed ------------------------------------------------------------------------------

def test_seed_has_82_measures_numbered_without_gaps(seed):
    ex, _ = seed
    assert [m.no for m in ex.measures] == list(range(1, 83))
    assert ex.family == "measure-catalogue"
    assert ex.title == "市町村の施策に関する国の施策一覧"
    assert ex.unplaced == []


def test_seed_page_layouts(seed):
    ex, _ = seed
    pages = ex.meta["pages"]
    assert [p["line"] for p in pages] == [5, 17, 28, 39, 51, 64, 79, 93, 107, 120, 132]
    assert [p["columns"] for p in pages] == [16, 15, 16, 17, 16, 18, 15, 16, 16, 16, 16]
    # page 2: the timing heading moved into the second row and the safety column lost its heading
    assert pages[1]["fields"][6:10] == ["timing", "efficiency", "economy", "convenience"]
    # page 9: the second row puts the timing heading after the four effects
    assert pages[8]["fields"][6:11] == ["efficiency", "economy", "convenience", "safety", "timing"]


def test_seed_measure_1(seed):
    _, by_no = seed
    m = by_no[1]
    assert m.name == "マイナンバーカードと電子委任状を活用した政府調達"
    assert m.code == "01-05"
    assert m.ministries == [MinistryRecord("総務省", lead=True), MinistryRecord("経済産業省", lead=False)]
    assert m.pillar == "手続における情報通信の技術の利用等"
    assert m.timing == "時期調整中"
    assert m.effects == NO_EFFECTS
    assert m.budget_programme is None
    assert m.urls == []
    assert m.kpi_progress == "マイナンバーカード・電子委任状を活用した電子調達の利用件数"
    assert m.kpi_effect == "電子応札率"
    assert m.overview.count("\n") == 2
    assert m.overview.splitlines()[1] == "マイナンバーカード・電子委任状に対応した電子調達システムを開発し、平成30年度から順次利用開始。"
    assert m.source.line == 7
    assert m.source.text.startswith("1\tマイナンバーカードと電子委任状を活用した政府調達\t")


def test_seed_measure_2_unset_kpi(seed):
    _, by_no = seed
    assert by_no[2].kpi_effect == "未設定(令和元年度中に検討)"
    assert by_no[2].timing == "平成30年度から"
    assert [x.name for x in by_no[2].ministries] == ["内閣官房", "内閣府", "総務省", "経済産業省", "関係府省庁"]


def test_seed_page_2_rows_with_a_missing_cell(seed):
    _, by_no = seed
    m8 = by_no[8]  # four empty flag cells, then support and URL: the budget cell is missing
    assert m8.code == "01-15"
    assert m8.support.startswith("軽自動車OSS(継続検査(指定整備))については")
    assert m8.budget_programme is None
    assert m8.urls == ["https://www.keikenkyo.or.jp/notice/2019/notice_20190426_007401.html"]
    assert [(x.name, x.lead) for x in m8.ministries] == [
        ("国土交通省", False), ("総務省", False), ("財務省", False), ("警察庁", False)]
    m9 = by_no[9]  # KPI cells that are HTML lists with escaped brackets
    assert m9.kpi_progress.splitlines()[0] == "<オンライン・ワンストップ化> 各省等のシステムの改修"
    assert m9.kpi_progress.splitlines()[3] == "<クラウドを活用した新しい提出方法・処分通知等>"
    m11 = by_no[11]
    assert m11.code == "01-21"
    assert m11.ministries == [MinistryRecord("経済産業省", lead=False)]
    assert m11.timing == "時期調整中"


def test_seed_page_3(seed):
    _, by_no = seed
    m14 = by_no[14]
    assert m14.effects == _effects("efficiency", "economy")
    assert len(m14.urls) == 5
    assert m14.urls[0] == "https://cio.go.jp/sites/default/files/uploads/documents/opendata_guideline.docx"
    assert m14.budget_programme is None
    m15 = by_no[15]
    assert m15.effects == _effects("economy", "convenience", "safety")
    assert m15.budget_programme == "地域オープンデータ推進事業"
    # the same portal is cited three times in the cell
    assert m15.urls == ["https://cio.go.jp/policy-opendata", "https://cio.go.jp/opendata100",
                        "http://www.soumu.go.jp/main_content/000349789.pdf"]
    assert by_no[16].effects == _effects("efficiency", "economy", "convenience", "safety")


def test_seed_page_4(seed):
    _, by_no = seed
    m20 = by_no[20]
    assert m20.code == "02-20"
    assert len(m20.urls) == 7
    assert m20.budget_programme.splitlines()[0] == "地理空間情報の実証検討経費 歩行者移動支援の普及・活用の推進"
    m22 = by_no[22]  # an empty support cell and a budget cell without its label
    assert m22.support is None
    assert m22.budget_programme == "介護サービス情報公表システム 整備等事業"
    assert m22.urls == ["http://www.kaigokensaku.mhlw.go.jp/"]


def test_seed_page_5(seed):
    _, by_no = seed
    m27 = by_no[27]
    assert m27.pillar == "その他"
    assert m27.timing == "平成31年度以降"
    assert m27.effects == _effects("economy")
    assert m27.budget_programme == "独立行政法人情報処理振興機構運営費交付金の内数"
    assert m27.overview.splitlines()[1].startswith("令和元年度からは、")
    assert not m27.overview.startswith("-")
    m31 = by_no[31]  # only name, KPIs, overview, code and ministry are filled in
    assert (m31.pillar, m31.timing, m31.support, m31.budget_programme, m31.urls) == (None, None, None, None, [])
    assert m31.code == "05-05"


def test_seed_page_6_split_flag_columns(seed):
    _, by_no = seed
    m37 = by_no[37]  # five flag cells, the mark beside the support cell
    assert m37.effects == _effects("safety")
    assert m37.budget_programme == "公衆無線LAN環境整備支援事業[無線システム普及支援事業費補助金]"
    # a URL wrapped by the PDF conversion is joined back
    assert m37.urls == ["http://www.soumu.go.jp/main_sosiki/joho_tsusin/top/local_support/kyouzinkasinsei.html"]
    assert by_no[42].effects == _effects("safety")
    assert by_no[42].ministries == [MinistryRecord("内閣官房", lead=True)]
    assert by_no[35].effects == NO_EFFECTS


def test_seed_page_7(seed):
    _, by_no = seed
    assert by_no[45].code == "07-02"
    assert by_no[45].budget_programme is None
    assert by_no[45].urls == ["https://cio.go.jp/sites/default/files/uploads/documents/cloud_%20policy.pdf"]
    assert by_no[48].pillar is None
    assert by_no[48].timing == "令和元年度から"
    m51 = by_no[51]  # three lead ministries
    assert [(x.name, x.lead) for x in m51.ministries] == [
        ("内閣官房", True), ("総務省", True), ("経済産業省", True), ("金融庁", False)]
    assert m51.support is None
    assert m51.budget_programme == "ブロックチェーン利活用推進事業"


def test_seed_page_8(seed):
    _, by_no = seed
    assert [x.name for x in by_no[54].ministries] == ["内閣官房", "総務省", "経産省", "内閣府"]
    m57 = by_no[57]  # the budget cell carries the programme's URL, the URL cell is "-"
    assert m57.budget_programme == "森林情報活用促進事業"
    assert m57.urls == ["http://www.rinya.maff.go.jp/j/rinsei/yosankesan/attach/pdf/31hikoukyou-34.pdf"]
    assert m57.effects == _effects("convenience")


def test_seed_page_9(seed):
    _, by_no = seed
    m61 = by_no[61]
    assert m61.timing == "令和3年度から(時期調整中)"
    assert m61.effects == _effects("efficiency")
    assert m61.budget_programme == "港湾関連データ連携基盤の構築に必要な経費"
    assert m61.urls == []
    assert by_no[62].effects == _effects("efficiency", "safety")


def test_seed_page_10(seed):
    _, by_no = seed
    m71 = by_no[71]  # programme name and reference URLs share one cell
    assert m71.budget_programme == "地域ICTクラブ普及推進事業"
    assert m71.urls == [
        "http://www.soumu.go.jp/main_sosiki/joho_tsusin/kyouiku_joho-ka/IoT_learning.html",
        "http://www.soumu.go.jp/main_sosiki/joho_tsusin/kyouiku_joho-ka/jakunensou.html",
    ]
    assert len(by_no[74].urls) == 6
    assert by_no[75].timing is None


def test_seed_page_11(seed):
    _, by_no = seed
    m76 = by_no[76]
    assert m76.budget_programme == "テレワーク普及展開推進事業 地域IoT実装総合支援施策"
    assert m76.urls == ["http://www.soumu.go.jp/main_sosiki/joho-tsusin/telework/", "https://telework.soumu.go.jp/"]
    m79 = by_no[79]  # no measure code and no timing in the row
    assert m79.code is None
    assert m79.timing is None
    assert m79.pillar == "情報システム改革・業務の見直し"
    assert m79.ministries == [MinistryRecord("内閣官房", lead=True), MinistryRecord("関係省庁", lead=False)]
    m82 = by_no[82]
    assert m82.code == "01-12"
    assert m82.urls[1].endswith("&si=5&so=2&pn=1")
    assert "&amp;" not in m82.urls[1]


def test_seed_lead_ministry_counts(seed):
    ex, _ = seed
    leads = Counter(x.name for m in ex.measures for x in m.ministries if x.lead)
    assert leads["総務省"] == 31
    assert leads["内閣官房"] == 23
    assert sum(1 for m in ex.measures if not any(x.lead for x in m.ministries)) == 13


def test_seed_rows_that_fit_their_header_read_the_same_by_anchors(seed, seed_text):
    """The two ways of reading a row must agree wherever the header map applies."""
    ex, by_no = seed
    lines = seed_text.split("\n")
    layouts = [reader._Layout(p["line"], tuple(f or None for f in p["fields"])) for p in ex.meta["pages"]]
    fitting = []
    for m in ex.measures:
        layout = [lay for lay in layouts if lay.line < m.source.line][-1]
        cells = lines[m.source.line - 1].split("\t")
        by_header = reader._fields_by_header(cells, layout)
        if by_header is None:
            continue
        fitting.append(m.no)
        by_anchors, leftovers = reader._fields_by_anchors(cells, layout)
        assert leftovers == []
        assert reader._measure(m.no, by_anchors, m.source) == reader._measure(m.no, by_header, m.source)
    assert fitting == [1, 2, 3, 4, 5, 6, 7, 15, 16, 17, 19, 35, 36, 54, 55, 56, 57, 66, 67, 75]
    assert ex.meta["rows_read_by_anchors"] == [n for n in range(1, 83) if n not in fitting]


def test_matches_only_the_catalogue_seed(seeds):
    found = {p.name[:3]: reader.matches(p.read_text(encoding="utf-8")) for p in sorted(seeds.glob("*.txt"))}
    assert found == {"000": False, "001": False, "002": False, "003": True, "004": False}


# --- fixtures written for these tests -----------------------------------------------------------

def test_fixture_matches():
    assert reader.matches((FIXTURES / "two_layouts.txt").read_text(encoding="utf-8"))
    assert not reader.matches("### 施策一覧\n\nNo\t施策名\t府省庁名①\n1\t施策A\t総務省\n")


def test_two_layouts_pages():
    ex = _fixture("two_layouts.txt")
    assert [m.no for m in ex.measures] == [1, 2, 3, 4, 5]
    assert [p["columns"] for p in ex.meta["pages"]] == [16, 14]
    assert ex.meta["pages"][1]["fields"] == [
        "no", "name", "code", "ministries", "kpi_progress", "kpi_effect", "overview", "pillar",
        "efficiency", "economy", "convenience", "safety", "support", "urls"]
    assert ex.meta["rows_read_by_anchors"] == [2, 3]
    assert ex.unplaced == []


def test_two_layouts_row_that_fits_the_first_header():
    m = _fixture("two_layouts.txt").measures[0]
    assert m.code == "01-05"
    assert m.overview == "調達の手間を減らす。\n平成30年度から順次利用開始。"
    assert m.support == "セミナーを検討中。"
    assert m.timing == "時期調整中"
    assert m.budget_programme is None
    assert m.urls == []
    assert m.source.line == 6


def test_two_layouts_row_missing_its_budget_cell():
    m = _fixture("two_layouts.txt").measures[1]
    assert m.effects == _effects("efficiency", "economy")
    assert m.support == "<手引> 手引書を改定。"
    assert m.budget_programme is None
    assert m.urls == ["https://cio.go.jp/a.docx", "https://cio.go.jp/b.pptx"]
    assert m.code == "02-03"
    assert m.ministries == [MinistryRecord("内閣官房", lead=True), MinistryRecord("全府省庁", lead=False)]


def test_two_layouts_row_with_a_split_flag_column_and_a_shared_budget_cell():
    m = _fixture("two_layouts.txt").measures[2]
    assert m.effects == _effects("safety")
    assert m.overview == "Wi-Fiは速い。\n整備を進める。"
    assert m.support == "整備費の一部を補助。"
    assert m.budget_programme == "公衆無線LAN環境整備支援事業"
    assert m.urls == ["http://www.soumu.go.jp/main_sosiki/joho_tsusin/wifi.html"]


def test_two_layouts_second_page_in_its_own_column_order():
    ex = _fixture("two_layouts.txt")
    m4, m5 = ex.measures[3], ex.measures[4]
    assert m4.code == "01-11"
    assert m4.ministries == [MinistryRecord("内閣官房", lead=True), MinistryRecord("内閣府", lead=False),
                             MinistryRecord("総務省", lead=False)]
    assert m4.overview == "<オンライン・ワンストップ化> 申請を電子化する。\n負担を減らす&早くする。"
    assert m4.effects == _effects("economy", "convenience")
    assert m4.support == "ガイドを配る。\n説明会を開く。"
    assert m4.urls == ["https://example.go.jp/a?x=1&y=2"]
    assert m4.timing is None
    assert m5.ministries == [MinistryRecord("経済産業省", lead=False)]
    assert m5.effects == _effects("safety")
    assert (m5.support, m5.urls) == (None, [])


def test_broken_input():
    ex = _fixture("broken.txt")
    assert [m.no for m in ex.measures] == [7, 8]
    assert [p["line"] for p in ex.meta["pages"]] == [3, 8]  # the first page has a header and no rows
    assert [(s.line, s.text.split("\t")[0]) for s in ex.unplaced] == [(11, "※"), (12, "七"), (13, "備考あり")]
    m7, m8 = ex.measures
    assert m7.effects == _effects("convenience")
    assert m7.kpi_effect == "未設定(令和元年度中に検討)"
    # a stray cell after the ministries is reported, the rest of the row is still read
    assert m8.code == "01-15"
    assert [x.name for x in m8.ministries] == ["国土交通省", "総務省"]
    assert m8.support == "運用を始めた。"


def test_empty_document():
    ex = reader.read("")
    assert ex.measures == [] and ex.unplaced == [] and ex.title is None


@pytest.mark.parametrize("cell, expected", [
    ("◎総務省、経済産業省", [("総務省", True), ("経済産業省", False)]),
    ("◎内閣官房、◎総務省", [("内閣官房", True), ("総務省", True)]),
    ("内閣府・総務省, 財務省", [("内閣府", False), ("総務省", False), ("財務省", False)]),
    ("◎内閣官房 総務省", [("内閣官房", True), ("総務省", False)]),
    ("◎経済産 業省、関係府省庁", [("経済産業省", True), ("関係府省庁", False)]),
    ("", []),
])
def test_ministry_cells(cell, expected):
    assert [(m.name, m.lead) for m in reader._ministries([cell])] == expected


def test_a_kpi_target_with_an_impossible_era_year_states_no_target():
    # found by the damaged-documents fuzz test: 「令和0年度」 stopped the reader with a ValueError
    from mieruka.records.extraction import Source

    assert reader._target("令和0年度までに3割削減", Source(line=7, text="令和0年度までに3割削減")) is None
    assert reader._target("令和5年度までに3割削減", Source(line=7, text="令和5年度までに3割削減")).text == "令和5年度までに3割削減"
