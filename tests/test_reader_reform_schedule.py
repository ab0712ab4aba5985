"""The reform-schedule reader on both layouts: the two real seed documents (skipped when the seed
folder is absent) and small fixture documents written for these tests, including a broken one."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from mieruka.records.canonical import key_for
from mieruka.ingest.readers import reform_schedule as rs
from mieruka.ingest.readers.reform_schedule import columns
from mieruka.ingest.readers.reform_schedule.tabbed import read_tabbed
from mieruka.jp import strip_markers

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
FIXTURES = Path(__file__).parent / "fixtures" / "reform_schedule"
ED_2015 = "経済・財政再生計画 改革工程表"
ED_2016 = "経済・財政再生計画 改革工程表 2016改定版"
GROUP_000 = "窓口業務のアウトソーシングなど汎用性のある先進的な改革に取り組む市町村数"
GROUP_001 = "公共サービスイノベーションの進捗を検討するための指標"


def _seed_text(prefix: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    return next(SEEDS.glob(f"{prefix}_*")).read_text(encoding="utf-8")


def _read_seed(prefix: str):
    return rs.read(_seed_text(prefix))


@pytest.fixture(scope="module")
def seed000():
    return _read_seed("000")


@pytest.fixture(scope="module")
def seed001():
    return _read_seed("001")


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def is_status_row(ex, kpi) -> bool:
    """A KPI status-table row, not a KPI a schedule table names: in the tabbed layout a row's source is the
    whole tab-separated row, a schedule KPI's one cell."""
    return ex.meta["layout"] != "tab-separated" or "\t" in kpi.source.text


def row(ex, clean_name: str, line: int | None = None):
    """The status-table row of a KPI, found by its name without markers (and its line, for a KPI the
    document rates in two tables)."""
    hits = [k for k in ex.kpis if strip_markers(k.name)[0] == clean_name and is_status_row(ex, k)
            and line in (None, k.source.line)]
    assert len(hits) == 1, [k.name for k in hits]
    return hits[0]


def statement(ex, clean_name: str, edition: str):
    hits = [k for k in ex.kpis if strip_markers(k.name)[0] == clean_name and k.targets
            and k.targets[0].edition == edition]
    assert len(hits) == 1, [k.name for k in hits]
    return hits[0]


def read_block(first: int, last: int):
    """Seed 000's lines first..last read on their own, keeping the seed's line numbers: one printing of a
    schedule table, before repeats of the same step elsewhere in the document are merged."""
    lines = _seed_text("000").split("\n")
    return read_tabbed("\n" * (first - 1) + "\n".join(lines[first - 1:last]))


def periods(ex, line: int) -> list[tuple[str, str]]:
    """(period, first ten characters of text) of the schedule records read from one line, in column order."""
    return [(s.period, s.text[:10]) for i in ex.items for s in i.schedules if s.source.line == line]


def period_of(ex, edition: str, text_start: str) -> list[str]:
    """The periods an edition's schedule gives the step whose text starts so."""
    return [s.period for i in ex.items for s in i.schedules if s.edition == edition and s.text.startswith(text_start)]


def schedule_kpi(ex, name: str, line: int):
    hits = [k for k in ex.kpis if k.name == name and k.source.line == line and not is_status_row(ex, k)]
    assert len(hits) == 1, [k.name for k in hits]
    return hits[0]


def item(ex, number: str):
    return next(i for i in ex.items if i.number == number)


def values(kpi):
    t, o = kpi.targets[0], kpi.observations[0]
    return (t.value, t.unit, t.deadline, o.value, o.unit, o.as_of, o.status, [r.code for r in kpi.ratings])


# -- signature --------------------------------------------------------------

def test_matches_both_layouts_and_no_other_family():
    assert rs.matches(_seed_text("000"))
    assert rs.matches(_seed_text("001"))
    for prefix in ("002", "003", "004"):
        assert not rs.matches(_seed_text(prefix)), prefix


def test_matches_fixtures_but_not_plain_text():
    assert rs.matches(_fixture("tabbed.txt"))
    assert rs.matches(_fixture("pdf_lines.txt"))
    assert not rs.matches("KPIの状況\n会議のメモ\n")
    assert not rs.matches("第一階層の話\n次回は来週\n")


# -- seed 000: tab-separated --------------------------------------------------

def test_000_rows_are_kept_once(seed000):
    assert seed000.meta["kpi_rows"] == 19
    assert seed000.meta["schedule_kpi_statements"] == 39
    assert [(r["line"], r["first_line"]) for r in seed000.meta["repeated_kpi_rows"]] == [
        (45, 11), (46, 12), (47, 13), (48, 14), (49, 15)]
    assert seed000.unplaced == []


def test_000_outsourcing_row(seed000):
    kpi = row(seed000, "窓口業務のアウトソーシング")
    assert kpi.name == "- 1 窓口業務のアウトソーシング"
    assert kpi.tier == 1 and kpi.source.line == 12
    assert values(kpi) == (416, "団体", date(2021, 3, 31), 301, "団体", date(2017, 4, 1), "preliminary", ["B"])
    assert kpi.ratings[0].scheme == "reform-schedule"
    assert kpi.next_measurement == "2017年4月確報値は、2018年3月頃に公表。"
    assert kpi.next_measurement_date == date(2018, 3, 1)
    assert kpi.reform_item == "民間の大胆な活用による適正な民間委託等の加速"


def test_000_parent_heads_numbered_and_unnumbered_rows(seed000):
    parent = row(seed000, GROUP_000)
    assert (parent.tier, parent.targets, parent.observations, parent.ratings) == (1, [], [], [])
    children = [k.name for k in seed000.kpis if k.parent == GROUP_000]
    assert children == ["- 1 窓口業務のアウトソーシング", "- 2 総合窓口の導入", "庶務業務の集約化"]
    assert row(seed000, "歳出効率化の成果(事後的に検証する指標)", line=15).parent is None


def test_000_values_of_other_rows(seed000):
    assert values(row(seed000, "庶務業務の集約化")) == (
        286, "団体", date(2021, 3, 31), 413, "団体", date(2017, 4, 1), "preliminary", ["A"])
    assert values(row(seed000, "「連携中枢都市圏」の形成数")) == (
        30, "圏域", date(2021, 3, 31), 23, "圏域", date(2017, 10, 1), None, ["A"])
    conbini = row(seed000, "各種証明書のコンビニ交付の実施団体数(人口)")
    assert values(conbini) == (300, "団体", date(2017, 3, 31), 430, "団体", date(2017, 8, 31), None, ["A"])
    # the progress column's 「508団体、約8,540万人 (2017年度未見込み)」 is a forecast at the end of FY2017
    assert [(o.value, o.as_of, o.status) for o in conbini.observations] == [
        (430, date(2017, 8, 31), None), (508, date(2018, 3, 31), "forecast")] and conbini.organisation == "総務省"


def test_000_relative_target_and_its_base(seed000):
    kpi = row(seed000, "政府情報システム数")
    t = kpi.targets[0]
    assert (t.relative_kind, t.relative_factor, t.relative_base_year, t.relative_base_value, t.deadline) == (
        "half", 0.5, 2012, 1450, date(2019, 3, 31))
    assert (kpi.baseline.value, kpi.baseline.unit, kpi.baseline.as_of) == (1450, "システム", date(2013, 3, 31))
    o = kpi.observations[0]
    assert (o.value, o.unit, o.as_of) == (1117, "システム", date(2017, 3, 31))
    assert [r.code for r in kpi.ratings] == ["A"] and kpi.direction == "down"


def test_000_reduction_is_stored_as_cost_level(seed000):
    kpi = row(seed000, "政府情報システム運用コスト")
    o = kpi.observations[0]
    assert (o.value, o.unit, o.as_of) == (4000e8 - 257e8, "円", date(2016, 3, 31))
    assert o.text == "2013年度と比べて257億円の削減(2015年度)"
    assert seed000.meta["derived_values"][0]["read_as"] == "base − reduction"


def test_000_unset_target(seed000):
    kpi = row(seed000, "IT化・BPRに取り組んだ自治体数")
    t = kpi.targets[0]
    assert (t.unset, t.value, t.promised_by) == (True, None, date(2017, 3, 31))
    assert [r.code for r in kpi.ratings] == ["F"]
    # the (参考) figures count another measure: kept as the cell's words, with no value of this KPI
    [ref] = kpi.observations
    assert (ref.value, ref.as_of, ref.text[:12]) == (None, None, "(参考)【番号室】子育て")


def test_000_sentences_in_the_actual_column_are_not_values(seed000):
    kpi = row(seed000, "社会人口増減など(事後的に検証する指標)", line=127)
    assert kpi.after_the_fact and kpi.tier == 2
    # what the 実績値 cell says is kept as words: "23圏域" is a count in passing, not this KPI's value
    assert [(o.value, o.unit, o.as_of, o.status, o.text, o.source.line) for o in kpi.observations] == [
        (None, None, None, None, "連携中枢都市圏ビジョンを策定している23圏域において指標を設定済み。", 127)]
    # "2017年度末に集計予定" in the 実績値 column (l.291) says when a figure will come: a note, not an observation
    assert row(seed000, "自治体にアドバイスや意見交換等を行った件数", line=291).observations == []
    assert seed000.meta["scheduling_notes"] == [
        {"kpi": "自治体にアドバイスや意見交換等を行った件数", "line": 291, "text": "2017年度末に集計予定"}]
    assert {n["line"] for n in seed000.meta["unread_actuals"]} == {127, 159, 210}


def test_000_items_themes_and_steps(seed000):
    assert [(i.number, i.name) for i in seed000.items] == [
        ("⑪", "民間の大胆な活用による適正な民間委託等の加速"),
        ("⑫", "公共サービスの広域化"),
        ("⑬", "マイナンバー制度の活用や国による地方自治体のIT化・BPR推進に向けた取組促進策の提示等"),
        ("⑭", "国のオンラインサービス改革、各府省庁の業務改革、政府情報システムのクラウド化・統廃合"),
        ("⑮", "(地方)業務の簡素化・標準化、自治体クラウドの積極的展開"),
    ]
    assert {i.theme for i in seed000.items} == {"地方交付税をはじめとした地方の財政に係る制度の改革"}
    assert [len(i.steps) for i in seed000.items] == [4, 5, 12, 2, 7]
    first = item(seed000, "⑪").steps[0]
    assert first.source.line == 39 and first.status_word == "順調"
    assert first.step.startswith("総務省・都道府県において")
    assert [s.status_word for s in item(seed000, "⑭").steps] == ["順調", None]
    # line 348 glues 重要課題, 改革項目 and the section title with ** markup
    assert [s.source.line for s in item(seed000, "⑮").steps][:1] == [352]


def test_000_schedules_of_both_editions(seed000):
    sched = item(seed000, "⑪").schedules
    first = sched[0]
    assert (first.edition, first.edition_date, first.period, first.source.line) == (
        ED_2015, date(2015, 12, 24), "2014・2015年度", 21)
    assert first.text == "○業務改革モデルプロジェクト\n助言通知発出(平成27年8月28日付総務大臣通知)"
    assert first.offices == ["総務省自治行政局"]
    revised = next(s for s in sched if s.edition == ED_2016)
    # the cell holds the whole row's steps, from ～2016年度 to the reform period's end
    assert (revised.edition_date, revised.period, revised.source.line) == (date(2016, 12, 21), "～2016年度～2020年度～", 28)
    assert revised.offices == ["総務省自治行政局 地域力創造グループ"]
    assert {s.edition for i in seed000.items for s in i.schedules} == {ED_2015, ED_2016}
    assert "内閣官房情報通信技術(IT)戦略室" in item(seed000, "⑬").schedules[0].offices


def test_000_pdf_errors_fixed_in_text_not_in_source(seed000):
    cell = item(seed000, "⑪").schedules[0]
    assert "通商国主" in cell.source.text and "通商国主" not in cell.text and "通常国会" not in cell.text
    assert {"line": 346, "as_written": "郡道府県", "read_as": "都道府県"} in seed000.meta["corrections"]


def test_000_schedule_statement_with_baseline_and_target(seed000):
    for edition, markers in ((ED_2015, []), (ED_2016, ["再掲"])):
        kpi = statement(seed000, "窓口業務のアウトソーシング", edition)
        t = kpi.targets[0]
        assert (kpi.baseline.value, kpi.baseline.unit, kpi.baseline.as_of) == (208, "団体", date(2014, 10, 1))
        assert (t.value, t.unit, t.deadline, t.text) == (416, "団体", date(2021, 3, 31), "208⇒416")
        assert kpi.markers == markers and kpi.tier == 1
        assert kpi.reform_item == "民間の大胆な活用による適正な民間委託等の加速"


def test_000_schedule_statements_of_targets(seed000):
    t = statement(seed000, "「定住自立圏」の協定締結等圏域数", ED_2015).targets[0]
    assert (t.value, t.unit, t.deadline) == (140, "圏域", date(2021, 3, 31))
    t = statement(seed000, "「連携中枢都市圏」の形成数", ED_2015).targets[0]
    assert (t.unset, t.promised_by, t.value) == (True, date(2016, 3, 31), None)
    kpi = statement(seed000, "政府情報システム数", ED_2015)
    assert (kpi.baseline.value, kpi.baseline.as_of) == (1450, date(2013, 3, 31))
    assert (kpi.targets[0].relative_factor, kpi.targets[0].deadline) == (0.5, date(2019, 3, 31))
    assert statement(seed000, "各種証明書のコンビニ交付の実施団体数(人口)", ED_2016).targets[0].value == 300


# -- seed 000: schedule columns, one check at least per printed table ---------------
# Each expected period was set by reading the row by hand (header, neighbours, dates the step gives,
# the other printings of the same table and the progress table's steps of the year).

def test_000_first_edition_outsourcing_and_cabinet_office_tables(seed000):
    assert period_of(seed000, ED_2015, "○業務改革モデルプロジェクト") == ["2014・2015年度"]
    # "2016～2018年度の各年度において…": the model project runs over the whole reform period
    assert period_of(seed000, ED_2015, "業務改革モデルプロジェクト(窓口業務") == ["2016年度～2018年度"]
    # one cell holds the steps of every later column ("左記方針にもとづき…" after others)
    assert period_of(seed000, ED_2015, "モデル自治体の市町村") == ["2016年度～2020年度～"]
    # line 56: a merged cell (its numbered list starts again) followed by a cell placed after it
    assert [p for p, _ in periods(seed000, 56)] == ["（列不明）", "（列不明）"]


def test_000_revised_cabinet_office_table_skips_the_ministry_column(seed000):
    # the office sits in a column of its own beside ～2016年度: steps 1–3 are ～2016, 4–6 are 2017
    first, second, third = (s for i in seed000.items for s in i.schedules if s.source.line == 62)
    assert (first.period, "1.モデル自治体による業務フロー" in first.text) == ("～2016年度", True)
    assert (second.period, "4.モデル自治体における試行" in second.text) == ("2017年度", True)
    assert third.period == "2018年度"


def test_000_regional_tables(seed000):
    assert period_of(seed000, ED_2015, "連携中枢都市圏制度開始(2015年1月") == ["2014・2015年度"]
    assert period_of(seed000, ED_2015, "2018年度にこれまでの") == ["2018年度"]
    assert period_of(seed000, ED_2015, "定住自立圏制度開始(2009年4月)") == ["2014・2015年度"]
    assert periods(seed000, 105) == [("～2016年度", "連携中枢都市圏制度開"), ("2017年度", "(注)連携中枢都市("),
                                     ("2018年度", "これまでの圏域形成に"), ("2019年度", "左記検証を踏まえつつ")]
    assert period_of(seed000, ED_2016, "圏域の形成について、以下の取組等を通じ推進・圏域形成") == ["2017年度"]


def test_000_whole_row_in_one_cell_spans_the_timeline(seed000):
    assert [p for p, _ in periods(seed000, 133)] == ["2014・2015年度～2020年度～"]
    assert [p for p, _ in periods(seed000, 134)] == ["2014・2015年度～2020年度～"]
    assert [p for p, _ in periods(seed000, 140)] == ["～2016年度～2020年度～"]
    assert [p for p, _ in periods(seed000, 141)] == ["～2016年度～2020年度～"]
    assert [p for p, _ in periods(seed000, 340)] == ["2014・2015年度～2020年度～"]


def test_000_it_tables_of_the_first_edition(seed000):
    assert periods(seed000, 181) == [("2014・2015年度", "eガバメント関係会議"), ("2016年度", "マイナンバー・個人番"),
                                     ("2017年度", "検討を踏まえた対応方"), ("2018年度", "左記対応方針の実施")]
    # printed three times; the printing read straight from its header (line 184) wins over the repeats
    # at line 221 (2017年度 there) and 264 (printed over two columns)
    assert period_of(seed000, ED_2015, "地方においてIT戦略等を推進する人材の育成やCIO") == ["2016年度"]
    assert period_of(seed000, ED_2015, "上記の諸施策の経済・財政効果") == ["2017年度"]


def test_000_cells_around_line_219_are_one_column_further_right():
    # the area label takes the header's first column and an empty lead-ministry column follows the first
    # period: without both corrections these cells were read a year (and two columns) late
    block = read_block(213, 223)
    assert periods(block, 219) == [("2014・2015年度", "eガバメント関係会議"), ("2016年度", "マイナンバー・個人番"),
                                   ("2017年度", "検討を踏まえた対応方"), ("2018年度", "左記対応方針の実施")]
    assert periods(block, 220) == [("2014・2015年度", "変革意欲のある自治体"), ("2016年度", "国・地方IT化・BP"),
                                   ("2017年度", "左記の結論について、"), ("2018年度", "左記に基づき引き続き")]
    assert periods(block, 222) == [("2016年度", "国と自治体等との情報"), ("2017年度", "上記の諸施策の経済・"),
                                   ("2018年度", "左記の結果を踏まえ、")]


def test_000_third_printing_of_the_first_edition_it_table():
    block = read_block(255, 267)
    assert periods(block, 263) == [("2014・2015年度", "地方公共団体のIT化"), ("2016年度", "政府CIO等によるア"),
                                   ("2017年度", "左記の結果を踏まえ、")]
    # printed in both the 2014・2015 and the 2016 column
    assert periods(block, 264) == [("2014・2015年度～2016年度", "地方においてIT戦略")]


def test_000_revised_it_tables(seed000):
    # the lower header row slipped a column left (2019年度 twice); the 2015–2016 study is ～2016年度
    # wherever the conversion repeated it (lines 194–198)
    assert periods(seed000, 193) == [("～2016年度", "○2016年度「国・"), ("～2016年度", "マイナンバーカードの"),
                                     ("2017年度", "検討を踏まえた対応方"), ("2018年度", "左記対応方針の実施")]
    revised = {s.period for s in item(seed000, "⑬").schedules if s.edition == ED_2016}
    assert "2019年度" not in revised
    assert periods(seed000, 235) == [("～2016年度", "マイナンバー制度の活"), ("2017年度", "経済・財政効果の検討")]
    assert periods(seed000, 232) == [("～2016年度", "地方においてIT戦略"), ("2017年度", "左記の結果を踏まえ、")]
    block = read_block(269, 281)
    assert periods(block, 277)[:3] == [("～2016年度", "マイナンバー制度の活"), ("2017年度", "経済・財政効果の検討"),
                                       ("2018年度", "左記検討結果に基づき")]
    # printed in both the ～2016 and the 2017 column
    assert periods(block, 275)[0] == ("～2016年度～2017年度", "地方においてIT戦略")


def test_000_government_systems_and_cloud_tables(seed000):
    assert period_of(seed000, ED_2015, "世界最先端IT国家創造宣言(平成26年") == ["2014・2015年度"]
    assert period_of(seed000, ED_2015, "左記の方針を踏まえ、引き続き取り組む") == ["2019年度"]
    assert periods(seed000, 312) == [("～2016年度", "2016年4月に各府"), ("2017年度", "政府情報システムのク"),
                                     ("2019年度", "左記を踏まえ、各府省")]
    # line 346: the cells right of the merged one lie on the header's KPI columns and are counted back from
    # the KPI cells; they are steps, not KPIs
    assert periods(seed000, 346) == [("～2016年度～2018年度", "○2010年度・20"), ("2019年度", "・クラウド化した団体"),
                                     ("2020年度～", "左記の要因の検証を踏")]


def test_000_offices_belong_to_the_table(seed000):
    # the 2016 edition prints one step twice, each row with an office cell of its own: each keeps its row's office
    # (the audit reports the difference, office_conflict)
    revised_cabinet = [s for i in seed000.items for s in i.schedules if s.source.line == 62]
    assert {tuple(s.offices) for s in revised_cabinet} == {("内閣府公共サービス改革推進室",)}
    again = [s for i in seed000.items for s in i.schedules if s.source.line == 63]
    assert {tuple(s.offices) for s in again} == {("総務省公共サービス改革推進室",)}
    assert [s.period for s in again] == [s.period for s in revised_cabinet] == ["～2016年度", "2017年度", "2018年度"]
    it_table = [s for s in item(seed000, "⑬").schedules if s.edition == ED_2015]
    assert {tuple(s.offices) for s in it_table} == {("内閣官房情報通信技術(IT)戦略室", "社会保障改革担当室", "総務省関係部局"),
                                                    ("内閣官房 情報通信技術(IT)戦略室", "社会保障改革担当室", "総務省関係部局")}


def test_000_schedule_kpis_without_target(seed000):
    municipalities = "以下の汎用性のある先進的改革に取り組む市町村数"
    for line in (21, 28):
        kpi = schedule_kpi(seed000, municipalities, line)
        assert (kpi.tier, kpi.targets, kpi.unit) == (1, [], "団体")
        assert kpi.reform_item == "民間の大胆な活用による適正な民間委託等の加速"
    social = schedule_kpi(seed000, "社会人口増減など(事後的に検証する指標)", 90)
    assert (social.tier, social.after_the_fact, social.targets) == (2, True, [])
    # "【事後的に検証する指標】" is a marker in target brackets, not a target
    cloud = schedule_kpi(seed000, "歳出効率化の成果(事後的に検証する指標)", 340)
    assert (cloud.tier, cloud.reform_item) == (2, "(地方)業務の簡素化・標準化、自治体クラウドの積極的展開")
    # the name's "(事後的に検証する指標)" is on the next row (line 183)
    effect = schedule_kpi(seed000, "マイナンバー制度の活用や国による地方自治体のIT化・BPR推進による経済・財政効果"
                                   "(事後的に検証する指標)", 182)
    assert effect.tier == 2
    assert seed000.meta["kpi_rows"] == 19 and seed000.meta["schedule_kpi_statements"] == 39


def test_000_schedule_kpis_join_their_status_rows(seed000):
    for schedule_name, line, status_name, status_line in (
            ("社会人口増減など(事後的に検証する指標)", 104, "社会人口増減など(事後的に検証する指標)", 127),
            ("歳出効率化の成果(事後的に検証する指標)", 21, "歳出効率化の成果(事後的に検証する指標)", 15),
            ("モデル自治体等において、法令等に則り窓口業務の委託を実施できている自治体数、委託により業務の効率化が"
             "図られている自治体数", 56,
             "モデル自治体等において法令等に則り窓口業務の委託を実施できている自治体数、委託により業務の効率化が"
             "図られている自治体数", 82),
            ("マイナンバー制度の活用や国による地方自治体のIT化・BPR推進による経済・財政効果", 193,
             "マイナンバー制度の活用や国による地方 自治体のIT化・BPR推進による経済・財 政効果(事後的に検証する指標)", 211)):
        kpi = schedule_kpi(seed000, schedule_name, line)
        status = row(seed000, strip_markers(status_name)[0], status_line)
        assert key_for("kpi", kpi.name) == key_for("kpi", status.name)
        assert kpi.tier == status.tier


def test_000_it_reform_kpi_is_first_tier_in_the_revision(seed000):
    # line 194 prints it in the 第二階層 column; the status table (line 210) rates it as first-tier
    assert statement(seed000, "左記の取組促進策等に沿ってIT化・BPRに取り組んだ自治体数", ED_2016).tier == 1


# -- seed 001: PDF text ---------------------------------------------------------

def test_001_rows(seed001):
    assert [(k.name, k.tier, [r.code for r in k.ratings]) for k in seed001.kpis] == [
        (GROUP_001, 1, []),
        ("①窓口業務のアウトソーシング【再掲】", 1, ["A"]),
        ("②総合窓口の導入【再掲】", 1, ["A"]),
        ("③庶務業務の集約化【再掲】", 1, ["A"]),
        ("④クラウド導入市区町村数【再掲】", 1, ["A"]),
        ("⑤地方公共団体の情報システム運用コスト【再掲】", 1, ["N"]),
        ("公共サービスイノベーションによる経済・財政効果(事後的に検証する指標)", 2, ["N"]),
        ("地方税の徴収率", 2, ["A"]),
    ]
    assert seed001.meta["kpi_rows"] == 8 and seed001.unplaced == []
    assert [k.parent for k in seed001.kpis] == [None] + [GROUP_001] * 5 + [None, None]
    assert all(k.markers == ["再掲"] for k in seed001.kpis[1:6])


def test_001_keeps_its_own_rating(seed001):
    # 000 rates the same figures B; each document's word is recorded as written
    outsourcing = row(seed001, "窓口業務のアウトソーシング")
    assert values(outsourcing) == (416, "団体", date(2021, 3, 31), 301, "団体", date(2017, 4, 1), "preliminary", ["A"])
    assert (outsourcing.source.line, outsourcing.source.line_end) == (23, 35)
    assert outsourcing.next_measurement == "2017年4月確報値は、2018年3月頃に公表"
    assert outsourcing.next_measurement_date == date(2018, 3, 1)
    assert values(row(seed001, "庶務業務の集約化")) == (
        286, "団体", date(2021, 3, 31), 413, "団体", date(2017, 4, 1), None, ["A"])
    cloud = row(seed001, "クラウド導入市区町村数")
    assert values(cloud) == (1000, "団体", date(2018, 3, 31), 948, "団体", date(2017, 4, 1), None, ["A"])
    assert cloud.next_measurement_date == date(2019, 3, 1)


def test_001_split_cells_and_dash_placeholders(seed001):
    cost = row(seed001, "地方公共団体の情報システム運用コスト")
    t = cost.targets[0]
    assert (t.relative_kind, t.relative_factor, t.unset, t.promised_by) == ("cut", 0.7, True, date(2019, 3, 31))
    assert cost.observations == [] and cost.next_measurement == "2018年度までに目標期限を設定予定"
    effect = row(seed001, "公共サービスイノベーションによる経済・財政効果(事後的に検証する指標)")
    assert (effect.targets, effect.observations, effect.after_the_fact) == ([], [], True)
    assert effect.next_measurement_date == date(2018, 3, 31)


def test_001_tax_collection_two_observations(seed001):
    tax = row(seed001, "地方税の徴収率")
    assert [(o.value, o.unit, o.as_of, o.status) for o in tax.observations] == [
        (98.9, "%", date(2015, 3, 31), None), (99.2, "%", date(2017, 3, 31), "forecast")]
    assert tax.baseline is None
    t = tax.targets[0]
    assert t.text.startswith("向上") and not t.unset and tax.direction == "up"
    assert tax.reform_item == "地方税における徴収対策の推進"


def test_001_items_follow_their_kpi_tables(seed001):
    assert [(i.number, i.name, i.source.line) for i in seed001.items] == [
        ("⑯", "公共サービスイノベーションに係る先進事例の全国展開", 103), ("⑰", "地方税における徴収対策の推進", 191)]
    assert {k.reform_item for k in seed001.kpis[:7]} == {"公共サービスイノベーションに係る先進事例の全国展開"}
    innovation = item(seed001, "⑯").steps
    assert [s.status_word for s in innovation] == ["順調", "順調", "順調"]
    assert [s.outlook for s in innovation] == ["2018年度も引き続き同様の取組を実施。"] * 3
    assert (innovation[0].source.line, innovation[0].source.line_end) == (110, 124)
    tax = item(seed001, "⑰").steps
    assert [(s.status_word, s.progress is None) for s in tax] == [("順調", False), (None, True), (None, True)]
    assert tax[1].step == "個人住民税の特別徴収の実施状況を把握、把握した実態に基づき自治体の取組の推進を助言"


# -- fixture documents ----------------------------------------------------------

def test_fixture_tabbed_rows_parent_and_dedupe():
    ex = rs.read(_fixture("tabbed.txt"))
    assert ex.meta["layout"] == "tab-separated" and ex.unplaced == []
    assert [r["line"] for r in ex.meta["repeated_kpi_rows"]] == [26, 27]
    assert [k.name for k in ex.kpis if k.parent == "窓口改革に取り組む市町村数"] == [
        "- 1 窓口業務のアウトソーシング", "- 2 総合窓口の導入", "庶務業務の集約化"]
    outcome = row(ex, "歳出効率化の成果(事後的に検証する指標)")
    assert outcome.tier == 2 and "総出" in outcome.source.text
    assert values(row(ex, "総合窓口の導入")) == (
        370, "団体", date(2021, 3, 31), 215, "団体", date(2017, 4, 1), "preliminary", ["B"])


def test_fixture_tabbed_six_column_table_and_html_cells():
    ex = rs.read(_fixture("tabbed.txt"))
    conbini = row(ex, "各種証明書のコンビニ交付の実施団体数(人口)")
    assert values(conbini) == (300, "団体", date(2017, 3, 31), 430, "団体", date(2017, 8, 31), None, ["A"])
    assert conbini.reform_item == "自治体のIT化の推進"
    unset = row(ex, "IT化・BPRに取り組んだ自治体数")
    assert (unset.tier, unset.targets[0].unset, unset.targets[0].promised_by) == (1, True, date(2017, 3, 31))
    assert [(o.value, o.text) for o in unset.observations] == [(None, "(参考)別の集計で152団体")]
    assert unset.organisation == "IT室"
    systems = row(ex, "政府情報システム数")
    assert (systems.tier, systems.observations[0].value, systems.observations[0].unit) == (1, 1117, "システム")
    assert systems.next_measurement_date is None and systems.policy_text == "2017年度末実績は翌年度末に把握。"
    assert ex.meta["areas"] == ["IT化と業務改革、行政改革等"]


def test_fixture_tabbed_steps_and_schedule():
    ex = rs.read(_fixture("tabbed.txt"))
    it = item(ex, "⑪")
    assert [(s.step, s.status_word) for s in it.steps] == [
        ("市町村の取組を調べて助言する", "順調"), ("都道府県を通じて周知する", "遅れ")]
    assert [(s.edition, s.period, s.text) for s in it.schedules] == [
        (ED_2015, "2014・2015年度", "助言の通知を出した"),
        (ED_2015, "2016年度", "モデル事業を行う"),
        (ED_2015, "2017年度", "成果を広げる"),
        (ED_2015, "2019年度", "全国に広げる"),
        (ED_2016, "～2016年度", "都道府県と組んで広げる"),
        (ED_2016, "2017年度", "聞き取りを行う"),
        (ED_2016, "2018年度", "助言を続ける"),
    ]
    assert it.schedules[0].offices == ["総務省自治行政局"]
    assert it.schedules[-1].offices == ["総務省自治行政局 地域力創造グループ"]
    pair = statement(ex, "総合窓口の導入", ED_2015)
    assert (pair.baseline.value, pair.baseline.as_of, pair.targets[0].value, pair.targets[0].deadline) == (
        185, date(2014, 10, 1), 370, date(2021, 3, 31))
    later = statement(ex, "コンビニ交付の実施団体数", ED_2016).targets[0]
    assert (later.unset, later.promised_by) == (True, date(2019, 3, 31))


def test_fixture_pdf_lines():
    ex = rs.read(_fixture("pdf_lines.txt"))
    assert ex.meta["layout"] == "pdf-lines" and ex.unplaced == []
    assert [(k.name, k.parent, [r.code for r in k.ratings]) for k in ex.kpis] == [
        ("窓口改革の進み具合を見るための指標", None, []),
        ("①窓口業務のアウトソーシング【再掲】", "窓口改革の進み具合を見るための指標", ["A"]),
        ("②地方公共団体の情報システム運用コスト【再掲】", "窓口改革の進み具合を見るための指標", ["N"]),
        ("窓口改革による経済・財政効果(事後的に検証する指標)", None, ["N"]),
        ("地方税の徴収率", None, ["A"]),
    ]
    assert values(ex.kpis[1]) == (416, "団体", date(2021, 3, 31), 301, "団体", date(2017, 4, 1), "preliminary", ["A"])
    assert [k.reform_item for k in ex.kpis] == ["窓口改革の全国展開"] * 4 + ["地方税の徴収対策の推進"]
    assert [o.value for o in ex.kpis[4].observations] == [98.9, 99.2]
    steps = item(ex, "⑯").steps
    assert [(s.step, s.status_word, s.outlook) for s in steps] == [
        ("会合を開いて事例を集める", "順調", "来年度も続ける。"), ("ホームページを更新する", None, None)]


def test_fixture_broken_tables_do_not_crash():
    ex = rs.read(_fixture("broken.txt"))
    # the header-only table gives nothing; the short row, the row with a bad 区分 and the
    # lines outside any table are unplaced; the row broken over two lines is joined
    assert [(s.line, s.line_end) for s in ex.unplaced] == [(14, None), (17, None), (19, None), (21, None)]
    assert [k.name for k in ex.kpis] == ["総合窓口の導入"]
    joined = ex.kpis[0]
    assert (joined.source.line, joined.source.line_end) == (15, 16)
    assert (joined.targets[0].value, joined.targets[0].deadline) == (370, date(2021, 3, 31))


def test_empty_and_unrelated_text_read_to_nothing():
    assert rs.read("").counts()["kpis"] == 0
    ex = rs.read("改革項目: 名前だけ\n\nKPIの状況\n")
    assert [i.name for i in ex.items] == ["名前だけ"] and ex.kpis == [] and ex.unplaced == []


# -- column placement: fixture and rules ------------------------------------------

@pytest.fixture(scope="module")
def placed():
    return rs.read(_fixture("columns.txt"))


def test_fixture_area_label_and_empty_ministry_column(placed):
    # the header's first column is a year, the rows open with an area label, and the column after the
    # first period is empty in every row
    assert periods(placed, 18) == [("2014・2015年度", "報告書をまとめた"), ("2016年度", "検討を行う(2015"),
                                   ("2017年度", "方針を決める"), ("2018年度", "方針を実施する")]
    assert placed.meta["areas"] == ["IT化と業務改革、行政改革等", "地方行政分野における改革"]


def test_fixture_slipped_header_row_and_self_dated_cells(placed):
    # the lower header row names 2019年度 a column left of the upper row; the study dated 2015–2016 is
    # ～2016年度 wherever it was printed (line 29 repeats it twice)
    assert periods(placed, 28) == [("～2016年度", "○2016年度報告書"), ("～2016年度", "検討を行う(2015"),
                                   ("2017年度", "方針を決める"), ("2018年度", "方針を実施する")]
    assert periods(placed, 29) == []


def test_fixture_merged_anchored_and_straddling_cells(placed):
    assert periods(placed, 36) == [("2014・2015年度～2018年度", "制度を始めた\n圏域づ"), ("2019年度", "結果を確かめる"),
                                   ("2020年度～", "左記の結果で進める")]
    assert periods(placed, 37) == [("2014・2015年度～2016年度", "同じ説明が二列に出る"), ("2017年度", "次に進める")]
    assert periods(placed, 38) == [("（列不明）", "手順を示す\n左記で続"), ("（列不明）", "次の手順")]


def test_fixture_offices_of_the_table_and_of_a_cell(placed):
    offices = {s.text[:6]: s.offices for s in item(placed, "⑫").schedules}
    assert offices["制度を始めた"] == ["総務省自治行政局"]  # the merged cell names its own
    assert offices["結果を確かめ"] == offices["同じ説明が二"] == ["総務省自治行政局", "総務省地域力創造グループ"]
    assert {tuple(s.offices) for s in item(placed, "⑪").schedules if s.edition == ED_2016} == {
        ("総務省自治行政局 地域力創造グループ",)}


def test_fixture_repeated_printing_keeps_the_straight_reading(placed):
    # line 20 reads 2014・2015年度 only through the area-column correction; line 47 prints the same
    # table straight, with the step under 2017年度
    assert period_of(placed, ED_2015, "上記の結果を確かめる") == ["2017年度"]
    assert [s.source.line for s in item(placed, "⑪").schedules if s.text == "上記の結果を確かめる"] == [47]
    assert period_of(placed, ED_2015, "方針を決める") == ["2017年度"]


def test_fixture_schedule_kpis(placed):
    heading = schedule_kpi(placed, "以下の改革に取り組む市町村数", 18)
    assert (heading.tier, heading.targets, heading.unit) == (1, [], "団体")
    advice = schedule_kpi(placed, "助言の件数", 18)
    assert (advice.targets[0].unset, advice.targets[0].promised_by, advice.targets[0].edition) == (
        True, date(2017, 3, 31), ED_2015)
    # the target of line 28's name is on line 29, and so is the marker of the outcome KPI beside it
    outsourcing = schedule_kpi(placed, "窓口業務のアウトソーシング", 29)
    assert (outsourcing.tier, outsourcing.targets[0].value, outsourcing.targets[0].edition) == (1, 416, ED_2016)
    outcome = schedule_kpi(placed, "歳出効率化の成果(事後的に検証する指標)", 28)
    assert (outcome.tier, outcome.after_the_fact, outcome.targets) == (2, True, [])
    assert placed.meta["kpi_rows"] == 3 and placed.meta["schedule_kpi_statements"] == 6


def test_span_joins_column_labels():
    assert columns.span("2016年度", "2018年度") == "2016年度～2018年度"
    assert columns.span("～2016年度", "2020年度～") == "～2016年度～2020年度～"
    assert columns.span("2019年度", "2019年度") == "2019年度"


def test_stated_years():
    assert columns.stated_years("方針を検討(2015年度～2016年度)") == (2015, 2016, True)
    assert columns.stated_years("2016～2018年度の各年度において実施") == (2016, 2018, True)
    assert columns.stated_years("○2015年度・2016年度 宣言を改定") == (2015, 2016, False)
    assert columns.stated_years("2018年度に検証を行う") == (2018, 2018, False)
    assert columns.stated_years("経費を助成(2017年度概算要求1.9億円)") == (2017, 2017, False)
    # a year the step builds on is not its own date
    assert columns.stated_years("2015年度中に行う検証を踏まえ、仕組みを作る") is None


def test_merged_cells():
    assert columns.is_merged(["制度を始めた", "左記を踏まえて広げる"])
    assert columns.is_merged(["改める", "改革期間を通じ、続ける"])
    assert columns.is_merged(["1. 調べる", "2. 整える", "1. 試す"])
    assert not columns.is_merged(["1. 調べる", "2. 整える"])
    assert not columns.is_merged(["左記の方針を踏まえ、続ける"])


def test_slipped_lower_header_row():
    upper = ["", "集中改革期間", "", "", "", "2019年度", "2020年度～", "KPI (第一階層)", "KPI (第二階層)"]
    lower = ["", "～2016年度", "2017年度", "2018年度", "2019年度", "", "", "", ""]
    assert columns.header_labels([upper, lower]) == (
        [None, "～2016年度", "～2016年度", "2017年度", "2018年度", "2019年度", "2020年度～", "KPI (第一階層)", "KPI (第二階層)"],
        True)
    lower_ok = ["", "～2016年度", "2017年度", "2018年度", "", "", "", "", ""]
    assert columns.header_labels([upper, lower_ok])[1] is False
