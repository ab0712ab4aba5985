"""Issue 11, class 5: the 見込み a document prints (「2018年度までに894システムの減(62%減)の見込み」) is stored as a forecast
observation at its deadline; each scheme file says whether such a forecast counts (printed_forecasts); the explanation
names the forecast used (or left out); and the audit no longer reports a mismatch that rests on it.
On seed 000 and on a small document of the same shape with other numbers."""
from __future__ import annotations

from datetime import date

import pytest

from mieruka import storage
from mieruka.evaluate.audit import audit
from mieruka.evaluate.rate import rate_all
from mieruka.evaluate.schemes import SchemeError, available, load, load_file
from mieruka.loading.documents import ingest_file
from mieruka.storage.queries import kpi_rows

SMALL = "\n".join([
    "重要課題: 国の行政の改革", "", "改革項目: 国の業務システムの統廃合", "", "KPIの状況", "",
    "KPI\t目標値 (達成時期)\tKPIの進捗\t\t",
    "\t\t実績値 (時点)\t区分\t次回の把握時期と今後の方針",
    "第一階層 業務システム数\t2015年度から2020年度までに半減(2015年度:800)\t700 (2017年度末)\tA\t"
    "2020年度までに450システムの減(56%減)の見込み。 2018年度末実績は翌年度末に把握。",
    "第二階層 業務システム運用コスト\t2015年度から2022年度めどに3割圧縮(2015年度:600億円)\t"
    "2015年度と比べて30億円の削減(2017年度)\tA\t2022年度までに約20%の削減見込み(2017年度末時点)",
    "",
])


def _kpis(url, *paths):
    storage.ensure_schema(url)
    for p in paths:
        ingest_file(p, url)
    with storage.session_scope(url) as s:
        return kpi_rows(s)


def _by(results, name):
    return next(r for r in results if r.kpi == name)


def test_every_scheme_file_says_whether_printed_forecasts_count():
    said = {name: load(name).printed_forecasts for name in available()}
    assert said == {"reform-schedule": True, "policy-evaluation": False, "municipal-sabc": False,
                    "progress-cagr": False}
    for name, path in available().items():
        assert "printed_forecasts = " in path.read_text(encoding="utf-8"), name


def test_a_scheme_file_with_a_bad_printed_forecasts_is_refused(tmp_path):
    text = load("reform-schedule").source
    bad = tmp_path / "bad.toml"
    bad.write_text(open(text, encoding="utf-8").read().replace("printed_forecasts = true", 'printed_forecasts = "yes"'),
                   encoding="utf-8")
    with pytest.raises(SchemeError, match="printed_forecasts must be true or false"):
        load_file(bad)


def test_seed_forecast_is_stored_and_decides_the_published_a(sqlite_url, seed_file):
    kpis = _kpis(sqlite_url, seed_file("000"))
    systems = next(k for k in kpis if k["name"] == "政府情報システム数")
    fc = [o for o in systems["observations"] if o["status"] == "forecast"]
    # 000 l.332: 1,450 (FY2012) less 894 by FY2018 = 556, at 2019-03-31, as a 見込み; the 2015 and 2016 editions'
    # statements print theirs in the target's brackets (l.301 約63%, l.313 約6割 of the 1,450): 536.5 and 580.
    assert sorted((o["value"], o["as_of"], o["as_of_precision"], o["source"]["line"], o["text"]) for o in fc) == [
        (536.5, date(2019, 3, 31), "fiscal_year", 301, "2018年度までに半減(現在、約63%の削減が可能となる見込み)"),
        (556.0, date(2019, 3, 31), "fiscal_year", 332, "2018年度までに894システムの減(62%減)の見込み"),
        (580.0, date(2019, 3, 31), "fiscal_year", 313, "2018年度までに半減(現在、約6割の削減が可能となる見込み)")]
    cost = next(k for k in kpis if k["name"] == "政府情報システム運用コスト")
    # l.333: 2021年度までに約29%の削減見込み of 4,000億円 (FY2013): 2,840億円 at 2022-03-31; l.301 約27%の圧縮: 2,920億円,
    # l.313 約28%: 2,880億円 — each at the deadline of the target it is printed with (2021年度を目途に)
    assert sorted((o["value"], o["as_of"], o["source"]["line"]) for o in cost["observations"]
                  if o["status"] == "forecast") == [(284_000_000_000.0, date(2022, 3, 31), 333),
                                                     (288_000_000_000.0, date(2022, 3, 31), 313),
                                                     (292_000_000_000.0, date(2022, 3, 31), 301)]
    r = _by(rate_all(kpis, load("reform-schedule"), date(2018, 6, 1)), "政府情報システム数")
    assert r.code == "A"
    assert "000_e89baf27ea3ff1c4.txt 332行が示す期限時点の見込み556システム(2018年度末)で目標を達成する" in r.explanation
    assert "より新しい見込み値" not in r.explanation  # named once, as the forecast used
    # The published A (l.332) now agrees with the numbers that document gave: no mismatch.
    found = audit(kpis, [load("reform-schedule")], date(2018, 6, 1))
    assert not [f for f in found if f.kind == "rating_mismatch" and f.kpi == "政府情報システム数"]
    mism = [f for f in found if f.kind == "rating_mismatch" and f.kpi == "政府情報システム運用コスト"]
    assert len(mism) == 1 and "見込み2,840億円(2021年度末)は目標に届かない" in mism[0].message


def test_small_document_with_other_numbers(sqlite_url, tmp_path):
    doc = tmp_path / "small.txt"
    doc.write_text(SMALL, encoding="utf-8")
    kpis = _kpis(sqlite_url, doc)
    systems = next(k for k in kpis if k["name"] == "業務システム数")
    assert [(o["value"], o["as_of"], o["status"]) for o in systems["observations"]] == [
        (700.0, date(2018, 3, 31), None), (350.0, date(2021, 3, 31), "forecast")]  # 800 − 450
    cost = next(k for k in kpis if k["name"] == "業務システム運用コスト")
    assert [(o["value"], o["as_of"]) for o in cost["observations"] if o["status"] == "forecast"] == [
        (48_000_000_000.0, date(2023, 3, 31))]  # 600億円 × 0.8
    reform = rate_all(kpis, load("reform-schedule"), date(2019, 6, 1))
    # 700 at FY2017 is behind the path from 800 to 400 (640 planned), but the printed 350 by FY2020 meets 400.
    assert _by(reform, "業務システム数").code == "A"
    assert "small.txt 9行が示す期限時点の見込み350システム(2020年度末)で目標を達成する" in _by(reform, "業務システム数").explanation
    policy = rate_all(kpis, load("policy-evaluation"), date(2019, 6, 1))
    assert _by(policy, "業務システム数").code == "ー"
    assert "見込み350システム(2020年度末)は、この評価方式では判定に用いない" in _by(policy, "業務システム数").explanation
    # 570億円 (600 − 30) against 3割 = 420億円: the printed 約20% (480億円) misses, so the path decides (B).
    c = _by(reform, "業務システム運用コスト")
    assert c.code == "B" and "見込み480億円(2022年度末)は目標に届かない" in c.explanation
    found = audit(kpis, [load("reform-schedule")], date(2019, 6, 1))
    assert [f.kpi for f in found if f.kind == "rating_mismatch"] == ["業務システム運用コスト"]


def test_a_scheduling_note_in_the_value_column_is_not_an_observation(tmp_path):
    """Issue 11, class 9 (one case): 「2019年度末に集計予定」 in the 実績値 column is noted, never stored as a value."""
    from mieruka.ingest.extract import extract
    from mieruka.ingest.sources import read_document

    doc = tmp_path / "note.txt"
    doc.write_text(SMALL.replace("700 (2017年度末)", "2019年度末に集計予定"), encoding="utf-8")
    ex = extract(read_document(doc))
    systems = next(k for k in ex.kpis if k.name == "業務システム数")
    assert [o.status for o in systems.observations] == ["forecast"]  # only the printed 見込み remains
    assert ex.meta["scheduling_notes"] == [{"kpi": "業務システム数", "line": 9, "text": "2019年度末に集計予定"}]


# The level form, 000 l.209: 「508団体、約8,540万人 (2017年度未見込み)」 in the progress column, after the actual.
LEVEL = "\n".join([
    "重要課題: 地方の行財政の改革", "", "改革項目: 証明書の交付の推進", "", "KPIの状況", "",
    "KPI\t\t目標値 (達成時期)\tKPIの進捗\t\t",
    "\t\t\t実績値 (時点)\t区分\t次回の把握時期と今後の方針",
    "第一階層\t証明書のコンビニ交付の団体数 (人口)\t2019年度までに 600団体(実施団体の人口 8000万人)\t"
    "450団体、約6,100万人 (2018年8月31日時点)\tA\t【総務省】 450団体、約6,100万人 (2018年8月31日時点) "
    "610団体、約8,200万人 (2019年度未見込み) 引き続き導入団体の拡大を推進。",
    "",
])


def _forecasts(kpi):
    return [(o["value"], o["as_of"], o["as_of_precision"], o["source"]["line"], o["text"])
            for o in kpi["observations"] if o["status"] == "forecast"]


def test_seed_level_forecast_with_its_fiscal_year(sqlite_url, seed_file):
    kpis = {k["name"]: k for k in _kpis(sqlite_url, seed_file("000"))}
    count = kpis["各種証明書のコンビニ交付の実施団体数(人口)"]
    # 000 l.209: 430団体、約7,693万人 (2017年8月31日時点) 508団体、約8,540万人 (2017年度未見込み)
    assert _forecasts(count) == [(508.0, date(2018, 3, 31), "fiscal_year", 209, "508団体、約8,540万人(2017年度未見込み)")]
    population = kpis["各種証明書のコンビニ交付の実施団体数(人口):実施団体の人口"]
    assert _forecasts(population) == [
        (85_400_000.0, date(2018, 3, 31), "fiscal_year", 209, "508団体、約8,540万人(2017年度未見込み)")]
    assert [(o["value"], o["as_of"]) for o in count["observations"] if o["status"] is None] == [(430.0, date(2017, 8, 31))]
    # the target (300団体 by 2016年度) is met by the actual: the forecast, later than the deadline, is named as not used
    r = _by(rate_all([count], load("reform-schedule"), date(2018, 6, 1)), "各種証明書のコンビニ交付の実施団体数(人口)")
    assert r.code == "A" and r.explanation.endswith("より新しい見込み値508団体(2017年度末)は実績ではないため判定に用いていない。")
    ex_note = {"kpi": "各種証明書のコンビニ交付の実施団体数(人口)", "line": 209, "text": "508団体、約8,540万人(2017年度未見込み)",
               "read_as": "forecast level at the fiscal year's end (年度未 read as 年度末)"}
    from mieruka.ingest.extract import extract
    from mieruka.ingest.sources import read_document
    assert ex_note in extract(read_document(seed_file("000"))).meta["printed_forecasts"]


def test_small_document_level_forecast_decides_under_the_scheme_that_counts_it(sqlite_url, tmp_path):
    doc = tmp_path / "level.txt"
    doc.write_text(LEVEL, encoding="utf-8")
    kpis = {k["name"]: k for k in _kpis(sqlite_url, doc)}
    count = kpis["証明書のコンビニ交付の団体数(人口)"]
    population = kpis["証明書のコンビニ交付の団体数(人口):実施団体の人口"]
    assert _forecasts(count) == [(610.0, date(2020, 3, 31), "fiscal_year", 9, "610団体、約8,200万人(2019年度未見込み)")]
    assert _forecasts(population) == [(82_000_000.0, date(2020, 3, 31), "fiscal_year", 9,
                                       "610団体、約8,200万人(2019年度未見込み)")]
    # 450 of 600 by 2019年度 with no baseline: the printed 610 at the deadline decides under reform-schedule ...
    reform = rate_all([count, population], load("reform-schedule"), date(2019, 6, 1))
    assert _by(reform, "証明書のコンビニ交付の団体数(人口)").code == "A"
    assert "level.txt 9行が示す期限時点の見込み610団体(2019年度末)で目標を達成する" in _by(
        reform, "証明書のコンビニ交付の団体数(人口)").explanation
    assert "level.txt 9行が示す期限時点の見込み8,200万人(2019年度末)で目標を達成する" in _by(
        reform, "証明書のコンビニ交付の団体数(人口):実施団体の人口").explanation
    # ... and is named as not used under policy-evaluation, whose file says printed forecasts do not count
    policy = _by(rate_all([count], load("policy-evaluation"), date(2019, 6, 1)), "証明書のコンビニ交付の団体数(人口)")
    assert policy.code == "ー" and "見込み610団体(2019年度末)は、この評価方式では判定に用いない" in policy.explanation
    assert not [f for f in audit([count, population], [load("reform-schedule")], date(2019, 6, 1))
                if f.kind == "rating_mismatch"]


# The statement form, 000 l.301/313: 「・政府情報システム数 【2012年度：1450 目標：2018年度までに半減 (現在、約63%の削減が可能と
# なる見込み)】」 in a schedule table's KPI column; a small document of the same shape with other numbers.
def _statement_document(tmp_path):
    from pathlib import Path

    fixture = Path(__file__).parent / "fixtures" / "reform_schedule" / "tabbed.txt"
    text = fixture.read_text(encoding="utf-8").replace(
        "<p>・政府情報システム数 【2012年度：1450 目標：2018年度までに半減】</p>",
        "<p>・業務システム数 【2014年度：900 目標：2019年度までに半減 (現在、約58%の削減が可能となる見込み)】</p> "
        "<p>・業務システム運用コスト 【2014年度：600億円 目標：2022年度を目途に3割圧縮(現在約4割の圧縮が可能となる見込み)】</p> "
        "<p>・窓口システム数 【目標：2019年度までに半減 (現在、約40%の削減が可能となる見込み)】</p>")
    doc = tmp_path / "statements.txt"
    doc.write_text(text, encoding="utf-8")
    return doc


def test_small_document_statement_forecasts_at_the_targets_deadline(sqlite_url, tmp_path):
    from mieruka.ingest.extract import extract
    from mieruka.ingest.sources import read_document

    doc = _statement_document(tmp_path)
    kpis = {k["name"]: k for k in _kpis(sqlite_url, doc)}
    # 900 less 約58% by 2019年度 = 378; 600億円 less 約4割 by 2022年度 = 360億円; each dated to the year, not a day
    assert _forecasts(kpis["業務システム数"]) == [
        (378.0, date(2020, 3, 31), "fiscal_year", 40, "2019年度までに半減(現在、約58%の削減が可能となる見込み)")]
    assert _forecasts(kpis["業務システム運用コスト"]) == [
        (36_000_000_000.0, date(2023, 3, 31), "fiscal_year", 40, "2022年度を目途に3割圧縮(現在約4割の圧縮が可能となる見込み)")]
    # no baseline printed: nothing guessed, the sentence is noted for the audit and the reader
    assert _forecasts(kpis["窓口システム数"]) == []
    notes = extract(read_document(doc)).meta["printed_forecasts"]
    assert {"kpi": "窓口システム数", "line": 40, "text": "現在、約40%の削減が可能となる見込み",
            "read_as": "no value: base unknown"} in notes
    # 378 reaches 450 (half of 900): named in the explanation (no actual yet, so N) ...
    r = _by(rate_all([kpis["業務システム数"]], load("reform-schedule"), date(2018, 6, 1)), "業務システム数")
    assert r.code == "N" and r.explanation.endswith("statements.txt 40行が示す期限時点の見込み378システム(2019年度末)でも目標に届く。")
    # ... and, with an actual behind the path, it decides under the scheme that counts printed forecasts
    systems = {**kpis["業務システム数"], "observations": kpis["業務システム数"]["observations"] + [
        {"value": 800.0, "unit": "システム", "as_of": date(2017, 3, 31), "status": None, "text": "800 (2016年度末)",
         "source": {"document": "statements.txt", "line": 99}, "as_of_precision": "fiscal_year"}]}
    r = _by(rate_all([systems], load("reform-schedule"), date(2018, 6, 1)), "業務システム数")
    assert r.code == "A" and "statements.txt 40行が示す期限時点の見込み378システム(2019年度末)で目標を達成する" in r.explanation


def test_seed_of_one_documents_several_forecasts_the_last_printed_counts(sqlite_url, seed_file):
    kpis = _kpis(sqlite_url, seed_file("000"))
    # l.301 (2015 edition, 536.5) and l.313 (2016 edition, 580) before l.332 (the 2017 progress table, 556): l.332's
    r = _by(rate_all(kpis, load("reform-schedule"), date(2018, 6, 1)), "政府情報システム数")
    assert r.code == "A" and "332行が示す期限時点の見込み556システム(2018年度末)" in r.explanation
    from mieruka.evaluate.rate import rate_kpi
    from mieruka.evaluate.series import document_dates

    systems = next(k for k in kpis if k["name"] == "政府情報システム数")
    slow = rate_kpi(systems, load("reform-schedule"), date(2018, 6, 1), document_dates(kpis))
    assert slow.explanation == r.explanation  # the bulk rater and rate_kpi pick the same forecast
