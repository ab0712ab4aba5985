"""Reading what a planner types — measure number, KPI, baseline, target, deadline, schedule, actuals — into values,
with mieruka.jp; anything unreadable is a PlanInputError naming the field, in Japanese and English."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from mieruka.jp import ParseError, fiscal_year_of, normalise_text, parse, parse_date

# Field names as the pages and the CLI show them.
FIELD_NAMES = {
    "body": ("団体", "body"), "title": ("計画名", "title"), "scheme": ("評価方式", "scheme"),
    "measure": ("施策番号", "measure number"), "section": ("担当課", "responsible section"),
    "kpi": ("KPI", "KPI"), "baseline": ("基準値", "baseline"), "target": ("目標値", "target"),
    "deadline": ("目標年度", "deadline"), "schedule": ("スケジュール", "schedule"),
    "actual": ("実績値", "actual"), "actor": ("入力者", "actor"), "as_of": ("実績の時点", "date of the actual"), "plan": ("計画", "plan"),
}
MAX_TEXT = 2000  # characters in one typed field
MAX_SCHEDULE_LINES = 30
_SCHEDULE_SPLIT = re.compile(r"\s*[:：\t]\s*")
_MEASURE_CODE = re.compile(r"^\d{2}-\d{2}$")


class PlanInputError(ValueError):
    """Bad input for one field; nothing has been written."""

    def __init__(self, field: str, ja: str, en: str):
        self.field, self.ja, self.en = field, ja, en
        super().__init__(self.message("en"))

    def message(self, lang: str = "ja") -> str:
        name_ja, name_en = FIELD_NAMES.get(self.field, (self.field, self.field))
        return f"{name_ja}: {self.ja}" if lang == "ja" else f"{name_en}: {self.en}"


@dataclass
class Reading:
    value: float | None
    unit: str | None
    day: date | None


def text(value, field: str, required: bool = False) -> str | None:
    """A free-text field, trimmed; too long or missing when required is an error."""
    s = "" if value is None else str(value).strip()
    if not s:
        if required:
            raise PlanInputError(field, "入力してください", "is required")
        return None
    if len(s) > MAX_TEXT:
        raise PlanInputError(field, f"{MAX_TEXT}字以内で入力してください（{len(s)}字）",
                             f"at most {MAX_TEXT} characters ({len(s)} given)")
    return s


def measure_ref(value) -> tuple[int | None, str | None]:
    """"5", "No.5", "５" → (5, None); "01-11" → (None, "01-11")."""
    s = normalise_text(str(value or "")).strip()
    s = re.sub(r"^(?:no\.?|№)\s*", "", s, flags=re.IGNORECASE)
    if not s:
        raise PlanInputError("measure", "施策番号を入力してください", "give the measure's number")
    if s.isdigit() and len(s) <= 4:
        return int(s), None
    if _MEASURE_CODE.match(s):
        return None, s
    raise PlanInputError("measure", f"「{value}」は施策番号（1〜82の番号、または01-11の形の施策コード）ではありません",
                         f"{value!r} is not a measure number (1–82) or code (such as 01-11)")


def quantity(value, field: str, role: str) -> Reading | None:
    """A number with its unit and period as documents write it ("2023年度 45%", "令和9年度までに100件")."""
    s = text(value, field)
    if s is None:
        return None
    try:
        p = parse(s, role)
    except ParseError:
        p = None
    if p is None or p.value is None:
        raise PlanInputError(field, f"「{s}」から数値を読み取れません（例: 2023年度 45%、令和9年度までに100件）",
                             f"cannot read a number from {s!r} (e.g. 2023年度 45%, 令和9年度までに100件)")
    return Reading(p.value, p.unit, p.as_of if role == "actual" else p.deadline)


def deadline(value) -> date | None:
    s = text(value, "deadline")
    if s is None:
        return None
    found = parse_date(s)
    if found is None:
        raise PlanInputError("deadline", f"「{s}」を日付・年度として読み取れません（例: 令和9年度、2027年度、2028-03-31）",
                             f"cannot read {s!r} as a date or fiscal year (e.g. 令和9年度, 2027年度, 2028-03-31)")
    return found


def fiscal_year(s: str) -> int | None:
    """The fiscal year a schedule heading names: "令和7年度", "2025年度", "R7", "2025"."""
    s = normalise_text(s).strip()
    if re.fullmatch(r"(19|20)\d{2}", s):
        return int(s)
    try:
        p = parse(s if "年度" in s else f"{s}年度", "target")
    except ParseError:
        return None
    if p.value is not None:
        return None
    if p.fiscal_year:
        return p.fiscal_year
    return fiscal_year_of(p.deadline) if p.deadline else None


def schedule(value) -> list[dict]:
    """Lines "令和7年度: 計画策定" (or a list of {fiscal_year, text}) → [{fiscal_year, text}] by year; a year twice is
    joined; an unreadable line is an error naming its number."""
    if isinstance(value, list):
        lines = [f"{x['fiscal_year']}: {x['text']}" for x in value]
    else:
        lines = [ln for ln in (text(value, "schedule") or "").splitlines()]
    lines = [ln.strip() for ln in lines if ln.strip()]
    if len(lines) > MAX_SCHEDULE_LINES:
        raise PlanInputError("schedule", f"{MAX_SCHEDULE_LINES}行以内にしてください", f"at most {MAX_SCHEDULE_LINES} lines")
    out: dict[int, list[str]] = {}
    for n, line in enumerate(lines, 1):
        parts = _SCHEDULE_SPLIT.split(line, maxsplit=1)
        fy = fiscal_year(parts[0]) if len(parts) == 2 and parts[1] else None
        if fy is None or not 1989 <= fy <= 2100:
            raise PlanInputError("schedule", f"{n}行目「{line}」は「年度: 取組」の形ではありません（例: 令和7年度: 計画策定）",
                                 f"line {n} {line!r} is not 'fiscal year: work' (e.g. 令和7年度: 計画策定)")
        out.setdefault(fy, []).append(parts[1])
    return [{"fiscal_year": fy, "text": "、".join(texts)} for fy, texts in sorted(out.items())]


def measure_fields(form: dict, national_kpi: str | None) -> dict:
    """The planner's fields for one measure, read and checked: KPI text, baseline, target, deadline, schedule.
    Raises PlanInputError for the first field that cannot be read; nothing is written before all are."""
    kpi = text(form.get("kpi"), "kpi") or national_kpi
    if not kpi:
        raise PlanInputError("kpi", "この施策には国のKPIがないため、KPIを入力してください",
                             "the national measure states no KPI, so give one")
    base = quantity(form.get("baseline"), "baseline", "actual")
    goal = quantity(form.get("target"), "target", "target")
    due = deadline(form.get("deadline")) or (goal.day if goal else None)
    if base and goal and base.unit and goal.unit and base.unit != goal.unit:
        raise PlanInputError("target", f"目標値の単位「{goal.unit}」が基準値の単位「{base.unit}」と異なります",
                             f"the target's unit {goal.unit!r} differs from the baseline's {base.unit!r}")
    if due and base and base.day and due <= base.day:
        raise PlanInputError("deadline", f"目標年度（{due.isoformat()}）が基準値の時点（{base.day.isoformat()}）より前です",
                             f"the deadline ({due.isoformat()}) is not after the baseline's date ({base.day.isoformat()})")
    direction = "down" if base and goal and goal.value < base.value else "up"
    return {
        "section": text(form.get("section"), "section"), "kpi": kpi, "national_kpi": national_kpi,
        "baseline_text": text(form.get("baseline"), "baseline"), "baseline_value": base.value if base else None,
        "baseline_as_of": base.day if base else None,
        "target_text": text(form.get("target"), "target"), "target_value": goal.value if goal else None,
        "unit": (goal.unit if goal else None) or (base.unit if base else None),
        "deadline_text": text(form.get("deadline"), "deadline"), "deadline": due, "direction": direction,
        "schedule": schedule(form.get("schedule")),
    }


def actual(value, as_of, unit: str | None) -> tuple[str, Reading]:
    """An actual as typed ("52%", "2024年度 52%") with its date (typed apart or read from the value)."""
    s = text(value, "actual", required=True)
    r = quantity(s, "actual", "actual")
    day = None
    if text(as_of, "as_of"):
        day = parse_date(as_of.strip())
        if day is None:
            raise PlanInputError("as_of", f"「{as_of}」を日付として読み取れません（例: 2024-03-31、令和5年度末）",
                                 f"cannot read {as_of!r} as a date (e.g. 2024-03-31, 令和5年度末)")
    day = day or r.day
    if day is None:
        raise PlanInputError("as_of", "実績の時点を入力してください（例: 2024-03-31、令和5年度末）",
                             "give the date of the actual (e.g. 2024-03-31, 令和5年度末)")
    if unit and r.unit and r.unit != unit:
        raise PlanInputError("actual", f"単位「{r.unit}」がKPIの単位「{unit}」と異なります",
                             f"the unit {r.unit!r} differs from the KPI's {unit!r}")
    return s, Reading(r.value, r.unit or unit, day)


__all__ = ["PlanInputError", "measure_fields", "measure_ref", "actual", "schedule", "text"]
