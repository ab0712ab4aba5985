"""What the documents hold beyond one figure per KPI (issue 11, classes 6, 7, 9 and 10): the population a count of bodies
covers as a second measure, the national catalogue's statements of known KPIs, dates as printed, and the audit kinds tier_conflict and percent_mismatch — on the seeds,
and on two small documents written for these tests with the same shape and other numbers (fixtures/measures)."""
from datetime import date
from pathlib import Path

import pytest

from mieruka import storage
from mieruka.evaluate import schemes
from mieruka.evaluate.audit import audit
from mieruka.ingest.readers import reform_schedule as rs
from mieruka.loading.documents import ingest_paths
from mieruka.storage.queries import kpi_rows

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
FIXTURES = Path(__file__).parent / "fixtures" / "measures"
A, B = "000_e89baf27ea3ff1c4.txt", "001_e45c8b7264fa866c.txt"
FA, FB, FC = "measures_a.txt", "measures_b.txt", "measures_c.txt"
CONBINI = "各種証明書のコンビニ交付の実施団体数(人口)"
POPULATION = CONBINI + ":実施団体の人口"  # as stored (NFKC): the reader names it 「…(人口)：実施団体の人口」


def _audit(paths, tmp_path_factory, name):
    url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'db.sqlite'}"
    ingest_paths(paths, url)
    with storage.session_scope(url) as s:
        rows = kpi_rows(s)
    found = audit(rows, [schemes.load(n) for n in schemes.available()], date(2025, 1, 1))
    storage.dispose_engines()
    return {k["name"]: k for k in rows}, found


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    return _audit([SEEDS], tmp_path_factory, "seeds")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return _audit([FIXTURES / FA, FIXTURES / FB, FIXTURES / FC], tmp_path_factory, "small")


def _one(findings, kind, kpi):
    hits = [f for f in findings if f.kind == kind and f.kpi == kpi]
    assert len(hits) == 1, (kind, kpi, [(f.kind, f.kpi) for f in findings])
    return hits[0]


def _cited(finding):
    return {(s["document"], s["line"]) for s in finding.sources}


def _kpi(ex, name, line):
    hits = [k for k in ex.kpis if k.name == name and k.source.line == line]
    assert len(hits) == 1, [(k.name, k.source.line) for k in ex.kpis]
    return hits[0]


# -- class 6: the population as a second measure ---------------------------------------------------

def test_seed_population_target_and_actual_are_kept():
    if not SEEDS.is_dir():
        pytest.skip("seed documents not found")
    ex = rs.read((SEEDS / A).read_text(encoding="utf-8"))
    name = CONBINI + "：実施団体の人口"
    row = _kpi(ex, name, 209)  # 「2016年度中に 300団体(実施 団体の人口 6000万人)」「430団体、約7,693万人 (2017年8月31日時 点)」
    assert (row.parent, row.unit, row.tier, row.ratings) == (CONBINI, "人", 1, [])
    assert [(t.value, t.deadline, t.edition) for t in row.targets] == [(60_000_000, date(2017, 3, 31), None)]
    # the date printed after both values belongs to both
    assert [(o.value, o.as_of, o.as_of_precision, o.status) for o in row.observations] == [
        (76_930_000, date(2017, 8, 31), "day", None), (85_400_000, date(2018, 3, 31), "fiscal_year", "forecast")]
    schedule = _kpi(ex, name, 194)  # 「【2018年度中に300団体(実施団体の人口8000万人)】」 in the 2016 edition's table
    assert [(t.value, t.deadline, t.edition) for t in schedule.targets] == [
        (80_000_000, date(2019, 3, 31), "経済・財政再生計画 改革工程表 2016改定版")]
    # the count keeps its own figures
    count = _kpi(ex, CONBINI, 209)
    assert [(o.value, o.unit) for o in count.observations] == [(430, "団体"), (508, "団体")]  # 508: the 2017年度 見込み
    assert ex.meta["kpi_rows"] == 19  # a second measure is no row of the document's own


def test_seed_population_targets_conflict(seeds):
    kpis, found = seeds
    population = kpis[POPULATION]
    assert population["parent_id"] == kpis[CONBINI]["id"]
    f = _one(found, "target_conflict", POPULATION)
    assert f.message == (f"目標が食い違う: 6,000万人(2016年度末)（{A} 209行）と8,000万人(2018年度末)（{A} 194行（2016-12-21版））"
                         "（どちらも同じ300団体の目標に添えた値）")
    assert _cited(f) == {(A, 194), (A, 209)}
    assert "(both printed beside the same target of 300 bodies)" in f.message_en


def test_small_document_population_measure(small):
    kpis, found = small
    population = kpis[POPULATION]
    assert [(t["value"], t["deadline"]) for t in population["targets"]] == [
        (50_000_000, date(2019, 3, 31)), (70_000_000, date(2021, 3, 31))]
    assert [(o["value"], o["as_of"]) for o in population["observations"]] == [(64_200_000, date(2018, 9, 30))]
    f = _one(found, "target_conflict", POPULATION)
    assert f.message == (f"目標が食い違う: 5,000万人(2018年度末)（{FA} 9行）と7,000万人(2020年度末)（{FA} 30行（2016-12-21版））"
                         "（どちらも同じ250団体の目標に添えた値）")
    assert _cited(f) == {(FA, 9), (FA, 30)}


# -- class 10: tiers and printed percentages ----------------------------------------------------------

def test_seed_tier_conflict(seeds):
    _, found = seeds
    f = _one(found, "tier_conflict", "地方公共団体の情報システム運用コスト")
    # 000 prints it in the KPI (第二階層) column of both editions' tables; 001 in its first-tier status table
    assert f.message == f"資料によって階層が異なる: {B} 73行は第一階層、{A} 340行・{A} 346行は第二階層"
    assert _cited(f) == {(A, 340), (A, 346), (B, 73)}
    assert len([f for f in found if f.kind == "tier_conflict"]) == 1


def test_small_document_tier_conflict(small):
    _, found = small
    f = _one(found, "tier_conflict", "地方の情報システム運用コスト")
    assert f.message == f"資料によって階層が異なる: {FB} 9行は第一階層、{FA} 10行は第二階層"
    assert _cited(f) == {(FA, 10), (FB, 9)}


def test_seed_percent_that_does_not_follow_from_the_amounts(seeds):
    _, found = seeds
    # 000 l.325: 「運用コストについては…1104億円の削減(2013年度比で29%減)」 — 1,104 of 4,000億円 is 27.6 %
    f = _one(found, "percent_mismatch", "政府情報システム運用コスト")
    assert f.message == (f"「1104億円の削減(2013年度比で29%減)」（{A} 325行）: 基準4,000億円（{A} 301行）に対し"
                         "1,104億円は27.6%で、29%にならない")
    assert _cited(f) == {(A, 325), (A, 301), (A, 313), (A, 333)}
    # 「894システムの減(2012年度比で62%減)」 (l.325, l.332): 894 of 1,450 is 61.7 %, which rounds to 62 %
    assert len([f for f in found if f.kind == "percent_mismatch"]) == 1


def test_small_document_percent_mismatch(small):
    _, found = small
    f = _one(found, "percent_mismatch", "地方の情報システム運用コスト")
    assert f.message == (f"「150億円の削減(2014年度比で20%減)」（{FA} 18行）: 基準900億円（{FA} 10行）に対し"
                         "150億円は16.7%で、20%にならない")
    assert (FA, 18) in _cited(f) and (FA, 10) in _cited(f)
    # 300 of 500システム is the printed 60 %
    assert [f.kpi for f in found if f.kind == "percent_mismatch"] == ["地方の情報システム運用コスト"]


# -- class 9: no date where the document prints none --------------------------------------------------

def test_seed_undated_actual_is_said_to_be_undated(seeds):
    _, found = seeds
    f = _one(found, "stale", "標準委託仕様書等を使用するモデル自治体数")
    # 「4団体(各自治体の申入れにより下方修正)」 prints no date: the document's date stands in, and the finding says so
    assert f.message.endswith(f"最新の実績は4団体(日付の記載なし、資料の日付2017-10-01で扱う、{A} 81行)")


# -- class 7: the catalogue's statements of KPIs mieruka knows -----------------------------------------

def test_seed_catalogue_statements_are_linked_to_known_kpis(seeds):
    kpis, _ = seeds
    cloud = [t for t in kpis["クラウド導入市区町村数"]["targets"] if t["source"]["document"].startswith("003")]
    # measure 46: 「クラウド導入市区町村数(令和5年度末までに約1,600団体、うち自治体クラウド導入団体は約1,100団体)」
    assert [(t["value"], t["deadline"], t["deadline_precision"], t["source"]["line"]) for t in cloud] == [
        (1600, date(2024, 3, 31), "fiscal_year", 82)]
    cost = [t for t in kpis["地方公共団体の情報システム運用コスト"]["targets"] if t["source"]["document"].startswith("003")]
    # measure 48 names no KPI in the cell; its name 「…運用コスト等の削減」 does: 令和5年度を目途に3割削減(平成27年度比…)
    assert [(t["value"], t["deadline"], t["relative"]["factor"], t["relative"]["base_fiscal_year"]) for t in cost] == [
        (None, date(2024, 3, 31), 0.7, 2015)]
    # a statement of a KPI mieruka does not know makes no KPI (電子化した手続の数, measure 11)
    assert "電子化した手続の数" not in kpis


def test_seed_catalogue_revisions(seeds):
    _, found = seeds
    revised = {f.kpi: f for f in found if f.kind == "target_revised" and "003_" in f.message}
    assert sorted(revised) == ["クラウド導入市区町村数", "地方公共団体の情報システム運用コスト"]
    cloud = revised["クラウド導入市区町村数"]
    assert cloud.message == ("004_61602f91609cf434.txt 99行（2017-07-07）の1,000団体(2017年度末)から、003_3c7fc59f76fc2acb.txt 82行"
                             "（日付の記載なし、令和の年号を用いるので2019-05-01以降）の1,600団体(2023年度末)へ: "
                             "目標値が引き上げられた（厳しくなった）、期限が延ばされた")
    assert _cited(cloud) == {("004_61602f91609cf434.txt", 99), ("003_3c7fc59f76fc2acb.txt", 82)}
    cost = revised["地方公共団体の情報システム運用コスト"]
    # 001 l.76 「３割圧縮（目標期限を集中改革期間中に設定）」: the period promised there, given by the catalogue
    assert cost.message.startswith(f"{B} 76行（2017-04-01）の未設定（2018年度末までに設定予定）から、003_3c7fc59f76fc2acb.txt 84行")
    assert cost.message.endswith("へ: 設定予定とされた目標の期限が2023年度末と示された（設定予定の2018年度末より後の資料）")
    assert _cited(cost) == {(B, 76), ("003_3c7fc59f76fc2acb.txt", 84)}


def test_small_catalogue_links_and_revisions(small):
    kpis, found = small
    assert "未知の指標" not in kpis
    revised = {f.kpi: f for f in found if f.kind == "target_revised"}
    cloud = revised["クラウド導入市区町村数"]
    assert cloud.message == (f"{FA} 12行（2018-09-30）の800団体(2019年度末)から、{FC} 6行（日付の記載なし、令和の年号を用いるので"
                             "2019-05-01以降）の1,300団体(2023年度末)へ: 目標値が引き上げられた（厳しくなった）、期限が延ばされた")
    cost = revised["地方の業務システム運用コスト"]
    assert cost.message.endswith("へ: 設定予定とされた目標の期限が2024年度末と示された（設定予定の2018年度末より後の資料）")
    assert _cited(cost) == {(FA, 11), (FC, 5)}


def _statements(path):
    from mieruka.ingest.readers import measure_catalogue as mc

    ex = mc.read(path.read_text(encoding="utf-8"))
    return [(k.name, k.parent, t.value, t.unit, t.deadline, t.deadline_precision, t.text)
            for ms in ex.measures for k in ms.kpi_statements for t in k.targets]


def test_seed_catalogue_cell_naming_several_kpis_keeps_each_with_its_own_figure_and_date():
    if not SEEDS.is_dir():
        pytest.skip("seed documents not found")
    found = _statements(SEEDS / "003_3c7fc59f76fc2acb.txt")
    fy = "fiscal_year"
    # l.31 measure 15: 「地方公共団体向け研修開催回数(令和元年度に34回)推奨データセットとして定義したセット数(令和元年度に4セット)」
    assert ("推奨データセットとして定義したセット数", None, 4, "セット", date(2020, 3, 31), fy, "令和元年度に4セット") in found
    assert ("地方公共団体向け研修開催回数", None, 34, "回", date(2020, 3, 31), fy, "令和元年度に34回") in found
    # l.112 measure 64: 「Lアラートの導入都道府県数(令和元年度当初47都道府県) Lアラート高度化システムの導入都道府県数(令和2年度末15都道府県)」
    assert ("Lアラート高度化システムの導入都道府県数", None, 15, "都道府県", date(2021, 3, 31), fy, "令和2年度末15都道府県") in found
    # l.99 measure 58: two names and two figures in one bracket, the year printed before the first belonging to both
    assert [x[:5] for x in found if x[6].startswith("令和元年度までに") and "数4" in x[6] or x[0] == "参加団体数"] == [
        ("参加団体数", None, 40, None, date(2020, 3, 31))]
    assert ("循環システムの形成により作成提供される分野数", None, 10, None, date(2020, 3, 31), fy, "令和元年度までにデータ分野数10") in found
    # l.59 「光ファイバ未整備世帯数(2017年度末時点で約98万世帯)の減少」: the bracket is part of the sentence, not a target
    assert not [x for x in found if x[0].startswith("光ファイバ")]
    # l.33: 「オープン化されたデータ数(年間数百TB程度…)、データへのアクセス数(年間一万件程度)」: 一万件 is the second KPI's
    assert [x[:3] for x in found if "データ数" in x[0] or "アクセス数" in x[0]] == [("データへのアクセス数", None, 10000)]


def test_seed_catalogue_target_keeps_its_uchi_part_as_a_second_measure(seeds):
    kpis, _ = seeds
    # l.82 measure 46: 「クラウド導入市区町村数(令和5年度末までに約1,600団体、うち自治体クラウド導入団体は約1,100団体)」
    part = kpis["クラウド導入市区町村数:うち自治体クラウド導入団体"]
    assert (part["unit"], part["parent_id"]) == ("団体", kpis["クラウド導入市区町村数"]["id"])
    assert [(t["value"], t["deadline"], t["deadline_precision"], t["source"]["document"], t["source"]["line"])
            for t in part["targets"]] == [(1100, date(2024, 3, 31), "fiscal_year", "003_3c7fc59f76fc2acb.txt", 82)]
    whole = [t["value"] for t in kpis["クラウド導入市区町村数"]["targets"] if t["source"]["document"].startswith("003")]
    assert whole == [1600]


def test_small_catalogue_several_kpis_in_a_cell_and_the_uchi_part(small):
    found = _statements(FIXTURES / FC)
    fy = "fiscal_year"
    assert [x for x in found if x[0] in ("研修開催回数", "公開データセット数", "分野数", "参加団体数")] == [
        ("研修開催回数", None, 12, "回", date(2021, 3, 31), fy, "令和2年度に12回"),
        ("公開データセット数", None, 6, "セット", date(2021, 3, 31), fy, "令和2年度に6セット"),
        ("分野数", None, 8, None, date(2021, 3, 31), fy, "令和2年度までにデータ分野数8"),
        ("参加団体数", None, 30, None, date(2021, 3, 31), fy, "令和2年度までに参加団体数30")]
    kpis, _ = small
    part = kpis["クラウド導入市区町村数:うち自治体クラウド導入団体"]
    assert [(t["value"], t["deadline"], t["source"]["line"]) for t in part["targets"]] == [(900, date(2024, 3, 31), 6)]
    assert part["parent_id"] == kpis["クラウド導入市区町村数"]["id"]
    assert "研修開催回数" not in kpis  # a statement of a KPI mieruka does not know still makes none


def test_seed_date_printed_after_several_statements_belongs_to_each():
    if not SEEDS.is_dir():
        pytest.skip("seed documents not found")
    ex = rs.read((SEEDS / A).read_text(encoding="utf-8"))
    # l.22: 「(1)窓口業務のアウトソーシング【208⇒416】 総合窓口の導入【185⇒370】 … (いずれも2014年10月現在⇒2020年度)」
    rows = [k for k in ex.kpis if k.source.line == 22 and k.baseline is not None]
    assert [(k.baseline.value, k.baseline.as_of, k.baseline.as_of_precision) for k in rows] == [
        (208, date(2014, 10, 1), "month"), (185, date(2014, 10, 1), "month"), (143, date(2014, 10, 1), "month")]
    assert {(t.deadline, t.deadline_precision) for k in rows for t in k.targets} == {(date(2021, 3, 31), "fiscal_year")}


def test_small_document_date_printed_after_the_statements():
    ex = rs.read((FIXTURES / FA).read_text(encoding="utf-8"))
    window = _kpi(ex, "窓口業務のアウトソーシング", 30)  # 【150⇒300】 (いずれも2015年6月現在⇒2021年度)
    assert (window.baseline.value, window.baseline.as_of, window.baseline.as_of_precision) == (150, date(2015, 6, 1), "month")
    assert [(t.value, t.deadline, t.deadline_precision) for t in window.targets] == [(300, date(2022, 3, 31), "fiscal_year")]
    # the コンビニ交付 statement in the same cell keeps its own deadline and has no baseline to date
    conbini = _kpi(ex, CONBINI, 30)
    assert conbini.baseline is None and [t.deadline for t in conbini.targets] == [date(2021, 3, 31)]


# -- class 10: offices that differ for one schedule row -------------------------------------------------

def test_seed_office_conflict(seeds):
    _, found = seeds
    offices = [f for f in found if f.kind == "office_conflict"]
    assert len(offices) == 1  # 「内閣官房 情報通信技術(IT)戦略室」 and 「内閣官房情報通信技術(IT)戦略室」 (l.182, l.262) are one office
    f = offices[0]
    # the 2016 edition prints the step twice, l.62 under 《内閣府公共サービス改革推進室》 and l.63 under 《総務省…》
    assert (f.kpi_id, f.kpi) == (None, "民間の大胆な活用による適正な民間委託等の加速")
    assert f.message.startswith("経済・財政再生計画 改革工程表 2016改定版の同じ工程「《総務省業務改革モデルプロジェクトとの連携》")
    assert f.message.endswith(f"（～2016年度・2017年度・2018年度）の担当府省庁が異なる: {A} 62行は《内閣府公共サービス改革推進室》、"
                              f"{A} 63行は《総務省公共サービス改革推進室》")
    assert _cited(f) == {(A, 62), (A, 63)}


def test_small_document_office_conflict(small):
    _, found = small
    offices = [f for f in found if f.kind == "office_conflict"]
    assert [(f.kpi, f.message) for f in offices] == [(
        "自治体の証明書交付の推進",
        f"経済・財政再生計画 改革工程表 2016改定版の同じ工程「委託の手引を配る…」（2018年度）の担当府省庁が異なる: "
        f"{FA} 32行は《内閣府業務改革推進室》、{FA} 33行は《総務省業務改革推進室》")]
    assert _cited(offices[0]) == {(FA, 32), (FA, 33)}


# -- docs/evaluate.md lists every finding on the seeds ---------------------------------------------------

def test_docs_list_every_finding_on_the_seeds():
    """The doc's table is scripts/seed_findings.py's output for 2025-01-01: every finding with every line it cites."""
    if not SEEDS.is_dir():
        pytest.skip("seed documents not found")
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "scripts" / "seed_findings.py"
    spec = importlib.util.spec_from_file_location("seed_findings", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = (Path(__file__).resolve().parents[1] / "docs" / "evaluate.md").read_text(encoding="utf-8")
    section = doc.split(module.START, 1)[1].split(module.END, 1)[0].strip()
    found = module.findings(SEEDS, date(2025, 1, 1))
    assert section == module.table(found)
    assert len(found) == 31 and section.count("\n| ") == 31


def test_a_second_figure_in_people_is_not_a_population_unless_the_document_says_so():
    text = (FIXTURES / FA).read_text(encoding="utf-8").replace(
        "第一階層 クラウド導入市区町村数\t2019年度までに約800団体\t620団体 (2018年4月1日)",
        "第一階層 研修を受けた団体数\t2019年度までに約800団体\t620団体、3,100人 (2018年4月1日)")
    ex = rs.read(text)
    trained = _kpi(ex, "研修を受けた団体数", 12)
    assert [(o.value, o.unit, o.as_of) for o in trained.observations] == [(620, "団体", date(2018, 4, 1))]
    assert not [k for k in ex.kpis if k.parent == "研修を受けた団体数"]
    assert [m["kpi"] for m in ex.meta["second_measures"]] == [CONBINI, CONBINI]


def test_small_document_undated_actual_is_said_to_be_undated(small):
    kpis, found = small
    model = kpis["モデル自治体数"]
    assert [(o["value"], o["as_of"]) for o in model["observations"]] == [(6, None)]  # stored without a date
    f = _one(found, "stale", "モデル自治体数")
    # measures_a.txt is dated by its latest actual (390団体 on 2018-09-30); the finding says the 6 took that date
    assert f.message.endswith(f"最新の実績は6団体(日付の記載なし、資料の日付2018-09-30で扱う、{FA} 39行)")
