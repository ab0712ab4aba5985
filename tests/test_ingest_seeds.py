"""End to end on the five real seeds: every family loads, values as the documents state them, one canonical KPI
for the same KPI across documents, and each appearance keeps its own source."""
from datetime import date
from pathlib import Path

import pytest

from mieruka import storage
from mieruka.records.canonical import kpi_key
from mieruka.loading.documents import ingest_paths
from mieruka.storage.queries import case_rows, document_rows, kpi_rows, measure_rows

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    if not SEEDS.is_dir():
        pytest.skip("seed documents not found")
    url = f"sqlite:///{tmp_path_factory.mktemp('seeds') / 'seeds.db'}"
    reports = ingest_paths([SEEDS], url)
    with storage.session_scope(url) as s:
        data = {"kpis": {k["key"]: k for k in kpi_rows(s)}, "measures": measure_rows(s), "cases": case_rows(s),
                "documents": document_rows(s)}
    storage.dispose_engines()
    return reports, data


def test_every_seed_loads_with_its_family(loaded):
    reports, _ = loaded
    assert [(r.file.rsplit("/", 1)[1][:3], r.status, r.family) for r in reports] == [
        ("000", "loaded", "reform-schedule"), ("001", "loaded", "reform-schedule"),
        ("002", "loaded", "policy-evaluation"), ("003", "loaded", "measure-catalogue"),
        ("004", "loaded", "platform-presentation")]
    assert all(r.counts["unplaced"] == 0 for r in reports)


def test_same_kpi_across_documents_is_one_canonical_kpi(loaded):
    _, data = loaded
    cloud = data["kpis"][kpi_key("クラウド導入市区町村数")]
    # 003 (measure 46) states it with its own target: 約1,600団体 by 令和5年度末 (test_audit_measures.py)
    assert [d["file_name"][:3] for d in cloud["documents"]] == ["000", "001", "002", "003", "004"]
    values = sorted((o["as_of"], o["value"], o["source"]["document"][:3]) for o in cloud["observations"])
    assert (date(2017, 4, 1), 948, "001") in values
    assert (date(2017, 4, 1), 950, "002") in values
    assert (date(2018, 4, 1), 1067, "002") in values
    outsourcing = data["kpis"][kpi_key("窓口業務のアウトソーシング")]
    assert [d["file_name"][:3] for d in outsourcing["documents"]] == ["000", "001", "004"]
    ratings = sorted((r["source"]["document"][:3], r["code"]) for r in outsourcing["ratings"])
    assert ratings == [("000", "B"), ("001", "A")]
    assert {a["source"]["document"][:3] for a in outsourcing["appearances"]} == {"000", "001", "004"}
    assert any("再掲" in a["markers"] for a in outsourcing["appearances"])


def test_group_kpi_is_one_kpi_under_its_status_and_schedule_wordings(loaded):
    """The group KPI over 窓口業務のアウトソーシング etc.: "…など汎用性のある先進的な改革に取り組む市町村数" in the
    status tables, "以下の汎用性のある先進的改革に取り組む市町村数" in the 2015 and 2016 schedule tables."""
    _, data = loaded
    group = data["kpis"][kpi_key("窓口業務のアウトソーシングなど汎用性のある先進的な改革に取り組む市町村数")]
    assert [(a["source"]["line"], a["name"][:4]) for a in group["appearances"]] == [(11, "窓口業務"), (21, "以下の汎"),
                                                                                   (28, "以下の汎")]
    assert not [k for k in data["kpis"].values() if k["name"].startswith("以下の")]
    children = {k["name"] for k in data["kpis"].values() if k["parent_id"] == group["id"]}
    assert children == {"窓口業務のアウトソーシング", "総合窓口の導入", "庶務業務の集約化"}
    # 32 KPIs the documents name, the second measure of コンビニ交付 (the population its bodies cover), and the part of
    # クラウド導入市区町村数 the catalogue (003 l.82) counts on its own (「うち自治体クラウド導入団体は約1,100団体」)
    assert len(data["kpis"]) == 34


def test_a_general_name_is_one_kpi_only_within_its_reform_item(loaded):
    """歳出効率化の成果 is measured for ⑪ 窓口業務 (status lines 15 and 83, schedule lines 21 and 28) and for ⑮ 自治体クラウド (schedule lines 340, 346)."""
    _, data = loaded
    found = sorted((k["reform_item"], sorted({a["source"]["line"] for a in k["appearances"]}))
                   for k in data["kpis"].values() if k["name"].startswith("歳出効率化の成果"))
    assert [(item[:6], lines) for item, lines in found] == [("(地方)業務", [340, 346]), ("民間の大胆な", [15, 21, 28, 83])]


def test_kpi_status_values_as_stated(loaded):
    _, data = loaded
    k = data["kpis"][kpi_key("窓口業務のアウトソーシング")]
    t = next(t for t in k["targets"] if t["source"]["document"].startswith("000") and t["edition"] is None)
    assert (t["value"], t["unit"], t["deadline"]) == (416, "団体", date(2021, 3, 31))
    o = next(o for o in k["observations"] if o["source"]["document"].startswith("000"))
    assert (o["value"], o["as_of"], o["status"]) == (301, date(2017, 4, 1), "preliminary")
    systems = data["kpis"][kpi_key("政府情報システム数")]
    assert any(t["relative"] and t["relative"]["factor"] == 0.5 for t in systems["targets"])
    # l.332: 1117 (2016年度末), and the printed 2018年度までに894システムの減(62%減)の見込み: 1,450 − 894 = 556 by FY2018;
    # the 2015 and 2016 editions' statements (l.301 約63%, l.313 約6割 of 1,450) expect 536.5 and 580 by then
    assert sorted((o["value"], o["as_of"], o["status"], o["source"]["line"]) for o in systems["observations"]) == [
        (536.5, date(2019, 3, 31), "forecast", 301), (556, date(2019, 3, 31), "forecast", 332),
        (580, date(2019, 3, 31), "forecast", 313), (1117, date(2017, 3, 31), None, 332)]
    unset = data["kpis"][kpi_key("IT化・BPRに取り組んだ自治体数")]
    assert any(t["unset"] and t["promised_by"] == date(2017, 3, 31) for t in unset["targets"])
    assert [r["code"] for r in unset["ratings"]] == ["F"]
    # an 実績値 cell that is a sentence is listed with its words and no value, on its own line
    outcome = data["kpis"][kpi_key("社会人口増減など(事後的に検証する指標)")]
    assert [(o["value"], o["as_of"], o["source"]["line"]) for o in outcome["observations"]] == [
        (None, None, 127), (None, None, 159)]
    assert [o["text"][:9] for o in outcome["observations"]] == ["連携中枢都市圏ビジ", "共生ビジョンを策定"]


def test_policy_indicators_with_yearly_actuals(loaded):
    _, data = loaded
    hours = data["kpis"][kpi_key("電子決裁に要する期間")]
    assert hours["direction"] == "down"
    assert [o["value"] for o in hours["observations"]] == [56.9, 58.7, 60.3]
    assert [r["code"] for r in hours["ratings"]] == ["ハ"]
    final = [t for t in hours["targets"] if not t["interim"]]
    assert [(t["value"], t["comparator"], t["deadline"]) for t in final] == [(32, "le", date(2019, 3, 31))]


def test_indicator_with_two_target_rows_is_one_kpi(loaded):
    """002 indicator 2 states the FY2018 target and, on a second row, the FY2021 one (2x FY2016)."""
    _, data = loaded
    egov = [k for k in data["kpis"].values() if k["name"].startswith("電子政府の総合窓口(e-Gov)へのアクセス件数")]
    assert [k["name"] for k in egov] == ["電子政府の総合窓口(e-Gov)へのアクセス件数"]
    [k] = egov
    assert [(a["source"]["document"][:3], a["source"]["line"]) for a in k["appearances"]] == [("002", 34), ("002", 36)]
    assert (k["baseline"]["value"], k["baseline"]["as_of"]) == (412_533_000, date(2016, 3, 31))
    assert [(t["value"], t["deadline"], t["source"]["line"]) for t in k["targets"] if not t["interim"]] == [
        (534_521_000, date(2019, 3, 31), 34), (1_154_547_000, date(2022, 3, 31), 36)]
    assert [(o["value"], o["as_of"]) for o in k["observations"]] == [
        (577_273_000, date(2017, 3, 31)), (821_737_000, date(2018, 3, 31)), (1_506_096_000, date(2019, 3, 31))]
    assert [(r["code"], r["source"]["line"]) for r in k["ratings"]] == [("イ", 34), ("イ", 36)]
    assert sum(1 for x in data["kpis"].values() if any(d["file_name"][:3] == "002" for d in x["documents"])) == 10


def test_measures_and_cases(loaded):
    _, data = loaded
    assert [m["no"] for m in data["measures"]] == list(range(1, 83))
    ebina = next(c for c in data["cases"] if c["municipalities"] == ["神奈川県海老名市"])
    assert [(e["amount_yen"], e["change_percent"], e["period_years"]) for e in ebina["effects"][:2]] == [
        (50_000_000, -24.0, 1), (19_000_000, -20.0, 1)]
    okazaki = next(c for c in data["cases"] if "愛知県岡崎市" in c["municipalities"])
    assert okazaki["municipalities"] == ["愛知県岡崎市", "愛知県豊橋市"]
    assert [(e["amount_yen"], e["change_percent"], e["period_years"]) for e in okazaki["effects"]] == [
        (508_000_000, -46.0, 5), (1_097_000_000, -45.0, 5)]


def test_ministry_and_pillar_spellings_are_one_facet_each(loaded):
    """003 writes 経産省 once beside 経済産業省, three spellings of 関係府省庁, and one pillar in two wordings."""
    from collections import Counter

    _, data = loaded
    ministries = Counter(mn["name"] for ms in data["measures"] for mn in ms["ministries"])
    assert (ministries["経済産業省"], ministries["関係府省庁"]) == (16, 12)
    assert not {"経産省", "関係府省", "関係省庁"} & ministries.keys()
    pillars = Counter(ms["pillar"] for ms in data["measures"])
    assert pillars["情報システムに係る規格の整備及び互換性の確保等"] == 17
    assert len([p for p in pillars if p]) == 7


def test_terminal_tables_show_figures_not_nested_lists(loaded):
    from mieruka.cli.ingest import _case_line, _kpi_line, _measure_line
    from mieruka.export.shapes import case_listing, kpi_listing, measure_listing

    _, data = loaded
    lines = {k["name"]: _kpi_line(k) for k in kpi_listing(list(data["kpis"].values()))}
    outsourcing = lines["窓口業務のアウトソーシング"]
    assert outsourcing["baseline"] == "208団体 2014年10月（平成26年10月）"
    assert outsourcing["target"] == "2020年度までに416団体 ほか4件"
    assert outsourcing["actual"] == "301団体 2017年4月（平成29年4月）（速報値）"
    assert (outsourcing["ratings"], outsourcing["documents"]) == ("公表B(000:12) 公表A(001:32)", "000 001 004")
    cost = lines["政府情報システム運用コスト"]
    assert (cost["baseline"][:7], cost["actual"][:7]) == ("4,000億円", "3,743億円")
    egov = lines["電子政府の総合窓口(e-Gov)へのアクセス件数"]
    assert (egov["actual"], egov["ratings"]) == ("1,506,096,000件 2018年度（平成30年度）", "公表イ(002:34) 公表イ(002:36)")  # the 30年度 column
    assert egov["target"] == "1,154,547千件 (平成28年度実績値比2倍) 【33年度】 ほか4件"
    assert lines["各種証明書のコンビニ交付の利用件数"]["actual"] == ""
    [m14] = [_measure_line(m) for m in measure_listing(data["measures"]) if m["no"] == 14]
    assert (m14["effects"], m14["ministries"]) == ("行政の効率化・地域の活性化", "◎内閣官房、全府省庁")
    ebina = next(_case_line(c) for c in case_listing(data["cases"]) if c["title"] == "神奈川県海老名市")
    assert ebina["effects"] == "5,000万円 ▲24% 1年間 / 1,900万円 ▲20% 1年間 / 市民の満足度が向上。"


def test_documents_listing(loaded):
    _, data = loaded
    docs = data["documents"]
    assert [d["family"] for d in docs] == ["reform-schedule", "reform-schedule", "policy-evaluation",
                                           "measure-catalogue", "platform-presentation"]
    assert all(len(d["sha256"]) == 64 for d in docs)
    assert docs[3]["counts"]["measures"] == 82


def test_cases_link_to_local_bodies(loaded):
    reports, data = loaded
    ebina = next(c for c in data["cases"] if c["municipalities"] == ["神奈川県海老名市"])
    assert ebina["body_codes"] == ["142158"]
    okazaki = next(c for c in data["cases"] if "愛知県岡崎市" in c["municipalities"])
    assert okazaki["body_codes"] == ["232025", "232017"]
    unresolved = {u["name"] for u in reports[4].unresolved_bodies}
    assert unresolved == {"群馬県東部水道企業団", "埼玉県町村会"}
