"""One plain sentence, in Japanese and in English, saying which numbers gave a KPI its code.
A KPI that cannot be rated is told why; the forecast follows when there is one."""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import lru_cache

from mieruka.evaluate import path as p
from mieruka.evaluate.facts import Facts
from mieruka.evaluate.schemes import Scheme
from mieruka.evaluate.series import Series
from mieruka.jp import fiscal_year_of, format_period_en, format_period_ja, format_yen, point_end
from mieruka.jp.numbers import bound_word


@lru_cache(maxsize=1 << 16)  # pure; an audit writes a million values, most of them repeated
def num(value: float, unit: str | None = None) -> str:
    """A value with its unit as a reader expects it: 416団体, 40.1時間, 4,000億円, 99.2%."""
    if unit == "円":
        return format_yen(value)
    if unit == "人" and abs(value) >= 1_000_000:  # a population: 7,693万人, as the documents write it
        return f"{value / 10_000:,.2f}".rstrip("0").rstrip(".") + "万人"
    v = round(value, 2)
    text = f"{int(round(v)):,}" if v == int(v) or abs(v) >= 100 else f"{v:,.2f}".rstrip("0").rstrip(".")
    return text + (unit or "")


# Counters as an English sentence names them; a unit not listed here is kept as written.
_UNITS_EN = {"団体": "bodies", "自治体": "bodies", "圏域": "areas", "システム": "systems", "件": "cases", "人": "people",
             "名": "people", "時間": "hours", "日": "days", "回": "times", "か所": "sites", "箇所": "sites"}
_SINGULAR_EN = {"bodies": "body", "people": "person"}


@lru_cache(maxsize=1 << 16)
def num_en(value: float, unit: str | None = None) -> str:
    """A value with its unit for an English sentence: 416 bodies, 40.1 hours, rank 9, ¥280 billion, 99.2%."""
    if unit == "円":
        v = abs(value)
        scale, word = next(((s, w) for s, w in ((1e12, " trillion"), (1e9, " billion"), (1e6, " million"))
                            if round(v / s, 2) >= 1), (1, ""))
        amount = f"{v / scale:,.2f}".rstrip("0").rstrip(".")  # ¥374.3 billion: 3,743億円 keeps its digits
        return ("−" if value < 0 else "") + "¥" + amount + word
    if unit == "位":
        return "rank " + num(value)
    if unit == "人" and abs(value) >= 1_000_000:
        return f"{value / 1_000_000:,.2f}".rstrip("0").rstrip(".") + " million people"
    if unit in (None, "", "%"):
        return num(value, unit)
    word = _UNITS_EN.get(unit, unit)
    if abs(value) == 1 and unit in _UNITS_EN:
        word = _SINGULAR_EN.get(word, word.removesuffix("s"))
    return f"{num(value)} {word}"



@lru_cache(maxsize=1 << 17)
def conflicting_value(value: float, unit: str | None = None) -> tuple[str, str]:
    """One of the values of a value conflict, in Japanese and English: as num() and num_en() write it, with every digit
    the value has where they round it (1,000.4団体 and 1,000.3団体 differ, where 「1,000団体」 twice would say they do
    not). Money and populations as the documents write them, then the whole amount where that form rounds it, each
    language by its own form: 「1.23億円（123,456,789円）」, "¥123.46 million (¥123,456,789)"."""
    if not math.isfinite(value):  # no document prints one; said as it is rather than failed on
        return f"{value}{unit or ''}", f"{value}{' ' + unit if unit else ''}"
    ja, en = num(value, unit), num_en(value, unit)
    exact = Decimal(repr(value))
    whole = _all_digits(exact)
    if unit == "円" or (unit == "人" and abs(value) >= 1_000_000):
        if _amount(ja, unit, en=False) != exact:
            ja = f"{ja}（{'▲' + whole.lstrip('-') if unit == '円' and value < 0 else whole}{unit}）"
        if _amount(en, unit, en=True) != exact:
            money = ("−¥" if value < 0 else "¥") + whole.lstrip("-")
            en = f"{en} ({money if unit == '円' else whole + ' people'})"
    else:
        plain = num(value)
        if Decimal(plain.replace(",", "")) != exact:
            ja = whole + ja[len(plain):]
            en = en.replace(plain, whole, 1)
    return ja, en


def _all_digits(value: Decimal) -> str:
    """A value with every digit it has, grouped by thousands and without an exponent: 1,000.4, 0.0000001."""
    text = format(value, ",f")
    return text.rstrip("0").rstrip(".") if "." in text else text


_SCALES = (("兆", Decimal(10) ** 12), ("億", Decimal(10) ** 8), ("万", Decimal(10) ** 4),
           (" trillion", Decimal(10) ** 12), (" billion", Decimal(10) ** 9), (" million", Decimal(10) ** 6))


def _amount(text: str, unit: str, en: bool) -> Decimal:
    """The amount a money or population form names, exactly: ▲1.23億円 → -123000000, ¥374.3 billion, 7,693万人,
    76.93 million people."""
    sign = -1 if text.startswith(("▲", "−", "-")) else 1
    body = text.lstrip("▲−-").removeprefix("¥")
    body = body.removesuffix((" people" if en else "人") if unit == "人" else ("" if en else "円"))
    scale = Decimal(1)
    for mark, factor in _SCALES:
        if body.endswith(mark):
            body, scale = body[:-len(mark)], factor
            break
    return sign * Decimal(body.replace(",", "")) * scale


def _gap(gap: float, value: float, unit: str | None, en: bool = False) -> str:
    """The gap to the target at the precision the forecast value is shown with (450団体, not 33.72団体 beside it)."""
    if unit != "円" and abs(value) >= 100:
        gap = round(gap)
    return num_en(gap, unit) if en else num(gap, unit)


def pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _d(day: date | None, precision: str | None = None, said: str | None = None) -> str:
    """A date no more precise than the document gave it: 2020年度末, 2017年4月, else 2017-04-01. said is the text a
    value was read from, for a value's point in time: 「2014年度:208団体」 is 2014年度, not 2014年度末."""
    if not day:
        return "時点不明"
    if precision in ("fiscal_year", "month", "year"):
        end = None if said is None else point_end(precision, said, day)
        return format_period_ja(day, precision, end).split("（", 1)[0]
    return day.isoformat()


def _d_en(day: date | None, precision: str | None = None, said: str | None = None) -> str:
    if not day:
        return "undated"
    return format_period_en(day, precision, None if said is None else point_end(precision, said, day))


def at(source: dict | None) -> str:
    """Where a figure was read: 「a.txt 4行」; a source with no line (a report in the cycle) by its name alone."""
    if not source:
        return "出典不明"
    name = f"{source.get('document')}"
    return name if source.get("line") is None else f"{name} {source['line']}行"


def at_en(source: dict | None) -> str:
    if not source:
        return "an unknown place"
    name = f"{source.get('document')}"
    return name if source.get("line") is None else f"{name} line {source['line']}"


def _cause(scheme: Scheme, index: int) -> str:
    """What decided: the rule's metric, else its first flag ("not:flag" for unless), else "otherwise"."""
    rule = scheme.rules[index]
    if rule.metric:
        return rule.metric
    if rule.when:
        return rule.when[0]
    if rule.unless:
        return "not:" + rule.unless[0]
    return "otherwise"


def explain(series: Series, facts: Facts, scheme: Scheme, index: int) -> tuple[str, str]:
    rule = scheme.rules[index]
    label = scheme.codes[rule.code]
    ja, en = _situation(series, facts, _cause(scheme, index), scheme, label.judged)
    # the rule's own words add something only when they differ from the code's label
    crit_ja = f"（判定基準: {rule.ja}）" if rule.ja and rule.ja != label.ja else ""
    crit_en = f"; criterion: {rule.en}" if rule.en and rule.en != label.en else ""
    named_en = f" ({label.en}{crit_en})" if label.en != rule.code or crit_en else ""
    pf = series.printed_forecast
    if pf is not None:  # named once, as the forecast used or not used, not again as an unused 見込み
        series = replace(series, unused_forecasts=[f for f in series.unused_forecasts if f != pf])
    notes_ja, notes_en = _notes(series, facts)
    pf_ja, pf_en = _printed_forecast_note(series, facts, scheme, _cause(scheme, index))
    fc_ja, fc_en = _forecast_text(series, facts)
    return (f"{ja}ため、{rule.code}「{label.ja}」{crit_ja}。" + notes_ja + pf_ja + fc_ja,
            f"{en[0].upper()}{en[1:]}, so {rule.code}{named_en}." + notes_en + pf_en + fc_en)


def _printed(series: Series) -> tuple[str, str]:
    pf = series.printed_forecast
    return (f"{at(pf.source)}が示す期限時点の見込み{num(pf.value, series.unit)}({_d(pf.day, pf.precision, pf.text)})",
            f"the forecast printed for the deadline in {at_en(pf.source)}, {num_en(pf.value, series.unit)} "
            f"({_d_en(pf.day, pf.precision, pf.text)}),")


def _printed_forecast_note(series: Series, facts: Facts, scheme: Scheme, cause: str) -> tuple[str, str]:
    """Which printed 見込み the rating used, or that it was left out and why."""
    if series.printed_forecast is None or cause == "printed_forecast_met":
        return "", ""
    said, said_en = _printed(series)
    if not scheme.printed_forecasts:
        return (f"{said}は、この評価方式では判定に用いない。",
                f" {said_en[0].upper()}{said_en[1:]} is not used: this scheme rates actuals only.")
    if facts.flags.get("printed_forecast_met"):
        return f"{said}でも目標に届く。", f" {said_en[0].upper()}{said_en[1:]} also meets the target."
    return f"{said}は目標に届かない。", f" {said_en[0].upper()}{said_en[1:]} falls short of the target."


def target_text(series: Series) -> tuple[str, str]:
    goal, unit = series.target, series.unit
    if goal is None:
        return "目標", "the target"
    if goal.improve_only:
        word, word_en = ("向上", "a rise") if series.direction > 0 else ("低下", "a fall")
        if series.baseline:
            return f"目標（基準{num(series.baseline.value, unit)}からの{word}）", \
                f"the target ({word_en} from the baseline {num_en(series.baseline.value, unit)})"
        return f"目標（{word}）", f"the target ({word_en})"
    rel = rel_en = ""
    if goal.relative_factor is not None:
        base = f"{goal.relative_base_label or '基準'}値{num(goal.relative_base, unit)}"
        base_en = f"the {'FY' + goal.relative_base_label[:-2] + ' ' if goal.relative_base_label else 'base '}value " \
                  f"{num_en(goal.relative_base, unit)}"
        if goal.relative_factor == 1:
            rel, rel_en = f"{base}{bound_word(unit, series.direction < 0)}、", f"at least as good as {base_en}; "
        else:
            rel, rel_en = f"{base}の{goal.relative_factor:g}倍、", f"{goal.relative_factor:g} × {base_en}; "
    when = _d(goal.deadline, goal.deadline_precision) if goal.deadline else "期限なし"
    when_en = f"by {_d_en(goal.deadline, goal.deadline_precision)}" if goal.deadline else "no deadline"
    return f"目標{num(goal.value, unit)}({rel}{when})", f"the target of {num_en(goal.value, unit)} ({rel_en}{when_en})"


def _actual(series: Series, facts: Facts) -> tuple[str, str]:
    a = facts.actual
    if a is None:
        return "実績なし", "no actual"
    return (f"{num(a.value, series.unit)}({_d(a.day, a.precision, a.text)})",
            f"{num_en(a.value, series.unit)} ({_d_en(a.day, a.precision, a.text)})")


def _baseline(series: Series) -> tuple[str, str]:
    b = series.baseline
    return (f"基準{num(b.value, series.unit)}({_d(b.day, b.precision, b.text)})",
            f"the baseline {num_en(b.value, series.unit)} ({_d_en(b.day, b.precision, b.text)})")


def _unset(series: Series) -> tuple[str, str]:
    """"2019-03-31までに設定予定、「…」000.txt 181行" — and whether that date has passed by the evaluation date."""
    u = series.unset
    by = by_en = ""
    if u.promised_by:
        late = u.promised_by < series.as_of
        by = (f"設定予定の{_d(u.promised_by, u.precision)}を過ぎている、" if late
              else f"{_d(u.promised_by, u.precision)}までに設定予定、")
        by_en = f"promised by {_d_en(u.promised_by, u.precision)}{', a date now past' if late else ''}, "
    return f"{by}「{u.text}」{at(u.source)}", f"{by_en}\"{u.text}\" at {at_en(u.source)}"


def _unresolved(series: Series) -> tuple[str, str]:
    """The target as the document words it when it gives no number: a share with no base (3割圧縮 of what?)
    or a sentence; quoted short, with its line."""
    t = series.unresolved_target
    if not t:
        return "", ""
    text = t.get("text") or ""
    quoted = text if len(text) <= 30 else text[:29] + "…"
    if (t.get("relative") or {}).get("factor") is not None:
        return (f"（「{quoted}」{at(t.get('source'))}は基準となる値が示されていない）",
                f" (\"{quoted}\" at {at_en(t.get('source'))} names no base value)")
    return f"（目標は「{quoted}」{at(t.get('source'))}）", f" (the target reads \"{quoted}\" at {at_en(t.get('source'))})"


def _situation(series: Series, facts: Facts, cause: str, scheme: Scheme, judged: bool) -> tuple[str, str]:
    """The numbers behind the deciding condition, or why there are none; the Japanese clause takes ため after it."""
    tgt, tgt_en = target_text(series)
    when = series.as_of.isoformat()
    if cause == "after_the_fact":
        return "事後的に検証する指標で、数値による判定の対象ではない", "it is an indicator checked only after the fact"
    if cause == "target_unset" or (cause == "no_target" and series.unset is not None):
        u, u_en = _unset(series)
        return f"目標値がまだ設定されていない（{u}）", f"the target is not set yet ({u_en})"
    if cause == "no_target":
        why, why_en = _unresolved(series)
        return f"数値で判定できる目標が示されていない{why}", f"no numeric target is stated{why_en}"
    if cause == "no_observation":
        extra = f"（単位が目標と異なる{'・'.join(series.excluded_units)}の実績は除外）" if series.excluded_units else ""
        extra_en = f" (actuals in {', '.join(series.excluded_units)} left out: the unit differs from the target's)" \
            if series.excluded_units else ""
        if series.target is None and series.unset is not None:
            u, u_en = _unset(series)
            return (f"目標値がまだ設定されておらず（{u}）、{when}時点で実績値もない",
                    f"the target is not set yet ({u_en}) and there is no actual value as of {when}")
        if series.target is None:
            why, why_en = _unresolved(series)
            return (f"数値で判定できる目標が示されておらず{why}、{when}時点で実績値もない",
                    f"no numeric target is stated{why_en} and there is no actual value as of {when}")
        return (f"{tgt}に対し、{when}時点で実績値がない{extra}",
                f"there is no actual value as of {when} against {tgt_en}{extra_en}")
    act, act_en = _actual(series, facts)
    if cause == "printed_forecast_met":
        said, said_en = _printed(series)
        return (f"{tgt}に対し最新の実績は{act}だが、{said}で目標を達成する",
                f"against {tgt_en} the latest actual is {act_en}, but {said_en} meets the target")
    if cause == "target_met":
        return f"{tgt}を{act}で達成している", f"{act_en} meets {tgt_en}"
    if cause == "deadline_passed" and not facts.flags["observed_after_deadline"]:
        return (f"{tgt}の期限を過ぎた{when}時点で、期限以降の実績がなく達成したか判断できない（最新の実績{act}）",
                f"the deadline of {tgt_en} has passed by {when} with no actual on or after it to show whether "
                f"the target was met (latest actual {act_en})")
    if cause in ("observed_after_deadline", "deadline_passed"):
        return f"{tgt}に対し、期限を過ぎた{act}でも届いていない", f"{act_en}, at or after the deadline, falls short of {tgt_en}"
    if cause == "not:deadline_passed":
        if series.target is None or series.target.deadline is None:
            return f"{tgt}に期限がなく、目標期間が終わらない（最新の実績{act}）", \
                f"{tgt_en} has no deadline, so its period never ends (latest actual {act_en})"
        return (f"{tgt}の期限が{when}時点でまだ来ていない（最新の実績{act}）",
                f"the deadline of {tgt_en} has not come by {when} (latest actual {act_en})")
    if cause in ("no_baseline", "no_deadline"):
        return _no_measure(series, facts, scheme, tgt, tgt_en, act, act_en)
    if cause == "otherwise":
        cause = next((m for m in _metrics_of(scheme) if facts.metrics[m] is not None), None) if judged else None
        if cause is None:
            return _no_measure(series, facts, scheme, tgt, tgt_en, act, act_en)
    return _measure(cause, series, facts, tgt, tgt_en, act, act_en)


def _metrics_of(scheme: Scheme) -> list[str]:
    return list(dict.fromkeys(r.metric for r in scheme.rules if r.metric))


def _measure(metric: str, series: Series, facts: Facts, tgt, tgt_en, act, act_en) -> tuple[str, str]:
    m = facts.metrics[metric]
    base, base_en = _baseline(series) if series.baseline else ("", "")
    if metric == "path_share":
        e, a = facts.expected, facts.actual.value
        side = series.direction * (a - e)
        rel = "上回る" if side > 0 else ("下回る" if side < 0 else "と同じ")
        rel_en = "above" if side > 0 else ("below" if side < 0 else "level with")
        return (f"{tgt}に対し、計画線上の想定{num(e, series.unit)}を{rel}{act}で、{base}からの進捗は計画の{pct(m)}である",
                f"against {tgt_en}, {act_en} is {rel_en} the planned {num_en(e, series.unit)}; progress from {base_en} "
                f"is {pct(m)} of plan")
    if metric == "cagr_ratio":
        b, a, goal = series.baseline, facts.actual, series.target
        done = (a.day.toordinal() - b.day.toordinal()) / p.DAYS_PER_YEAR
        plan = (goal.deadline.toordinal() - b.day.toordinal()) / p.DAYS_PER_YEAR
        rate = p.annual_growth(a.value / b.value, done) * 100
        need = p.annual_growth(goal.value / b.value, plan) * 100
        return (f"{base}から{act}まで年平均{rate:+.1f}%で、{tgt}に必要な年{need:+.1f}%の{pct(m)}である",
                f"from {base_en} to {act_en} the compound annual rate is {rate:+.1f}%, {pct(m)} of the "
                f"{need:+.1f}% a year needed for {tgt_en}")
    if metric == "change":
        return (f"{base}から{act}への変化が目標の向きに{m * 100:+.0f}%である",
                f"{act_en} differs from {base_en} by {m * 100:+.0f}% in the target's direction")
    if metric == "achievement":
        return (f"{tgt}に対し{act}で、{base}から目標までの達成度は{pct(m)}である",
                f"{act_en} against {tgt_en} covers {pct(m)} of the way from {base_en}")
    return f"{tgt}に対し{act}で、目標値の{pct(m)}である", f"{act_en} is {pct(m)} of {tgt_en}"


# What a missing number keeps the scheme's first metric from measuring.
_UNMEASURED = {
    "path_share": ("計画線を引けない", "no planned path can be drawn"),
    "cagr_ratio": ("年平均成長率を比べられない", "no compound growth rates can be compared"),
    "change": ("変化を測れない", "no change can be measured"),
    "achievement": ("達成度を測れない", "no share of the way to the target can be measured"),
    "attainment": ("目標値に対する割合を測れない", "no share of the target can be measured"),
}


def _no_measure(series: Series, facts: Facts, scheme: Scheme, tgt, tgt_en, act, act_en) -> tuple[str, str]:
    """No measure of progress could be computed: say which number is missing or breaks the arithmetic."""
    b, goal = series.baseline, series.target
    metrics = _metrics_of(scheme)
    what, what_en = _UNMEASURED.get(metrics[0] if metrics else "", ("進捗を測れない", "no progress can be measured"))
    if facts.actual is None:
        return f"{tgt}に対し、{series.as_of.isoformat()}時点で実績値がない", \
            f"there is no actual value as of {series.as_of.isoformat()} against {tgt_en}"
    if goal is not None and goal.improve_only and b is None:
        return f"{tgt}に対し{act}だが、基準値がなく向上したか判定できない", \
            f"{act_en} against {tgt_en}, but with no baseline a rise cannot be judged"
    if b is None:
        return f"{tgt}に対し{act}だが、基準値がなく{what}", f"{act_en} against {tgt_en}, but with no baseline {what_en}"
    if b.day is None:
        return f"{tgt}に対し{act}だが、基準値の時点が不明で{what}", \
            f"{act_en} against {tgt_en}, but the baseline is undated, so {what_en}"
    if goal is None or goal.deadline is None:
        return f"{tgt}に対し{act}だが、達成期限がなく{what}", f"{act_en} against {tgt_en}, but with no deadline {what_en}"
    if facts.actual.day <= b.day:
        return (f"{tgt}に対し{act}だが、実績が基準の時点({_d(b.day, b.precision, b.text)})以前で進捗を測れない",
                f"{act_en} against {tgt_en} is not later than the baseline ({_d_en(b.day, b.precision, b.text)}), so no progress can be measured")
    return (f"{tgt}に対し{act}だが、値が正でないなど計算の前提を満たさない",
            f"{act_en} against {tgt_en}, but the values do not allow the calculation (e.g. not positive)")


def _notes(series: Series, facts: Facts) -> tuple[str, str]:
    ja, en = [], []
    unit = series.unit
    if series.baseline_from_observation:
        b = series.baseline
        ja.append(f"基準値の記載がないため最初の実績{num(b.value, unit)}({_d(b.day, b.precision, b.text)})を基準とした")
        en.append(f"No baseline is stated, so the first actual {num_en(b.value, unit)} ({_d_en(b.day, b.precision, b.text)}) stands in")
    if series.forecasts_only:
        ja.append("実績がないため見込み値で判定した")
        en.append("There is no actual yet, so the forecast value (見込み) was used")
    if series.unused_forecasts:
        f = series.unused_forecasts[-1]
        ja.append(f"より新しい見込み値{num(f.value, unit)}({_d(f.day, f.precision, f.text)})は実績ではないため判定に用いていない")
        en.append(f"The newer forecast value (見込み) {num_en(f.value, unit)} ({_d_en(f.day, f.precision, f.text)}) is not an actual and "
                  f"was not rated")
    a = facts.actual
    if a is not None and a.dated_by_document and a.document_date_inferred:
        ja.append(f"実績に時点の記載がなく資料にも日付がないため、資料中で最も新しい実績の時点{_d(a.day)}とした")
        en.append(f"The actual is undated and so is its document, so the date of the document's latest actual, "
                  f"{_d_en(a.day)}, was used")
    elif a is not None and a.dated_by_document:
        ja.append(f"実績に時点の記載がないため資料の日付{_d(a.day)}とした")
        en.append(f"The actual is undated, so the document's date {_d_en(a.day)} was used")
    return "".join(f"{s}。" for s in ja), "".join(f" {s}." for s in en)


def _forecast_text(series: Series, facts: Facts) -> tuple[str, str]:
    fc, goal = facts.forecast, series.target
    if fc is None or goal is None or goal.value is None or facts.flags["target_met"]:
        return "", ""
    unit = series.unit
    ja, en = [], []
    # an actual at or after the deadline says what happened; a projection to that date adds nothing
    if fc.value is not None and not facts.flags["observed_after_deadline"]:
        gap = f"目標まで{_gap(fc.gap, fc.value, unit)}不足" if fc.gap > 0 else f"目標を{_gap(-fc.gap, fc.value, unit)}上回る"
        gap_en = (f"{_gap(fc.gap, fc.value, unit, True)} short of the target" if fc.gap > 0
                  else f"{_gap(-fc.gap, fc.value, unit, True)} beyond the target")
        ja.append(f"加重最小二乗による予測は期限時点で{num(fc.value, unit)}（{gap}）")
        en.append(f"Weighted least squares projects {num_en(fc.value, unit)} at the deadline ({gap_en})")
    if fc.reached_on is not None:
        fy = fiscal_year_of(fc.reached_on)
        # A line through a few yearly points tells the fiscal year at best, never the day.
        ja.append(f"現在のペースでの到達は{fy}年度頃")
        en.append(f"at the current pace the target is reached around FY{fy}")
    else:
        ja.append("現在のペースでは目標に到達しない")
        en.append("at the current pace the target is never reached")
    en[0] = en[0][0].upper() + en[0][1:]
    return "、".join(ja) + "。", " " + "; ".join(en) + "."
