"""Each audit finding on fixtures written for it: the kind, the KPI, the message and the two lines that disagree."""
from datetime import date

from mieruka.evaluate import schemes
from mieruka.evaluate.audit import announced_due, audit, rating_conflicts, stale, target_conflicts, target_overdue, \
    target_revisions, value_conflicts
from mieruka.evaluate.series import document_dates

SCHEMES = [schemes.load("reform-schedule"), schemes.load("policy-evaluation")]
AS_OF = date(2020, 1, 1)
DOCS = {"p.txt": 1, "q.txt": 2, "sheet.txt": 3}


def src(doc, line):
    return {"document": doc, "document_id": DOCS[doc], "line": line}


def kpi(kid=1, name="窓口業務のアウトソーシング", baseline=None, targets=(), observations=(), ratings=(), appearances=(),
        docs=(("p.txt", None),), unit="団体", direction="up"):
    return {"id": kid, "name": name, "unit": unit, "direction": direction, "after_the_fact": False,
            "baseline": baseline, "baselines": [baseline] if baseline else [], "targets": list(targets),
            "observations": list(observations), "ratings": list(ratings), "appearances": list(appearances),
            "documents": [{"file_name": f, "doc_date": d} for f, d in docs]}


def target(value, deadline, doc="p.txt", line=3, edition_date=None, text=None, unset=False, promised_by=None,
           interim=False):
    return {"value": value, "unit": "団体" if value is not None else None, "deadline": deadline, "comparator": "eq",
            "relative": None, "unset": unset, "promised_by": promised_by, "interim": interim, "edition": None,
            "edition_date": edition_date, "text": text or f"{value}団体", "source": src(doc, line)}


def obs(value, as_of, doc="p.txt", line=4, status=None, text=None):
    return {"value": value, "unit": "団体", "as_of": as_of, "status": status, "text": text or f"{value}団体",
            "source": src(doc, line)}


def rating(code, as_of, doc="p.txt", line=4, scheme="reform-schedule"):
    return {"scheme": scheme, "code": code, "official": True, "as_of": as_of, "source": src(doc, line)}


BASE = {"value": 208, "as_of": date(2014, 10, 1), "unit": "団体", "text": "208⇒416", "source": src("p.txt", 2)}


def kinds(findings):
    return [(f.kind, f.kpi) for f in findings]


def test_rating_mismatch_when_the_numbers_say_otherwise():
    k = kpi(baseline=BASE, targets=[target(416, date(2021, 3, 31))], observations=[obs(301, date(2017, 4, 1))],
            ratings=[rating("B", date(2017, 4, 1))])
    (f,) = audit([k], SCHEMES, AS_OF)
    assert f.kind == "rating_mismatch" and f.kpi_id == 1
    assert f.message.startswith("p.txt 4行の区分はBだが、同じ数値から改革工程表のKPI区分（A/B/N/F）で計算するとA: 目標416団体(2021-03-31)に対し、"
                                "計画線上の想定288団体を上回る301団体(2017-04-01)")
    assert f.sources == [{"document": "p.txt", "line": 4}, {"document": "p.txt", "line": 2},
                         {"document": "p.txt", "line": 3}]
    assert f.row("en")["message"].startswith("p.txt line 4 rates it B, but Reform schedule KPI status (A/B/N/F) computes A")
    k["ratings"] = [rating("A", date(2017, 4, 1))]
    assert audit([k], SCHEMES, AS_OF) == []


def test_a_rating_the_scheme_cannot_judge_is_not_a_mismatch():
    k = kpi(targets=[target(30, date(2021, 3, 31))], observations=[obs(23, date(2017, 10, 1))],
            ratings=[rating("A", date(2017, 10, 1))])
    assert audit([k], SCHEMES, AS_OF) == []  # no baseline: N is no judgement against A


def test_the_policy_sheet_dash_written_as_kanji_one_is_the_same_code():
    k = kpi(baseline=BASE, targets=[target(416, date(2021, 3, 31), doc="sheet.txt")],
            observations=[obs(301, date(2017, 4, 1), doc="sheet.txt")],
            ratings=[rating("一", date(2017, 4, 1), doc="sheet.txt", scheme="policy-evaluation")],
            docs=(("sheet.txt", date(2018, 8, 1)),))
    assert audit([k], SCHEMES, AS_OF) == []


def test_rating_conflict_between_two_documents():
    k = kpi(observations=[obs(301, date(2017, 4, 1)), obs(301, date(2017, 4, 1), doc="q.txt", line=29)],
            ratings=[rating("B", date(2017, 4, 1)), rating("A", date(2017, 4, 1), doc="q.txt", line=32)])
    (f,) = rating_conflicts([k])
    assert f.message == "同じ実績（2017-04-01: 301団体）に対して区分が食い違う: p.txt 4行はB、q.txt 32行はA"
    assert f.sources == [{"document": "p.txt", "line": 4}, {"document": "q.txt", "line": 32},
                         {"document": "q.txt", "line": 29}]
    k["ratings"][1]["code"] = "B"
    assert rating_conflicts([k]) == []


def test_value_conflict_at_the_same_point_in_time():
    k = kpi(name="クラウド導入市区町村数", observations=[obs(948, date(2017, 4, 1), line=65),
                                               obs(950, date(2017, 4, 1), doc="q.txt", line=44)])
    (f,) = value_conflicts([k])
    assert f.message == "2017-04-01時点の値が資料によって異なる: 948団体（p.txt 65行）、950団体（q.txt 44行）"
    assert f.sources == [{"document": "p.txt", "line": 65}, {"document": "q.txt", "line": 44}]


def test_revisions_and_approximations_are_not_value_conflicts():
    revised = kpi(observations=[obs(301, date(2017, 4, 1), status="preliminary"),
                                obs(305, date(2017, 4, 1), doc="q.txt", status="final")])
    approx = kpi(observations=[obs(1000, date(2017, 4, 1), text="約1,000団体"), obs(1030, date(2017, 4, 1), doc="q.txt")])
    forecast = kpi(observations=[obs(508, date(2018, 3, 31), status="forecast"), obs(500, date(2018, 3, 31), doc="q.txt")])
    assert value_conflicts([revised, approx, forecast]) == []
    baseline = kpi(baseline=BASE, observations=[obs(210, date(2014, 10, 1), doc="q.txt")])
    assert [f.message for f in value_conflicts([baseline])] == [
        "2014-10-01時点の値が資料によって異なる: 210団体（q.txt 4行）、208団体（p.txt 2行）"]


def test_target_conflict_between_two_parts_of_one_document():
    k = kpi(name="庶務業務の集約化", targets=[target(286, date(2021, 3, 31), line=14),
                                       target(288, date(2021, 3, 31), line=29, edition_date=date(2016, 12, 21)),
                                       target(286, date(2021, 3, 31), doc="q.txt", line=50)])
    (f,) = target_conflicts([k], document_dates([k]))
    assert f.message == ("目標が食い違う: 286団体(2021-03-31)（p.txt 14行・q.txt 50行）と"
                         "288団体(2021-03-31)（p.txt 29行（2016-12-21版））")
    assert f.sources == [{"document": "p.txt", "line": 14}, {"document": "p.txt", "line": 29},
                         {"document": "q.txt", "line": 50}]


def test_successive_targets_yearly_targets_and_editions_are_not_conflicts():
    sheet = kpi(targets=[target(534521, date(2019, 3, 31), doc="sheet.txt", line=34),
                         target(1154547, date(2022, 3, 31), doc="sheet.txt", line=36),
                         target(441754, date(2017, 3, 31), doc="sheet.txt", line=34, interim=True)])
    editions = kpi(targets=[target(None, None, unset=True, promised_by=date(2016, 3, 31), edition_date=date(2015, 12, 24)),
                            target(30, date(2021, 3, 31), edition_date=date(2016, 12, 21)),
                            target(31, date(2021, 3, 31), edition_date=date(2017, 12, 21))])
    assert target_conflicts([sheet, editions], document_dates([sheet, editions])) == []
    sheet["targets"].append(target(600000, date(2019, 3, 31), line=5))
    (f,) = target_conflicts([sheet], {})
    assert f.message == "目標が食い違う: 534,521団体(2019-03-31)（sheet.txt 34行）と600,000団体(2019-03-31)（p.txt 5行）"
    assert f.sources == [{"document": "sheet.txt", "line": 34}, {"document": "p.txt", "line": 5}]


def test_conflicting_promise_dates_within_one_edition():
    ed = date(2015, 12, 24)
    k = kpi(name="自治体にアドバイスや意見交換等を行った件数",
            targets=[target(None, None, line=183, unset=True, promised_by=date(2017, 3, 31), edition_date=ed),
                     target(None, None, line=219, unset=True, promised_by=date(2019, 3, 31), edition_date=ed),
                     target(None, None, line=231, unset=True, promised_by=date(2019, 3, 31),
                            edition_date=date(2016, 12, 21))])
    dates = document_dates([k])
    (f,) = target_conflicts([k], dates)
    assert f.message == ("目標が食い違う: 未設定（2017-03-31までに設定予定）（p.txt 183行（2015-12-24版））と"
                         "未設定（2019-03-31までに設定予定）（p.txt 219行（2015-12-24版））")
    assert target_revisions([k], dates) == []  # the 2016 edition repeats one of the 2015 edition's dates


def test_target_revised_says_which_way():
    k = kpi(name="「連携中枢都市圏」の形成数",
            targets=[target(None, None, line=90, unset=True, promised_by=date(2016, 3, 31),
                            edition_date=date(2015, 12, 24), text="2015年度に目標圏域数を設定"),
                     target(30, date(2021, 3, 31), line=104, edition_date=date(2016, 12, 21)),
                     target(28, date(2022, 3, 31), line=120, edition_date=date(2017, 12, 21))])
    first, second = target_revisions([k], document_dates([k]))
    assert first.message == ("2015-12-24版の未設定（2016-03-31までに設定予定）から2016-12-21版の30団体(2021-03-31)へ: "
                             "目標値が設定された（設定予定の2016-03-31より後）")
    assert first.sources == [{"document": "p.txt", "line": 90}, {"document": "p.txt", "line": 104}]
    assert second.message.endswith("目標値が引き下げられた（緩くなった）、期限が延ばされた")
    assert second.message_en.endswith("the target was lowered (looser); the deadline was postponed")
    hours = kpi(direction="down", targets=[target(35, date(2019, 3, 31), edition_date=date(2015, 12, 24)),
                                           target(32, date(2019, 3, 31), edition_date=date(2016, 12, 21))])
    assert target_revisions([hours], {})[0].message.endswith("目標値が引き下げられた（厳しくなった）")
    promise = kpi(targets=[target(None, None, unset=True, promised_by=date(2017, 3, 31), edition_date=date(2015, 12, 24)),
                           target(None, None, unset=True, promised_by=date(2019, 3, 31), edition_date=date(2016, 12, 21))])
    assert target_revisions([promise], {})[0].message.endswith("設定予定時期が2017-03-31から2019-03-31に延期された")


def test_target_overdue_in_a_document_dated_after_the_promise():
    k = kpi(name="IT化・BPRに取り組んだ自治体数",
            targets=[target(None, None, line=182, unset=True, promised_by=date(2017, 3, 31),
                            edition_date=date(2015, 12, 24), text="目標は2016年度中に設定"),
                     target(None, None, line=210, unset=True, promised_by=date(2017, 3, 31), text="検討中(2016度中に設定)")],
            observations=[obs(1507, date(2017, 10, 31), doc="q.txt")], docs=(("p.txt", date(2017, 11, 1)),))
    (f,) = target_overdue([k], document_dates([k]))
    assert f.message == ("目標は2017-03-31までに設定するとされた（p.txt 182行）が、2017-11-01時点のp.txt 210行でも"
                         "未設定（「検討中(2016度中に設定)」）")
    assert f.sources == [{"document": "p.txt", "line": 182}, {"document": "p.txt", "line": 210}]
    k["documents"] = [{"file_name": "p.txt", "doc_date": date(2017, 2, 1)}]
    assert target_overdue([k], document_dates([k])) == []


def test_an_undated_document_is_dated_by_its_latest_actual():
    other = kpi(kid=2, observations=[obs(23, date(2017, 10, 1))])
    k = kpi(targets=[target(None, None, line=210, unset=True, promised_by=date(2017, 3, 31))])
    (f,) = target_overdue([k], document_dates([k, other]))
    assert "2017-10-01時点のp.txt 210行でも未設定" in f.message


def test_stale_when_the_announced_measurement_has_passed():
    appearance = {"name": "窓口", "markers": [], "next_measurement": "2017年4月確報値は、2018年3月頃に公表。",
                  "next_measurement_date": date(2018, 3, 1), "source": src("p.txt", 12)}
    k = kpi(observations=[obs(301, date(2017, 4, 1), line=12, status="preliminary")], appearances=[appearance])
    (f,) = stale([k], document_dates([k]), date(2019, 1, 1))
    assert f.message == ("次回の把握時期「2017年4月確報値は、2018年3月頃に公表。」（2018年3月、p.txt 12行）を2019-01-01時点で"
                         "過ぎたが、新しい実績がない。最新の実績は301団体(2017-04-01、p.txt 12行)")
    assert f.sources == [{"document": "p.txt", "line": 12}]
    assert stale([k], document_dates([k]), date(2018, 2, 1)) == []  # not due yet
    k["observations"].append(obs(305, date(2017, 4, 1), doc="q.txt", status="final"))
    assert stale([k], document_dates([k]), date(2019, 1, 1)) == []  # the 確報値 came
    k["observations"][-1].update(status=None, as_of=date(2018, 4, 1))
    assert stale([k], document_dates([k]), date(2019, 1, 1)) == []  # a newer actual came


def test_stale_with_no_actual_at_all():
    appearance = {"name": "件数", "markers": [], "next_measurement": "2017年度末に集計予定",
                  "next_measurement_date": date(2018, 3, 31), "source": src("p.txt", 291)}
    (f,) = stale([kpi(appearances=[appearance])], {}, date(2019, 1, 1))
    assert f.message.endswith("新しい実績がない。実績はまだない")


def test_achieved_but_rated_low_and_missed_but_rated_high():
    met = kpi(name="庶務業務の集約化", baseline=BASE, targets=[target(286, date(2021, 3, 31), line=14)],
              observations=[obs(413, date(2017, 4, 1), line=14)], ratings=[rating("B", date(2017, 4, 1), line=14)])
    assert kinds(audit([met], SCHEMES, AS_OF)) == [("rating_mismatch", "庶務業務の集約化"),
                                                   ("achieved_but_rated_low", "庶務業務の集約化")]
    low = audit([met], SCHEMES, AS_OF)[1]
    assert low.message == "実績413団体(2017-04-01)は目標286団体(2021-03-31)を達成しているのに、p.txt 14行の区分はB"
    missed = kpi(name="標準委託仕様書等を使用するモデル自治体数", targets=[target(6, date(2017, 3, 31), line=81)],
                 observations=[obs(4, date(2017, 6, 1), line=81)], ratings=[rating("A", date(2017, 6, 1), line=81)])
    found = audit([missed], SCHEMES, AS_OF)
    assert kinds(found) == [("rating_mismatch", "標準委託仕様書等を使用するモデル自治体数"),
                            ("missed_but_rated_high", "標準委託仕様書等を使用するモデル自治体数")]
    assert found[1].message == "期限を過ぎた実績4団体(2017-06-01)は目標6団体(2017-03-31)に届いていないのに、p.txt 81行の区分はA"


def test_overall_result_against_the_roll_up():
    def indicator(kid, value):
        return kpi(kid=kid, name=f"指標{kid}", baseline={**BASE, "value": 100, "as_of": date(2016, 3, 31)},
                   targets=[target(200, date(2019, 3, 31), doc="sheet.txt")],
                   observations=[obs(value, date(2019, 3, 31), doc="sheet.txt")],
                   ratings=[rating("イ" if value >= 200 else "ハ", None, doc="sheet.txt", scheme="policy-evaluation")],
                   docs=(("sheet.txt", date(2019, 8, 1)),))
    rows = [indicator(1, 200), indicator(2, 210), indicator(3, 120)]
    result = [{"policy": "政策8", "result": "目標達成", "source": src("sheet.txt", 54)}]
    (f,) = audit(rows, SCHEMES, AS_OF, result)
    assert f.kind == "rating_mismatch" and f.kpi == "政策8" and f.kpi_id is None
    assert f.message == ("sheet.txt 54行の総合結果は「目標達成」だが、policy-evaluationの集計規則では「相当程度進展あり」: "
                         "判定できる3指標のうちイ2件・ハ1件で、イ+ロの割合67%（基準50%以上）のため「相当程度進展あり」。")
    result[0]["result"] = "相当程度進展あり"
    assert audit(rows, SCHEMES, AS_OF, result) == []


def test_announced_times_relative_to_the_year_measured():
    assert announced_due("2018年度までに894システムの減(62%減)の見込み。2017年度末実績は翌年度末に把握。") == date(2019, 3, 31)
    # several years: the first figure falls due first; a deadline (…までに) or a point of estimate (…時点) is no figure
    assert announced_due("2021年度までに約29%の削減見込み(2016年度末時点) 2016年度実績及び2017年度実績はそれぞれ"
                         "翌年度末に把握。") == date(2018, 3, 31)
    assert announced_due("2016年度、2017年度実績については、翌年11月頃把握・公表。") == date(2017, 11, 1)
    assert announced_due("マイナンバー制度の活用については、2017年度末を目途に効果試算を整理。") == date(2018, 3, 31)
    assert announced_due("2018年度までに目標期限を設定予定") is None  # setting a deadline is no measurement
    assert announced_due("翌年度末に把握") is None  # no year to count from
    assert announced_due(None) is None


def test_stale_from_a_relative_announcement():
    appearance = {"name": "政府情報システム数", "markers": [], "next_measurement_date": None,
                  "next_measurement": "2017年度末実績は翌年度末に把握。", "source": src("p.txt", 332)}
    k = kpi(name="政府情報システム数", observations=[obs(1117, date(2017, 3, 31), line=332)], appearances=[appearance],
            unit="システム")
    k["observations"][0]["unit"] = "システム"
    assert stale([k], document_dates([k]), date(2019, 3, 31)) == []  # due on the day itself: not past yet
    (f,) = stale([k], document_dates([k]), date(2019, 4, 1))
    assert f.message == ("次回の把握時期「2017年度末実績は翌年度末に把握。」（2018年度末、p.txt 332行）を2019-04-01時点で過ぎたが、"
                         "新しい実績がない。最新の実績は1,117システム(2017-03-31、p.txt 332行)")
    assert f.message_en.endswith("with no newer actual; the latest actual is 1,117 systems (2017-03-31, p.txt line 332)")
    k["observations"].append(obs(700, date(2018, 3, 31), doc="q.txt", line=9))
    assert stale([k], document_dates([k]), date(2019, 4, 1)) == []  # the FY2017 figure came


def test_english_messages_name_units_in_english():
    k = kpi(name="クラウド導入市区町村数", observations=[obs(948, date(2017, 4, 1), line=65),
                                               obs(950, date(2017, 4, 1), doc="q.txt", line=44)])
    (f,) = value_conflicts([k])
    assert f.message_en == "the value at 2017-04-01 differs between documents: 948 bodies (p.txt line 65); 950 bodies " \
                           "(q.txt line 44)"
