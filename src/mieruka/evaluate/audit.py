"""Audit what the documents published: ratings against the numbers, documents against each other, promises against time.
Each finding names its kind, the KPI, a message in Japanese and English, and the lines (document, line) that disagree."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import combinations

from mieruka.evaluate.explain import _d, _d_en, at, at_en, conflicting_value, num, num_en
from mieruka.evaluate.rate import RatingResult, rate_kpi, roll_up_group
from mieruka.evaluate.schemes import Scheme
from mieruka.evaluate.series import Point, doc_key, document_dates, pick_baseline, resolve_target, stated_on
from mieruka.jp import ParseError, fiscal_year_end, parse
from mieruka.jp.cells import analyse
from mieruka.jp.dates import precision_of
from mieruka.jp.printed import (APPROX_MARK, CUT_SHARE as _CUT_SHARE, SUBJECT as _SUBJECT, announced_due,
                                count_statements, may_count_twice)
from mieruka.jp.text import prepare_cell

# The version of the findings' rules and wording, part of a stored audit's key: raise it with any change to what a
# finding says or when one is found, so that audits stored before are audited again rather than shown as they were.
# 2: a value conflict writes each value with the digits that tell it apart; a value is approximate when its own figure
#    in the cell is written so (not every value of a cell with 約 in it, nor the 約 of 集約化 or 契約) (4 December 2026).
RULES = 2
KINDS = ("rating_mismatch", "rating_conflict", "value_conflict", "target_conflict", "target_revised",
         "target_overdue", "stale", "achieved_but_rated_low", "missed_but_rated_high", "tier_conflict",
         "percent_mismatch", "office_conflict", "count_mismatch")
APPROX_TOLERANCE = 0.05  # 約1,000 and 1,040 agree; a figure written without 約 must match exactly
# The policy evaluation legend writes its dash as 一 (kanji one), ー, － or -; they are one code.
_DASHES = str.maketrans({c: "ー" for c in "一－-‐―—"})


@dataclass
class Finding:
    kind: str
    kpi_id: int | None
    kpi: str
    message: str
    message_en: str
    sources: list[dict] = field(default_factory=list)

    def row(self, lang: str = "ja") -> dict:
        return {"kind": self.kind, "kpi_id": self.kpi_id, "kpi": self.kpi,
                "message": self.message_en if lang == "en" else self.message, "sources": self.sources}


def _cite(*sources: dict | None) -> list[dict]:
    out, seen = [], set()
    for s in sources:
        if s and (s.get("document"), s.get("line")) not in seen:
            seen.add((s.get("document"), s.get("line")))
            out.append({"document": s.get("document"), "line": s.get("line")})
    return out


def code_key(code: str) -> str:
    return unicodedata.normalize("NFKC", str(code)).strip().translate(_DASHES)


def audit(kpis: list[dict], schemes: list[Scheme], as_of: date, policy_results: list[dict] | None = None,
          dates: dict | None = None, recomputed: dict | None = None, texts: list[dict] | None = None,
          columns=None) -> list[Finding]:
    """Every finding of every kind; schemes with an `official` name are checked against the published ratings.
    dates: the documents' dates when kpis is a part of the database (evaluate.stored passes them); recomputed: the
    published ratings already rated again in bulk (see recompute_requests); texts: running text of no KPI that counts
    something two ways (storage.ratings.count_text_rows); columns: the KPIs' observations as arrays
    (an evaluate.audit_columns.Columns, which works out value conflicts and stale figures on them), when their dicts
    hold only those the checks read one by one."""
    dates = dates if dates is not None else document_dates(kpis)
    findings: list[Finding] = []
    for scheme in schemes:
        if scheme.official:
            findings += rating_findings(kpis, scheme, dates, as_of, recomputed)
            findings += rollup_findings(kpis, scheme, dates, policy_results or [], as_of, recomputed)
    findings += rating_conflicts(kpis)
    findings += value_conflicts(kpis) if columns is None else columns.value_conflicts(kpis)
    findings += target_conflicts(kpis, dates)
    findings += target_revisions(kpis, dates)
    findings += later_document_revisions(kpis, dates)
    findings += target_overdue(kpis, dates)
    findings += stale(kpis, dates, as_of) if columns is None else columns.stale(kpis, dates, as_of)
    findings += tier_conflicts(kpis)
    findings += percent_mismatches(kpis)
    findings += office_conflicts(kpis)
    findings += count_mismatches(kpis)
    findings += text_count_mismatches(texts or [])
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(findings, key=lambda f: (order[f.kind], f.kpi_id or 0))


def _official(kpi: dict, scheme: Scheme) -> list[dict]:
    return [r for r in kpi.get("ratings", []) if r.get("official") and r.get("scheme") == scheme.official]


def _recompute(kpi: dict, rating: dict, scheme: Scheme, dates: dict, as_of: date,
               recomputed: dict | None = None) -> RatingResult:
    """The scheme's code from the numbers the rating document gave, as of that document's date."""
    if recomputed is not None and (scheme.name, id(rating)) in recomputed:
        return recomputed[(scheme.name, id(rating))]
    doc = doc_key(rating.get("source"))
    when = dates.get(doc) or rating.get("as_of") or as_of
    return rate_kpi(kpi, scheme, when, dates, document=doc)


def recompute_requests(kpis: list[dict], scheme: Scheme, dates: dict, as_of: date) -> list[tuple[dict, dict, date, object]]:
    """(kpi, published rating, date, document) of each rating _recompute rates again: for a bulk rater, whose results go
    to audit() as recomputed, keyed (scheme name, id(rating))."""
    out = []
    for kpi in kpis:
        for r in _official(kpi, scheme):
            doc = doc_key(r.get("source"))
            out.append((kpi, r, dates.get(doc) or r.get("as_of") or as_of, doc))
    return out


def rating_findings(kpis: list[dict], scheme: Scheme, dates: dict, as_of: date,
                    recomputed: dict | None = None) -> list[Finding]:
    """rating_mismatch, achieved_but_rated_low and missed_but_rated_high for one scheme's published ratings."""
    out = []
    top = {code_key(c) for c in scheme.top_codes}
    for kpi in kpis:
        seen = set()
        for r in _official(kpi, scheme):
            res = _recompute(kpi, r, scheme, dates, as_of, recomputed)
            official = code_key(r["code"])
            key = (official, res.code, res.actual, res.actual_as_of, res.target)
            if key in seen:
                continue  # the same table printed twice in a document gives one finding
            seen.add(key)
            sources = _cite(r.get("source"), *res.sources().values())
            where, where_en = at(r.get("source")), at_en(r.get("source"))
            if res.judged and code_key(res.code) != official:
                out.append(Finding(
                    "rating_mismatch", kpi["id"], kpi["name"],
                    f"{where}の区分は{r['code']}だが、同じ数値から{scheme.title_ja}で計算すると{res.code}: {res.explanation}",
                    f"{where_en} rates it {r['code']}, but {scheme.title_en} computes {res.code} from the same numbers: "
                    f"{res.explanation_en}", sources))
            flags = res.facts.flags
            if flags["target_met"] and official not in top:
                out.append(Finding(
                    "achieved_but_rated_low", kpi["id"], kpi["name"],
                    f"実績{num(res.actual, res.unit)}({res.actual_as_of})は目標{_goal(res)}を達成しているのに、"
                    f"{where}の区分は{r['code']}",
                    f"the actual {num_en(res.actual, res.unit)} ({res.actual_as_of}) meets the target {_goal(res, True)}, "
                    f"yet {where_en} rates it {r['code']}", sources))
            if official in top and flags["observed_after_deadline"] and not flags["target_met"]:
                out.append(Finding(
                    "missed_but_rated_high", kpi["id"], kpi["name"],
                    f"期限を過ぎた実績{num(res.actual, res.unit)}({res.actual_as_of})は目標{_goal(res)}に届いていないのに、"
                    f"{where}の区分は{r['code']}",
                    f"the actual {num_en(res.actual, res.unit)} ({res.actual_as_of}), at or after the deadline, misses "
                    f"the target {_goal(res, True)}, yet {where_en} rates it {r['code']}", sources))
    return out


def _goal(res: RatingResult, en: bool = False) -> str:
    if res.target is None:
        return "(a rise)" if en else "（向上）"
    value = num_en(res.target, res.unit) if en else num(res.target, res.unit)
    if not res.deadline:
        return value
    return f"{value} (by {res.deadline})" if en else f"{value}({res.deadline})"


def rollup_members(kpis: list[dict], scheme: Scheme, dates: dict, results: list[dict], as_of: date,
                   recomputed: dict | None = None) -> dict:
    """For each sheet with a published overall result: its indicators rated on the sheet's own numbers."""
    if scheme.rollup is None or scheme.rollup.group_by != "document" or not results:
        return {}
    docs = {doc_key(pr.get("source")) for pr in results}
    out: dict = {}
    seen: set = set()
    for k in kpis:
        for r in _official(k, scheme):
            doc = doc_key(r.get("source"))
            if doc in docs and (doc, k["id"]) not in seen:
                seen.add((doc, k["id"]))
                out.setdefault(doc, []).append(_recompute(k, r, scheme, dates, as_of, recomputed))
    return out


def rollup_compare(members: dict, scheme: Scheme, results: list[dict]) -> list[Finding]:
    """The published overall result of a sheet against the scheme's roll-up of the same sheet's indicators."""
    if scheme.rollup is None or scheme.rollup.group_by != "document" or not results:
        return []
    out = []
    for pr in results:
        doc = doc_key(pr.get("source"))
        rated = members.get(doc)
        if not rated:
            continue
        group = roll_up_group(pr["policy"], doc, rated, scheme.rollup)
        if group.result.judged and group.result.result != pr["result"]:
            out.append(Finding(
                "rating_mismatch", None, pr["policy"],
                f"{at(pr['source'])}の総合結果は「{pr['result']}」だが、{scheme.name}の集計規則では「{group.result.result}」: "
                f"{group.explanation}",
                f"{at_en(pr['source'])} gives the overall result \"{pr['result']}\", but the {scheme.name} roll-up "
                f"gives \"{group.result.result}\": {group.explanation_en}", _cite(pr["source"])))
    return out


def rollup_findings(kpis: list[dict], scheme: Scheme, dates: dict, results: list[dict], as_of: date,
                    recomputed: dict | None = None) -> list[Finding]:
    """The published overall result of a sheet against the scheme's roll-up of the same sheet's indicators."""
    return rollup_compare(rollup_members(kpis, scheme, dates, results, as_of, recomputed), scheme, results)


def rating_conflicts(kpis: list[dict]) -> list[Finding]:
    """Two documents rating the same KPI differently for the same observation."""
    out = []
    for kpi in kpis:
        groups: dict = {}
        for r in kpi.get("ratings", []):
            if r.get("official") and r.get("as_of") is not None:
                groups.setdefault((r["scheme"], r["as_of"]), []).append(r)
        for (scheme, when), rows in groups.items():
            codes = {code_key(r["code"]) for r in rows}
            docs = {doc_key(r.get("source")) for r in rows}
            if len(codes) < 2 or len(docs) < 2:
                continue
            obs = _observationsat(kpi, when)
            value = "・".join(sorted({num(o["value"], o.get("unit")) for o in obs})) or "値不明"
            value_en = ", ".join(sorted({num_en(o["value"], o.get("unit")) for o in obs})) or "value unknown"
            parts = "、".join(f"{at(r.get('source'))}は{r['code']}" for r in rows)
            parts_en = "; ".join(f"{at_en(r.get('source'))} rates it {r['code']}" for r in rows)
            out.append(Finding(
                "rating_conflict", kpi["id"], kpi["name"],
                f"同じ実績（{when}: {value}）に対して区分が食い違う: {parts}",
                f"the same observation ({when}: {value_en}) is rated differently: {parts_en}",
                _cite(*(r.get("source") for r in rows), *(o.get("source") for o in obs))))
    return out


def _observationsat(kpi: dict, when: date) -> list[dict]:
    return [o for o in kpi.get("observations", []) if o.get("as_of") == when and o.get("value") is not None
            and o.get("status") != "forecast"]


def _approx(row: dict) -> bool:
    """Whether a row's value was given as approximate: its "approx" when it says (the audit's columns), else read from
    its text (approximate_figure)."""
    if "approx" in row:
        return bool(row["approx"])
    value = row.get("value")
    return approximate_figure(None if value is None else float(value), row.get("text"))


@lru_cache(maxsize=1 << 16)
def approximate_figure(value: float | None, text: str | None) -> bool:
    """Whether text gives value as approximate: the figure of the text that is this value, as the reader reads the cell
    (jp.cells: 約, 概ね, およそ, 最大約 before it, 程度 after it) — 「430団体、約7,693万人」 gives 430団体 exactly and
    7,693万人 approximately, where the 約 anywhere in the cell gave both the leeway. A text without 約 gives no
    approximate value (the audit's columns ask the database only for texts with 約); one whose figures are none of the
    value (a share read as a percentage, a figure in kanji) is read as 約 before any figure (jp.printed.APPROX_MARK: not
    the 約 of 集約化 or 契約)."""
    if not text or "約" not in text:
        return False
    if value is not None:
        try:
            figures = analyse(text).quantities
        except Exception:  # noqa: BLE001 - a text the reader cannot take apart is read by the mark below
            figures = []
        same = [f for f in figures if abs(f.q.value - value) <= 1e-9 * max(abs(value), 1.0)]
        if same:
            return any(f.approx for f in same)
    return APPROX_MARK.search(text) is not None


def _differ(a: float, b: float, approx: bool) -> bool:
    tolerance = APPROX_TOLERANCE if approx else 1e-9
    return abs(a - b) > tolerance * max(abs(a), abs(b))


def value_conflicts(kpis: list[dict]) -> list[Finding]:
    """Different values for the same KPI at the same point in time (a 速報値 later revised by a 確報値 is not one)."""
    out = []
    # a national KPI repeats its values and its places (its bodies' values share one line): each is written once, the
    # places kept per source object (the rows of a line share one; at() reads only its document and line)
    written: dict = {}  # (value, unit) -> (as written, in English)
    cited: dict = {}  # id(source) -> (place, in English)

    def place(source: dict | None) -> tuple[str, str]:
        got = cited.get(id(source))
        if got is None:
            got = cited[id(source)] = (at(source), at_en(source))
        return got

    for kpi in kpis:
        stated = [o for o in kpi.get("observations", []) if o.get("status") != "forecast"]
        stated += kpi.get("baselines") or ([kpi["baseline"]] if kpi.get("baseline") else [])
        by_day: dict = {}
        for o in stated:
            if o.get("value") is not None and o.get("as_of") is not None:
                by_day.setdefault(o["as_of"], []).append(o)
        for when, rows in sorted(by_day.items()):
            # the rows in at least one conflicting pair; any() stops at the first other row that disagrees, so a date
            # with hundreds of differing values (one per local body) costs about n checks, not n²
            involved = _involved(rows)
            if not involved:
                continue
            values: dict = {}  # value as written -> its rows' places (ja, en), and the English of its first row
            for r in involved:
                key = (r["value"], r.get("unit"))
                w = written.get(key)
                if w is None:
                    w = written[key] = conflicting_value(float(r["value"]), r.get("unit"))
                entry = values.get(w[0])
                if entry is None:
                    entry = values[w[0]] = (w[1], [])
                entry[1].append(place(r.get("source")))
            out.append(Finding("value_conflict", kpi["id"], kpi["name"], *conflict_message(when, *conflict_parts(values)),
                               _cite(*(r.get("source") for r in involved))))
    return out


def conflict_message(when: date, parts: list[str], parts_en: list[str], one_place: bool) -> tuple[str, str]:
    """A value conflict's message in Japanese and English. Values that all come from one place (one line printing
    several values for the date) are said to be that, not to differ between documents."""
    if one_place:
        return (f"{when}時点の値が同じ箇所に複数書かれている: {'、'.join(parts)}",
                f"several values are given for {when} at one place: {'; '.join(parts_en)}")
    return (f"{when}時点の値が資料によって異なる: {'、'.join(parts)}",
            f"the value at {when} differs between documents: {'; '.join(parts_en)}")


def conflict_parts(values: dict) -> tuple[list[str], list[str], bool]:
    """The parts of a value conflict's message, in Japanese and English, from each value as written -> (its English,
    the places (ja, en) of its rows): each value's places once, and the values printed at the same places written
    together before them — 「255団体・310団体（a.txt 4行）、285団体（b.txt 7行）」. A line that prints the values of all
    the bodies a KPI counts is named once, not once a value (a national KPI's message was 2,500 characters). Last,
    whether every value comes from one place."""
    together: dict = {}  # a value's places -> the values (ja, en) printed there, in the order they come
    for ja, (en, places) in values.items():
        got = together.setdefault(tuple(dict.fromkeys(places)), ([], []))
        got[0].append(ja)
        got[1].append(en)
    return (["・".join(ja) + "（" + "・".join([p[0] for p in places]) + "）" for places, (ja, _) in together.items()],
            [", ".join(en) + " (" + ", ".join([p[1] for p in places]) + ")" for places, (_, en) in together.items()],
            len(together) == 1 and len(next(iter(together))) == 1)


def _values_conflict(a: dict, b: dict) -> bool:
    if a.get("unit") and b.get("unit") and a["unit"] != b["unit"]:
        return False
    if {a.get("status"), b.get("status")} == {"preliminary", "final"}:
        return False
    return _differ(float(a["value"]), float(b["value"]), _approx(a) or _approx(b))


def _involved(rows: list[dict]) -> list[dict]:
    """The rows of one date in at least one conflicting pair. Where no row is approximate (約), no two units or a
    速報値 and a 確報値 meet and every value is positive, a row conflicts with another exactly when it differs from the
    smallest or the largest value: n checks. Otherwise any() stops at the first other row that disagrees."""
    values = [float(r["value"]) for r in rows]
    if (min(values) > 0 and not any(_approx(r) for r in rows)
            and len({r.get("unit") for r in rows if r.get("unit")}) <= 1
            and not {"preliminary", "final"} <= {r.get("status") for r in rows}):
        lo, hi = min(values), max(values)
        return [r for r, v in zip(rows, values) if _differ(v, lo, False) or _differ(v, hi, False)]
    return [r for r in rows if any(_values_conflict(r, other) for other in rows if other is not r)]


@dataclass
class _Statement:
    target: dict
    value: float | None
    deadline: date | None
    unset: bool
    when: date | None
    approx: bool

    @property
    def source(self) -> dict | None:
        return self.target.get("source")

    @property
    def edition_date(self) -> date | None:
        return self.target.get("edition_date")

    # dates as precisely as the document gave them: 2020年度末, not 2021-03-31
    def promised(self, en: bool = False) -> str | None:
        promised = self.target.get("promised_by")
        return (_d_en if en else _d)(promised, self.target.get("promised_by_precision")) if promised else None

    def due(self, en: bool = False) -> str | None:
        return (_d_en if en else _d)(self.deadline, self.target.get("deadline_precision")) if self.deadline else None

    def describe(self, unit: str | None) -> str:
        if self.value is None:
            promised = self.promised()
            return f"未設定（{promised}までに設定予定）" if promised else "未設定"
        return f"{num(self.value, unit)}({self.due() or '期限なし'})"

    def describe_en(self, unit: str | None) -> str:
        if self.value is None:
            promised = self.promised(True)
            return f"not set (promised by {promised})" if promised else "not set"
        return f"{num_en(self.value, unit)} (by {self.due(True) or 'no deadline'})"


def _statements(kpi: dict, dates: dict) -> list[_Statement]:
    baseline = pick_baseline(kpi, date.max)
    known = ([baseline] if baseline else [])
    if any((t.get("relative") or {}).get("base_fiscal_year") for t in kpi.get("targets", [])):
        # only a target relative to a named fiscal year's value reads the actuals (resolve_target)
        known += [Point(float(o["value"]), o["as_of"]) for o in kpi.get("observations", [])
                  if o.get("value") is not None and o.get("as_of")]
    out = []
    for t in kpi.get("targets", []):
        if t.get("interim"):
            continue
        goal = resolve_target(t, known, baseline, dates)
        if goal is not None and goal.value is not None:
            out.append(_Statement(t, goal.value, t.get("deadline"), False, stated_on(t, dates), goal.approx))
        elif goal is None and t.get("unset"):
            out.append(_Statement(t, None, t.get("deadline"), True, stated_on(t, dates), False))
    return out


def _conflicting(a: _Statement, b: _Statement) -> bool:
    beside = _beside_same(a, b)
    if beside is not None:
        return beside
    if a.edition_date and b.edition_date and a.edition_date != b.edition_date:
        return False  # one edition revising another: target_revised
    if a.unset or b.unset:
        # two parts of one statement date promising to set the target by different dates
        return a.unset and b.unset and a.when == b.when and a.target.get("promised_by") != b.target.get("promised_by")
    # the same deadline with another value, or the same value with another deadline; when both differ the two
    # may be successive milestones (FY2018 and FY2021), which is no conflict
    same_value = not _differ(a.value, b.value, a.approx or b.approx)
    return (a.deadline == b.deadline) != same_value


def _primary(text: str | None) -> tuple[float, str] | None:
    """The figure a second measure's target is printed beside ("2016年度中に300団体(実施団体の人口6000万人)" → 300団体)."""
    try:
        p = parse(text or "", "target")
    except ParseError:
        return None
    return (p.value, p.unit) if p.value is not None and p.unit else None


def _beside_same(a: _Statement, b: _Statement) -> bool | None:
    """Two statements of a second measure (the population beside a count) printed beside the same first figure: they
    conflict when they differ, whatever their deadlines (300団体 covering 6000万人 in one and 8000万人 in the other).
    None when this rule does not apply."""
    if a.unset or b.unset or a.value is None or b.value is None:
        return None
    pa, pb = _primary(a.target.get("text")), _primary(b.target.get("text"))
    unit = a.target.get("unit")
    if not pa or not pb or pa[1] == unit or pb[1] == unit or pa[1] != pb[1] or _differ(pa[0], pb[0], False):
        return None
    return _differ(a.value, b.value, a.approx or b.approx)


def _key(s: _Statement) -> tuple:
    return (s.value if s.value is not None else -1.0, s.deadline or date.max, s.target.get("promised_by") or date.max)


def target_conflicts(kpis: list[dict], dates: dict) -> list[Finding]:
    """Two documents, or two parts of one, stating different targets (successive editions are revisions instead)."""
    out = []
    for kpi in kpis:
        found: dict = {}
        for a, b in combinations(_statements(kpi, dates), 2):
            if _conflicting(a, b):
                found.setdefault(tuple(sorted([_key(a), _key(b)])), []).extend([a, b])
        unit = kpi.get("unit")
        for pair, rows in found.items():
            sides = [_unique([s for s in rows if _key(s) == key]) for key in pair]
            ja = "と".join(f"{side[0].describe(unit)}（{'・'.join(map(_where, side))}）" for side in sides)
            en = " versus ".join(f"{side[0].describe_en(unit)} ({', '.join(map(_where_en, side))})" for side in sides)
            if _beside_same(sides[0][0], sides[1][0]):
                first = _primary(sides[0][0].target.get("text"))
                ja += f"（どちらも同じ{num(*first)}の目標に添えた値）"
                en += f" (both printed beside the same target of {num_en(*first)})"
            out.append(Finding("target_conflict", kpi["id"], kpi["name"], f"目標が食い違う: {ja}",
                               f"the stated targets disagree: {en}", _cite(*(s.source for s in rows))))
    return out


def _unique(statements: list[_Statement]) -> list[_Statement]:
    seen, out = set(), []
    for s in statements:
        key = (doc_key(s.source), (s.source or {}).get("line"))
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _where(s: _Statement) -> str:
    return at(s.source) + (f"（{s.edition_date}版）" if s.edition_date else "")


def _where_en(s: _Statement) -> str:
    return at_en(s.source) + (f" (the {s.edition_date} edition)" if s.edition_date else "")


def _editions(kpi: dict, dates: dict) -> list[tuple[date, list[_Statement]]]:
    """The statements of each edition that speaks of this KPI, oldest edition first."""
    by_edition: dict = {}
    for s in _statements(kpi, dates):
        if s.edition_date:
            by_edition.setdefault(s.edition_date, []).append(s)
    return sorted(by_edition.items(), key=lambda kv: kv[0])


def _revision(old: _Statement, new: _Statement, direction: int) -> tuple[str, str] | None:
    """What changed between two editions' targets, in words; None when nothing did."""
    if old.value is None and new.value is not None:
        promised = old.target.get("promised_by")
        if promised and new.edition_date > promised:
            return (f"目標値が設定された（設定予定の{old.promised()}より後）",
                    f"the target was set (after the promised {old.promised(True)})")
        return "目標値が設定された", "the target was set"
    if old.value is not None and new.value is None:
        return "目標値が未設定に戻された", "the target was withdrawn"
    if old.value is None:
        a, b = old.target.get("promised_by"), new.target.get("promised_by")
        if a == b:
            return None
        if a and b and b > a:
            return (f"設定予定時期が{old.promised()}から{new.promised()}に延期された",
                    f"the date for setting it was postponed from {old.promised(True)} to {new.promised(True)}")
        return (f"設定予定時期が{old.promised()}から{new.promised()}に変わった",
                f"the date for setting it changed from {old.promised(True)} to {new.promised(True)}")
    ja, en = [], []
    if _differ(old.value, new.value, old.approx or new.approx):
        up = new.value > old.value
        tighter = direction * (new.value - old.value) > 0
        ja.append(f"目標値が{'引き上げ' if up else '引き下げ'}られた（{'厳しく' if tighter else '緩く'}なった）")
        en.append(f"the target was {'raised' if up else 'lowered'} ({'tighter' if tighter else 'looser'})")
    if old.deadline != new.deadline:
        later = bool(old.deadline and new.deadline and new.deadline > old.deadline)
        ja.append(f"期限が{'延ばされた' if later else '変わった'}")
        en.append(f"the deadline was {'postponed' if later else 'changed'}")
    return ("、".join(ja), "; ".join(en)) if ja else None


def target_revisions(kpis: list[dict], dates: dict) -> list[Finding]:
    """A later edition changed a target, its deadline, or the date by which it was to be set."""
    out = []
    for kpi in kpis:
        editions = _editions(kpi, dates)
        direction = -1 if kpi.get("direction") == "down" else 1
        unit = kpi.get("unit")
        for (d1, olds), (d2, news) in zip(editions, editions[1:]):
            # an edition that contradicts itself (a target_conflict) is revised only where no part of it agrees
            changes = [(o, n, _revision(o, n, direction)) for n in news for o in olds]
            if any(c is None for _, _, c in changes):
                continue
            old, new, change = changes[0]
            ja, en = change
            out.append(Finding(
                "target_revised", kpi["id"], kpi["name"],
                f"{d1}版の{old.describe(unit)}から{d2}版の{new.describe(unit)}へ: {ja}",
                f"from {old.describe_en(unit)} in the {d1} edition to {new.describe_en(unit)} in the {d2} edition: {en}",
                _cite(old.source, new.source)))
    return out


def target_overdue(kpis: list[dict], dates: dict) -> list[Finding]:
    """A target promised by a date that a document dated after it still shows as unset."""
    out = []
    for kpi in kpis:
        unset = [s for s in _statements(kpi, dates) if s.unset]
        promises = [s for s in unset if s.target.get("promised_by")]
        for promised in sorted({s.target["promised_by"] for s in promises}):
            late = [s for s in unset if s.when and s.when > promised]
            if not late:
                continue
            made = [s for s in promises if s.target["promised_by"] == promised]
            latest = max(late, key=lambda s: s.when)
            out.append(Finding(
                "target_overdue", kpi["id"], kpi["name"],
                f"目標は{made[0].promised()}までに設定するとされた（{at(made[0].source)}）が、{latest.when}時点の"
                f"{at(latest.source)}でも未設定（「{latest.target.get('text')}」）",
                f"the target was to be set by {made[0].promised(True)} ({at_en(made[0].source)}), but {at_en(latest.source)} "
                f"as of {latest.when} still shows it unset (\"{latest.target.get('text')}\")",
                _cite(*(s.source for s in made), *(s.source for s in late))))
    return out


def overdue_announcements(kpi: dict, as_of: date) -> list[tuple[date, dict]]:
    """(due date, appearance) of each next measurement a document announced for the KPI that is due before as_of."""
    due_at = [(a.get("next_measurement_date") or announced_due(a.get("next_measurement")), a)
              for a in kpi.get("appearances", [])]
    return [(due, a) for due, a in due_at if due is not None and due < as_of]


def stale(kpis: list[dict], dates: dict, as_of: date) -> list[Finding]:
    """The next measurement a document announced is due by as_of, yet no newer actual has been published."""
    out = []
    for kpi in kpis:
        due_at = overdue_announcements(kpi, as_of)
        if not due_at:
            continue
        # (day, observation) of each actual: an undated actual counts as of its document's date
        actuals = []
        for o in kpi.get("observations", []):
            if o.get("value") is not None and o.get("status") != "forecast":
                day = o.get("as_of") or dates.get(doc_key(o.get("source")))
                if day:
                    actuals.append((day, o))
        overdue = []
        for due, a in due_at:
            doc = doc_key(a.get("source"))
            own = [x for x in actuals if doc_key(x[1].get("source")) == doc]
            if not _any_newer(actuals, own, dates.get(doc)):
                overdue.append((due, a, own))
        if not overdue:
            continue
        day, latest = max(actuals, key=lambda x: x[0]) if actuals else (None, None)
        out.append(stale_finding(kpi, [(d, a) for d, a, _ in overdue], latest, day, as_of))
    return out


def stale_finding(kpi: dict, overdue: list[tuple[date, dict]], latest: dict | None, day: date | None,
                  as_of: date) -> Finding:
    """The stale finding of a KPI whose announced measurements (due date, appearance) are overdue; latest is its
    newest actual (None: none yet), day the date it counts as of."""
    due = min(d for d, _ in overdue)
    if latest:
        when = (day, latest.get("as_of_precision"), latest.get("text") or "")
    # an actual printed without a date says so: the document's date stands in for it, never silently
    undated = latest is not None and not latest.get("as_of")
    when_ja = f"日付の記載なし、資料の日付{day}で扱う" if undated else (_d(*when) if latest else "")
    when_en = f"no date printed, taken as of the document's date {day}" if undated else (_d_en(*when) if latest else "")
    have = f"最新の実績は{num(latest['value'], latest.get('unit'))}({when_ja}、{at(latest.get('source'))})" \
        if latest else "実績はまだない"
    have_en = f"the latest actual is {num_en(latest['value'], latest.get('unit'))} ({when_en}, " \
              f"{at_en(latest.get('source'))})" if latest else "there is no actual yet"
    said = overdue[0][1]
    # written as precisely as announced: 2018年3月頃 → 2018年3月, 翌年度末 → 2018年度末
    precision = said.get("next_measurement_precision") or precision_of(said.get("next_measurement"), due)
    return Finding(
        "stale", kpi["id"], kpi["name"],
        f"次回の把握時期「{said.get('next_measurement')}」（{_d(due, precision)}、{at(said.get('source'))}）を"
        f"{as_of}時点で過ぎたが、新しい実績がない。{have}",
        f"the next measurement announced as \"{said.get('next_measurement')}\" ({_d_en(due, precision)}, "
        f"{at_en(said.get('source'))}) "
        f"is past as of {as_of}, with no newer actual; {have_en}",
        _cite(*(a.get("source") for _, a in overdue), latest.get("source") if latest else None))


def _any_newer(actuals: list[tuple], own: list[tuple], doc_date: date | None) -> bool:
    """any(_newer(o, own, doc_date) for o in actuals), with what own reported worked out once (not once per actual);
    actuals and own are (day, observation) pairs."""
    if not own:
        return any(doc_date is None or day > doc_date for day, _ in actuals)
    last = max(day for day, _ in own)
    final_at_last = any(x.get("status") == "final" for day, x in own if day == last)
    return any(day > last or (day == last and o.get("status") == "final" and not final_at_last) for day, o in actuals)


def _newer(o: dict, own: list[dict], doc_date: date | None) -> bool:
    """Whether o is newer than what the announcing document reported (a 確報値 replacing its 速報値 counts)."""
    if not own:
        return doc_date is None or o["as_of"] > doc_date
    last = max(x["as_of"] for x in own)
    if o["as_of"] > last:
        return True
    return o["as_of"] == last and o.get("status") == "final" and all(
        x.get("status") != "final" for x in own if x["as_of"] == last)


_TIER_JA = {1: "第一階層", 2: "第二階層"}
_TIER_EN = {1: "first tier (output)", 2: "second tier (outcome)"}


def tier_conflicts(kpis: list[dict]) -> list[Finding]:
    """Two documents placing the same KPI in different tiers (第一階層 / 第二階層)."""
    out = []
    for kpi in kpis:
        placed = [a for a in kpi.get("appearances", []) if a.get("tier") in _TIER_JA and a.get("source")]
        tiers = {a["tier"] for a in placed}
        if len(tiers) < 2 or len({doc_key(a["source"]) for a in placed}) < 2:
            continue
        by_tier = {t: [a for a in placed if a["tier"] == t] for t in sorted(tiers)}
        ja = "、".join(f"{'・'.join(at(a['source']) for a in rows)}は{_TIER_JA[t]}" for t, rows in by_tier.items())
        en = "; ".join(f"{', '.join(at_en(a['source']) for a in rows)} in the {_TIER_EN[t]}" for t, rows in by_tier.items())
        out.append(Finding("tier_conflict", kpi["id"], kpi["name"], f"資料によって階層が異なる: {ja}",
                           f"the documents place it in different tiers: {en}", _cite(*(a["source"] for a in placed))))
    return out


_PERCENT_SIGNS = "%％﹪&"  # what prepare_cell may turn into the % _CUT_SHARE needs (& for &#37; and &percnt;)
_PERCENT_SIGN = re.compile(f"[{_PERCENT_SIGNS}]")


def _printed_cuts(kpi: dict) -> list[tuple[str, dict, bool]]:
    """(text, source, own) of every text that may print a cut for this KPI: its own cells, and its reform item's
    progress texts (own = False: those count only where the sentence names the KPI)."""
    # only the texts with a per cent sign (even once normalised): a national KPI has a million plain figures
    sign = _PERCENT_SIGN.search
    own = [(o["text"], o.get("source")) for o in kpi.get("observations", []) if o.get("text") and sign(o["text"])]
    own += [(t.get("text"), t.get("source")) for t in kpi.get("targets", [])]
    own += [(a.get(f), a.get("source")) for a in kpi.get("appearances", []) for f in ("next_measurement", "policy_text")]
    rows = [(t, s, True) for t, s in own if t and sign(t)]
    rows += [(x["text"], x.get("source"), False) for x in kpi.get("item_texts", []) if x.get("text") and sign(x["text"])]
    return rows


@lru_cache(maxsize=1 << 16)
def _cuts_in(text: str) -> tuple[str, tuple]:
    """A text as prepared and the cuts it prints, kept per text (a national database repeats its texts)."""
    s = prepare_cell(text)
    return s, tuple(_CUT_SHARE.finditer(s))


def percent_mismatches(kpis: list[dict]) -> list[Finding]:
    """A printed percentage that does not follow from the printed amounts: a cut of X against the KPI's base B is
    printed as p%, yet X ÷ B is not p% to the nearest whole per cent (rounded or cut off)."""
    out = []
    for kpi in kpis:
        bases = [b for b in kpi.get("baselines") or [] if b.get("value")]
        if not bases:
            continue
        found: dict = {}
        for text, source, own in _printed_cuts(kpi):
            s, cuts = _cuts_in(text)
            for m in cuts:
                if not own:
                    # the last 「…については」 before the cut in its sentence names what is cut
                    subjects = _SUBJECT.findall(s[:m.start()].rsplit("。", 1)[-1])
                    name = prepare_cell(kpi.get("name") or "")
                    if not subjects or not name.endswith(subjects[-1].strip()):
                        continue
                try:
                    amount = parse(f"{m.group(2)}{m.group(3)}", "actual")
                except ParseError:
                    continue
                year = int(m.group(4)) if m.group(4) else None
                base = next((b for b in bases if b.get("unit") in (None, amount.unit) and
                             (year is None or b.get("as_of") == fiscal_year_end(year))), None)
                if base is None or amount.value is None:
                    continue
                share, printed = 100 * amount.value / float(base["value"]), float(m.group(6))
                key = (amount.value, printed, float(base["value"]))
                entry = found.setdefault(key, {"share": share, "printed": m.group(0), "sources": [], "base": base})
                entry["sources"].append(source)
        for (amount, printed, base_value), e in found.items():
            if abs(e["share"] - printed) < 1:
                continue
            base = e["base"]
            where = "・".join(dict.fromkeys(at(s) for s in e["sources"]))
            where_en = ", ".join(dict.fromkeys(at_en(s) for s in e["sources"]))
            unit = base.get("unit") or kpi.get("unit")
            out.append(Finding(
                "percent_mismatch", kpi["id"], kpi["name"],
                f"「{e['printed']}」（{where}）: 基準{num(base_value, unit)}（{at(base.get('source'))}）に対し"
                f"{num(amount, unit)}は{e['share']:.1f}%で、{printed:g}%にならない",
                f"\"{e['printed']}\" ({where_en}): {num_en(amount, unit)} of the base {num_en(base_value, unit)} "
                f"({at_en(base.get('source'))}) is {e['share']:.1f}%, not {printed:g}%",
                _cite(*e["sources"], *(b.get("source") for b in bases if float(b["value"]) == base_value))))
    return out


# A document that writes 令和 was written on or after the era began: an undated catalogue is later than that.
_REIWA = date(2019, 5, 1)


def _not_before(text: str | None) -> date | None:
    return _REIWA if "令和" in (text or "") else None


def _describe(t: dict, unit: str | None, en: bool = False) -> str:
    """A target as stated: its figure and deadline, its promise, or (a cut whose base is not given) its words."""
    deadline = t.get("deadline")
    when = (_d_en if en else _d)(deadline, t.get("deadline_precision")) if deadline else None
    if t.get("unset"):
        promised = t.get("promised_by")
        if promised:
            promised = (_d_en if en else _d)(promised, t.get("promised_by_precision"))
        if en:
            return f"not set (promised by {promised})" if promised else "not set"
        return f"未設定（{promised}までに設定予定）" if promised else "未設定"
    if t.get("value") is not None:
        value = (num_en if en else num)(float(t["value"]), t.get("unit") or unit)
        return (f"{value} (by {when})" if en else f"{value}({when})") if when else value
    return f"\"{t.get('text')}\"" if en else f"「{t.get('text')}」"


def later_document_revisions(kpis: list[dict], dates: dict) -> list[Finding]:
    """target_revised by a later document that has no date of its own (the national catalogue, seed 003): its
    statement of a KPI mieruka knows is later than every statement dated before the 令和 era its words use. What
    changed: the target, its deadline, or a deadline promised as 「設定予定」 that it now gives."""
    out = []
    for kpi in kpis:
        targets = [t for t in kpi.get("targets", []) if not t.get("interim")]
        later = [t for t in targets if not t.get("edition_date") and stated_on(t, dates) is None
                 and _not_before(t.get("text"))]
        if not later:
            continue
        unit, direction = kpi.get("unit"), -1 if kpi.get("direction") == "down" else 1
        seen: set = set()
        for new in later:
            if new.get("text") in seen:
                continue
            seen.add(new.get("text"))
            bound = _not_before(new.get("text"))
            before = [(stated_on(t, dates), t) for t in targets if t not in later and stated_on(t, dates)
                      and stated_on(t, dates) < bound]
            if not before:
                continue
            newest = max(w for w, _ in before)
            olds = [t for w, t in before if w == newest]
            old = olds[0]
            ja, en = [], []
            if old.get("unset") and not new.get("unset") and new.get("deadline"):
                promised = old.get("promised_by")
                when_ja = _d(promised, old.get("promised_by_precision")) if promised else None
                when_en = _d_en(promised, old.get("promised_by_precision")) if promised else None
                ja.append(f"設定予定とされた目標の期限が{_d(new['deadline'], new.get('deadline_precision'))}と示された"
                          + (f"（設定予定の{when_ja}より後の資料）" if promised and bound > promised else ""))
                en.append(f"the deadline promised as to be set is given as {_d_en(new['deadline'], new.get('deadline_precision'))}"
                          + (f" (in a document later than the promised {when_en})" if promised and bound > promised else ""))
            if old.get("value") is not None and new.get("value") is not None and \
                    _differ(float(old["value"]), float(new["value"]), _approx(old) or _approx(new)):
                up = new["value"] > old["value"]
                tighter = direction * (new["value"] - old["value"]) > 0
                ja.append(f"目標値が{'引き上げ' if up else '引き下げ'}られた（{'厳しく' if tighter else '緩く'}なった）")
                en.append(f"the target was {'raised' if up else 'lowered'} ({'tighter' if tighter else 'looser'})")
            if old.get("deadline") and new.get("deadline") and old["deadline"] != new["deadline"]:
                later_deadline = new["deadline"] > old["deadline"]
                ja.append(f"期限が{'延ばされた' if later_deadline else '早められた'}")
                en.append(f"the deadline was {'postponed' if later_deadline else 'brought forward'}")
            if not ja:
                continue
            where_old = "・".join(dict.fromkeys(at(t.get("source")) for t in olds))
            where_old_en = ", ".join(dict.fromkeys(at_en(t.get("source")) for t in olds))
            out.append(Finding(
                "target_revised", kpi["id"], kpi["name"],
                f"{where_old}（{newest}）の{_describe(old, unit)}から、{at(new.get('source'))}（日付の記載なし、令和の年号を"
                f"用いるので{bound}以降）の{_describe(new, unit)}へ: {'、'.join(ja)}",
                f"from {_describe(old, unit, True)} in {where_old_en} ({newest}) to {_describe(new, unit, True)} in "
                f"{at_en(new.get('source'))} (undated; it writes the 令和 era, so on or after {bound}): {'; '.join(en)}",
                _cite(*(t.get("source") for t in olds), new.get("source"))))
    return out


def _fold_office(name: str) -> str:
    return re.sub(r"\s", "", prepare_cell(name))


def office_conflicts(kpis: list[dict]) -> list[Finding]:
    """One schedule row (the same step of the same edition and period) printed with different offices. A finding about
    the reform item, made from its first KPI's row (evaluate gets the item's schedule rows only there)."""
    out = []
    for kpi in kpis:
        rows: dict = {}
        for s in kpi.get("item_schedules") or []:
            if s.get("offices"):
                rows.setdefault((s.get("edition"), s.get("period"), re.sub(r"\s", "", s.get("text") or "")), []).append(s)
        groups: dict = {}
        for (edition, period, _), printed in rows.items():
            variants = {frozenset(_fold_office(o) for o in s["offices"]) for s in printed}
            if len(variants) < 2:
                continue
            # the same pair of printings usually repeats for each period of the step: one finding per pair
            key = (edition, tuple(sorted((str(doc_key(s.get("source"))), (s.get("source") or {}).get("line") or 0)
                                         for s in printed)))
            groups.setdefault(key, {"edition": edition, "periods": [], "printed": printed})["periods"].append(period)
        for g in groups.values():
            by_line: dict = {}
            for s in g["printed"]:
                by_line.setdefault((doc_key(s.get("source")), (s.get("source") or {}).get("line")), s)
            parts = "、".join(f"{at(s.get('source'))}は《{'、'.join(s['offices'])}》" for s in by_line.values())
            parts_en = "; ".join(f"{at_en(s.get('source'))} names {', '.join(s['offices'])}" for s in by_line.values())
            step = (g["printed"][0].get("text") or "")[:40]
            out.append(Finding(
                "office_conflict", None, kpi.get("reform_item") or kpi["name"],
                f"{g['edition'] or ''}の同じ工程「{step}…」（{'・'.join(g['periods'])}）の担当府省庁が異なる: {parts}",
                f"the same schedule step \"{step}…\" of {g['edition'] or 'the schedule'} ({', '.join(g['periods'])}) names "
                f"different offices: {parts_en}",
                _cite(*(s.get("source") for s in g["printed"]))))
    return out


def _count_texts(kpi: dict) -> tuple[list[tuple[str, dict]], list[tuple[str, dict]]]:
    """(text, source) of the KPI's own cells, and of its reform item's progress texts where this KPI speaks for the
    item (its first KPI, as for office_conflict, so a finding about the item is made once)."""
    own = [(o.get("text"), o.get("source")) for o in kpi.get("observations", [])]
    own += [(t.get("text"), t.get("source")) for t in kpi.get("targets", [])]
    own += [(a.get(f), a.get("source")) for a in kpi.get("appearances", []) for f in ("next_measurement", "policy_text")]
    item = [(x.get("text"), x.get("source")) for x in kpi.get("item_texts", [])] if kpi.get("item_first") else []
    return [(t, s) for t, s in own if t], [(t, s) for t, s in item if t]


def _said(c, en: bool = False) -> str:
    """What the two ways of counting say, in words."""
    if c.shape == "parts":
        parts = ("+".join(num_en(x, c.unit) for x in c.counted) if en else "と".join(num(x, c.unit) for x in c.counted))
        total = sum(c.counted)
        return (f"its parts {parts} add up to {num_en(total, c.unit)}, not the total {num_en(c.total, c.unit)}" if en else
                f"内訳{parts}の合計は{num(total, c.unit)}で、総数{num(c.total, c.unit)}と合わない")
    if c.shape == "sentences":
        return (f"the next sentence counts {num_en(c.counted[0], c.unit)} where the first counts {num_en(c.total, c.unit)} "
                "for the same thing and date" if en else
                f"同じ対象・同じ時点を、次の文は{num(c.counted[0], c.unit)}、前の文は{num(c.total, c.unit)}と数える")
    if c.shape == "list":
        return (f"it counts {c.total:g} but names {len(c.counted)}" if en else
                f"数は{c.total:g}だが、挙げる名称は{len(c.counted)}つ（{'、'.join(c.counted)}）")
    part = c.counted[0]
    return (f"the part {num_en(part, c.unit)} is more than the whole {num_en(c.total, c.unit)}" if en else
            f"うち{num(part, c.unit)}が全体の{num(c.total, c.unit)}を上回る")


def _counts_in(text: str) -> tuple:
    """count_statements of a text, kept per text that may count something twice (a national database repeats its
    texts, and most of them are plain figures that need not be prepared at all)."""
    return _counted(text) if may_count_twice(text) else ()


@lru_cache(maxsize=1 << 17)
def _counted(text: str) -> tuple:
    return tuple(count_statements(text)) if any(c.isdigit() for c in text) else ()


def count_mismatches(kpis: list[dict]) -> list[Finding]:
    """A text that counts one thing two ways that disagree: a total printed with parts that do not add up to it
    (「550団体(…、自治体クラウド211団体、単独クラウド339)」), a count with a list of another length
    (「4つの自治体(…)」), or a part larger than the whole it is said to be part of (「23圏域のうち、15圏域」).
    Figures written with 約 may differ by 5 %."""
    out = []
    seen: set = set()
    for kpi in kpis:
        own, item = _count_texts(kpi)
        for texts, about_item in ((own, False), (item, True)):
            for text, source in texts:
                for c in _counts_in(text):
                    key = (doc_key(source), (source or {}).get("line"), c.text)
                    if c.agrees or key in seen:
                        continue
                    seen.add(key)
                    name = (kpi.get("reform_item") or kpi["name"]) if about_item else kpi["name"]
                    quoted = f"「{c.text}」と「{c.text2}」" if c.text2 else f"「{c.text}」"
                    quoted_en = f"\"{c.text}\" and \"{c.text2}\"" if c.text2 else f"\"{c.text}\""
                    out.append(Finding(
                        "count_mismatch", None if about_item else kpi["id"], name,
                        f"{quoted}（{at(source)}）: {_said(c)}", f"{quoted_en} ({at_en(source)}): {_said(c, True)}",
                        _cite(source)))
    return out


def text_count_mismatches(texts: list[dict]) -> list[Finding]:
    """count_mismatches of running text that belongs to no KPI (storage.ratings.count_text_rows: a policy evaluation
    sheet's analysis, a case's summary), each citing the line it rests on."""
    out = []
    for t in texts:
        source = t.get("source")
        for c in _counts_in(t.get("text") or ""):
            if c.agrees:
                continue
            quoted = f"「{c.text}」と「{c.text2}」" if c.text2 else f"「{c.text}」"
            quoted_en = f"\"{c.text}\" and \"{c.text2}\"" if c.text2 else f"\"{c.text}\""
            out.append(Finding("count_mismatch", None, t.get("about") or "",
                               f"{quoted}（{at(source)}）: {_said(c)}", f"{quoted_en} ({at_en(source)}): {_said(c, True)}",
                               _cite(source)))
    return out
