"""Bottom-up KPIs: counts and rates per prefecture and nationally over 1,741 municipalities, and the audit
finding when the survey disagrees with the figure a document published for the same date."""
from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import app
from mieruka.cli import municipalities as _commands  # noqa: F401  (registers the commands)
from mieruka.bodies import registry
from mieruka.evaluate import bottom_up
from mieruka.municipalities.importing import import_survey
from mieruka.storage import local_bodies as store
from mieruka.storage import models as m
from mieruka.storage import search
from mieruka.storage.load import add_document

AS_OF = date(2017, 4, 1)
COUNTS = [
    {"import_id": 7, "as_of": AS_OF, "file_name": "s.csv", "prefecture_code": "13", "adopted": 10, "answered": 40},
    {"import_id": 7, "as_of": AS_OF, "file_name": "s.csv", "prefecture_code": "14", "adopted": 5, "answered": 20},
]


def test_denominators_are_the_municipalities_of_each_prefecture():
    counts = bottom_up.municipality_counts()
    assert sum(counts.values()) == 1741
    assert (counts["01"], counts["13"], counts["14"], counts["47"]) == (179, 62, 33, 41)


def test_count_and_rate_per_prefecture_and_nationally():
    (count,) = bottom_up.aggregate(COUNTS, "窓口委託", "count")
    assert (count.national.value, count.national.adopted, count.national.answered, count.national.denominator) == (
        15.0, 15, 60, 1741)
    assert count.prefectures["13"].value == 10.0 and count.national.unit == "団体"
    (rate,) = bottom_up.aggregate(COUNTS, "窓口委託", "rate")
    assert rate.national.value == pytest.approx(15 / 1741 * 100)
    assert rate.prefectures["13"].value == pytest.approx(10 / 62 * 100)  # 16.13 %
    assert rate.prefectures["14"].value == pytest.approx(5 / 33 * 100)  # 15.15 %
    assert rate.national.unit == "%"


def _published(value, as_of=AS_OF, unit="団体"):
    return {"value": value, "unit": unit, "as_of": as_of, "source": {"document": "000.txt", "document_id": 1, "line": 88}}


KPI = {"kpi_id": 3, "kpi": "窓口業務のアウトソーシング"}


def test_a_differing_published_count_is_a_finding():
    (snapshot,) = bottom_up.aggregate(COUNTS, "窓口委託", "count")
    finding = bottom_up.compare(snapshot, [_published(301)], KPI)
    assert finding["kind"] == "bottom_up_mismatch"
    assert (finding["published"], finding["computed"], finding["difference"]) == (301, 15.0, -286.0)
    assert finding["message"] == "調査の集計 15団体(15/1,741団体, 2017-04-01現在)は公表値 301団体 と 286団体 異なる"
    assert finding["sources"] == [{"document": "000.txt", "document_id": 1, "line": 88},
                                  {"document": "s.csv", "survey_import_id": 7, "line": None}]
    # the overview's audit download cites the survey as a whole file, as `mieruka audit` does
    from mieruka.web.listings import finding_flat
    assert finding_flat(finding)["sources"] == "000.txt:88; s.csv"


def test_two_published_figures_for_one_date_are_both_named():
    # The documents give クラウド導入 as 948 and as 950 団体 for 2017-04-01: a survey total of 15 differs
    # from both, and one that matches 948 still differs from 950.
    (snapshot,) = bottom_up.aggregate(COUNTS, "窓口委託", "count")
    other = {**_published(950), "source": {"document": "002.txt", "document_id": 2, "line": 43}}
    finding = bottom_up.compare(snapshot, [_published(948), other, _published(948)], KPI)
    assert finding["message"] == ("調査の集計 15団体(15/1,741団体, 2017-04-01現在)は"
                                  "公表値 948団体 と 933団体、公表値 950団体 と 935団体 異なる")
    assert finding["message_en"] == ("the survey total 15 bodies (15 of 1,741 bodies, as of 2017-04-01) differs from "
                                     "the published 948 bodies by 933 bodies, the published 950 bodies by 935 bodies")
    assert (finding["published"], finding["published_values"], finding["difference"]) == (948, [948, 950], -933.0)
    assert [s["document"] for s in finding["sources"]] == ["000.txt", "000.txt", "002.txt", "s.csv"]
    assert bottom_up.published_by_date([_published(948), other, _published(948), _published(12, date(2016, 4, 1))]) == {
        AS_OF: [{"value": 948, "unit": "団体", "sources": [_published(948)["source"]] * 2},
                {"value": 950, "unit": "団体", "sources": [other["source"]]}],
        date(2016, 4, 1): [{"value": 12, "unit": "団体", "sources": [_published(12)["source"]]}]}
    matching = bottom_up.aggregate([{**COUNTS[0], "adopted": 948}], "窓口委託", "count")[0]
    assert bottom_up.compare(matching, [_published(948), other], KPI)["message"].endswith("は公表値 950団体 と 2団体 異なる")


def test_agreeing_other_dated_or_other_unit_figures_give_no_finding():
    (snapshot,) = bottom_up.aggregate(COUNTS, "窓口委託", "count")
    assert bottom_up.compare(snapshot, [_published(15)], KPI) is None
    assert bottom_up.compare(snapshot, [_published(301, date(2016, 4, 1))], KPI) is None
    assert bottom_up.compare(snapshot, [_published(301, unit="%")], KPI) is None
    (rate,) = bottom_up.aggregate(COUNTS, "窓口委託", "rate")
    assert bottom_up.compare(rate, [_published(0.9, unit="%")], KPI) is None  # 0.86 % rounds to 0.9 %
    assert bottom_up.compare(rate, [_published(0.8, unit="%")], KPI)["difference"] == pytest.approx(0.0616, abs=1e-4)


def _survey(adopted: int) -> bytes:
    """Every municipality in code order, the first `adopted` of them with ○."""
    lines = ["団体コード,導入"] + [f"{b.code},{'○' if i < adopted else '×'}" for i, b in enumerate(registry.municipalities())]
    return "\n".join(lines).encode()


def _published_kpi(url: str) -> int:
    with storage.session_scope(url) as s:
        doc = add_document(s, file_name="000_schedule.txt", family="reform-schedule", sha256="2" * 64, raw=b"x")
        kpi = m.Kpi(key="madoguchi", name="窓口業務のアウトソーシング", unit="団体")
        s.add(kpi)
        s.flush()
        s.add(m.Observation(kpi_id=kpi.id, value=301, unit="団体", as_of=AS_OF, status="preliminary",
                            text="301団体(2017年4月速報値)", document_id=doc.id, line_start=88))
        return kpi.id


def test_kpi_over_a_full_survey_against_the_published_figure(db_url):
    storage.upgrade(db_url)
    kpi_id = _published_kpi(db_url)
    with storage.session_scope(db_url) as s:
        import_survey(s, _survey(300), "all.csv", "窓口委託", AS_OF)
        store.define_survey_kpi(s, "窓口委託", "count", kpi="madoguchi")
    with storage.session_scope(db_url) as s:
        report = bottom_up.kpi_report(s, kpi_id)
        (snapshot,) = report["snapshots"]
        # Code order: 北海道 179 + 青森県 40 + 岩手県 33 + 宮城県 35 = 287, then 13 of 秋田県's 25.
        assert snapshot.national.value == 300 and snapshot.national.answered == 1741
        assert [snapshot.prefectures[c].adopted for c in ("01", "02", "03", "04", "05", "06")] == [179, 40, 33, 35, 13, 0]
        assert [f["message"] for f in bottom_up.findings(s)] == [
            "調査の集計 300団体(300/1,741団体, 2017-04-01現在)は公表値 301団体 と 1団体 異なる"]
        assert bottom_up.observations(s, kpi_id) == [{
            "value": 300.0, "unit": "団体", "as_of": AS_OF, "status": "bottom-up", "text": "300/1,741団体 (調査 all.csv)",
            "source": {"document": "all.csv", "survey_import_id": snapshot.import_id, "line": None}}]
        rate = store.define_survey_kpi(s, "窓口委託", "rate", name="窓口委託の実施率")
        (rate_snapshot,) = bottom_up.kpi_report(s, rate["kpi_id"])["snapshots"]
        assert rate_snapshot.prefectures["05"].value == 52.0
        assert rate_snapshot.national.value == pytest.approx(17.23, abs=0.005)
    with storage.session_scope(db_url) as s:
        import_survey(s, _survey(301), "fixed.csv", "窓口委託", AS_OF)
    with storage.session_scope(db_url) as s:
        assert bottom_up.findings(s) == []


def test_cli_define_list_and_values(tmp_path):
    db = str(tmp_path / "b.db")
    storage.upgrade(db)
    _published_kpi(db)
    survey = tmp_path / "all.csv"
    survey.write_bytes(_survey(300))
    runner = CliRunner()
    assert runner.invoke(app, ["survey", "import", str(survey), "--initiative", "窓口委託", "--as-of", "2017-04-01",
                               "--db", db]).exit_code == 0
    defined = runner.invoke(app, ["survey", "define-kpi", "--initiative", "窓口委託", "--kpi", "madoguchi", "--db", db,
                                  "--format", "json"])
    assert json.loads(defined.stdout)[0]["kpi"] == "窓口業務のアウトソーシング"
    listing = json.loads(runner.invoke(app, ["survey", "kpis", "--db", db, "--format", "json"]).stdout)
    assert [(x["as_of"], x["value"], x["published"], x["published_values"]) for x in listing] == [
        ("2017-04-01", 300.0, 301.0, [301.0])]
    assert listing[0]["finding"].startswith("調査の集計 300団体")
    values = runner.invoke(app, ["survey", "values", "1", "--db", db, "--format", "csv"]).stdout.splitlines()
    assert values[0] == "prefecture_code,prefecture,value,adopted,answered,denominator"
    assert values[5] == "05,秋田県,13,13,25,25"
    assert values[-1] == ",全国,300,300,1741,1741"
    from mieruka.cli import load_commands
    audit = runner.invoke(load_commands(), ["audit", "--db", db, "--as-of", "2017-05-01", "--format", "csv", "--lang", "en"])
    (row,) = [line for line in audit.stdout.splitlines() if line.startswith("bottom_up_mismatch")]
    # the survey is cited as a whole file, the document by its line (it prints no title: named by its file)
    assert row.endswith(',"the survey total 300 bodies (300 of 1,741 bodies, as of 2017-04-01) differs from the published '
                        '301 bodies by 1 body",000_schedule.txt:88; all.csv,000_schedule.txt:88; all.csv')
    assert runner.invoke(app, ["survey", "define-kpi", "--initiative", "x", "--measure", "share", "--name", "n",
                               "--db", db]).exit_code == 1
    missing = runner.invoke(app, ["survey", "define-kpi", "--initiative", "x", "--kpi", "nope", "--db", db])
    assert missing.exit_code == 1 and "no KPI with id or key 'nope'" in missing.stderr
    storage.dispose_engines()


def test_a_kpi_made_from_a_survey_is_found_by_search_at_once(db_url):
    storage.upgrade(db_url)
    with storage.session_scope(db_url) as s:
        made = store.define_survey_kpi(s, "窓口委託", "rate", name="窓口委託の実施率")
    with storage.session_scope(db_url) as s:
        hits = search.search(s, "実施率", kinds=("kpi",))
    assert [(h.kind, h.ref, h.title) for h in hits] == [("kpi", made["kpi_id"], "窓口委託の実施率")]
