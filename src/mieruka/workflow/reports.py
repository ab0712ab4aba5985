"""One KPI's report in a round: reading what a reporter typed, saving it under an optimistic lock, and the states
draft → submitted → returned (with a comment) → submitted → approved. Every change is kept as a version row."""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from mieruka.accounts.service import Principal, now
from mieruka.jp import ParseError, parse, parse_date
from mieruka.jp.eras import ERAS
from mieruka.storage import workflow as store
from mieruka.storage.cycle_models import Report, ReportVersion

# What a report holds that a person types, in the order the form shows it.
FIELDS = ("actual_text", "value", "unit", "as_of", "status", "next_measurement", "proposed_rating", "rating_reason",
          "target_text", "target_value", "target_unit", "target_deadline", "target_reason")
STATUSES = {"preliminary": ("速報値", "preliminary"), "final": ("確報値", "final"), "forecast": ("見込み", "forecast")}
RATING_SCHEME = "reform-schedule"
MAX_TEXT = 2000
FIRST_ERA_DAY = min(era[2] for era in ERAS)
# What no typed text may hold: control characters but tab and line breaks (PostgreSQL cannot store a NUL) and the
# marks that turn the direction of the text after them (U+202E shows 「evil」 as 「live」).
UNSAFE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
UNSAFE_TEXT_MESSAGE = ("制御文字(NUL など)や文字の向きを変える記号は入力できません。",
                       "no control characters (NUL and the like) or direction overrides.")
FORMULA_START = ("=", "+", "-", "@")
AS_OF_YEARS_AHEAD = 10
# A target cell that speaks of a deadline (「…年度までに」, 「…年までに」): one read without a deadline is refused.
_NAMES_A_DEADLINE = re.compile(r"まで|年度|\d\s*年")


def latest_as_of(today: date | None = None) -> date:
    """The latest date a round or a survey may speak for: the end of the year ten years from today. A later one is
    a typo, and 9999-12-31 leaves no following 年度 for the pages to name."""
    return date((today or date.today()).year + AS_OF_YEARS_AHEAD, 12, 31)


def as_of_refusal(when: date) -> tuple[str, str] | None:
    """Why a round's or a survey's as-of date is refused (Japanese, English), or None: the same rule for both."""
    if when < FIRST_ERA_DAY:  # every page shows the date with its 和暦, which has none before 明治
        return ("1868-01-25（明治元年1月25日）以降の日付を指定してください。",
                "give a date on or after 1868-01-25, the first day of a Japanese era.")
    last = latest_as_of()
    if when > last:
        return (f"{last.isoformat()}までの日付を指定してください(今年から{AS_OF_YEARS_AHEAD}年後の年末まで)。",
                f"give a date on or before {last.isoformat()} (the end of the year {AS_OF_YEARS_AHEAD} years from now).")
    return None
EDITABLE = {"reporter": ("draft", "returned"), "secretariat": ("draft", "returned", "submitted")}
LABELS = {
    "actual_text": ("実績値(1セルの記載)", "actual as one cell"), "value": ("実績値", "actual value"),
    "unit": ("単位", "unit"), "as_of": ("時点", "point in time"), "status": ("速報値・確報値・見込み", "status"),
    "next_measurement": ("次回の把握時期", "next measurement"), "proposed_rating": ("評価案", "proposed rating"),
    "rating_reason": ("評価の理由", "reason for the rating"), "target_text": ("目標値の変更", "target change"),
    "target_value": ("新しい目標値", "new target value"), "target_unit": ("目標値の単位", "target unit"),
    "target_deadline": ("目標の期限", "target deadline"), "target_reason": ("目標変更の理由", "reason for the target change"),
    "comment": ("差戻しの理由", "comment"), "version": ("版", "version"), "evidence": ("証拠資料", "evidence file"),
}


class WorkflowError(ValueError):
    """Refused because of the report's or round's state; .message in each language."""

    status = 409

    def __init__(self, ja: str, en: str):
        super().__init__(en)
        self.message = {"ja": ja, "en": en}


class NotAllowed(WorkflowError):
    status = 403


@dataclass
class FieldProblem:
    field: str
    ja: str
    en: str

    def text(self, lang: str) -> str:
        label = LABELS.get(self.field, (self.field, self.field))
        return f"{label[0]}: {self.ja}" if lang == "ja" else f"{label[1]}: {self.en}"


class InvalidReport(WorkflowError):
    """What could not be read, field by field; nothing was saved."""

    status = 422

    def __init__(self, problems: list[FieldProblem]):
        super().__init__("入力を読み取れませんでした。", "Some fields could not be read.")
        self.problems = problems


class Conflict(WorkflowError):
    """Someone saved the report since this editor opened it: both versions, field by field; nothing was saved."""

    def __init__(self, report: Report, mine: dict, theirs: dict, by: str | None, at: datetime | None):
        super().__init__("ほかの人がこの報告を先に保存しました。両方の値を示します。確認して、もう一度保存してください。",
                         "Someone else saved this report first. Both values are shown: check them and save again.")
        self.report_id = report.id
        self.version = report.version
        self.rows = [{"field": f, "mine": as_typed(mine.get(f)), "theirs": as_typed(theirs.get(f))} for f in FIELDS
                     if f in mine and _same(mine.get(f)) != _same(theirs.get(f))]
        self.mine, self.theirs, self.by, self.at = mine, theirs, by, at


def _same(v):
    return "" if v is None else str(v)


def as_typed(value):
    """A value as a person would type it beside another: 999, not the stored 999.0."""
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) < 1e15 else value


def values(report: Report) -> dict:
    return {f: getattr(report, f) for f in FIELDS}


def _json(v):
    return v.isoformat() if isinstance(v, (date, datetime)) else v


def _number(text: str) -> float:
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    value = float(cleaned)
    if not math.isfinite(value) or abs(value) > 1e15:
        raise ValueError(text)
    return value


def read_fields(form: dict[str, str | None], codes: list[str] | None = None) -> tuple[dict, list[FieldProblem]]:
    """What the typed fields mean. The one-cell actual (`301団体 (2018年4月速報値)`) is read by mieruka.jp; a
    structured field given beside it wins. Only fields present in form are returned (a partial save keeps the rest).
    codes: the rating scheme's codes, when the caller reads many forms (else the scheme is read here)."""
    out: dict = {}
    problems: list[FieldProblem] = []

    def text(name: str) -> str | None:
        value = form.get(name)
        if value is None:
            return None
        value = value.strip()
        if len(value) > MAX_TEXT:
            problems.append(FieldProblem(name, f"{MAX_TEXT}文字以内にしてください。", f"at most {MAX_TEXT} characters."))
            return None
        if UNSAFE_TEXT.search(value):
            problems.append(FieldProblem(name, UNSAFE_TEXT_MESSAGE[0], UNSAFE_TEXT_MESSAGE[1]))
            return None
        if value.startswith(FORMULA_START) and name not in ("value", "target_value"):
            # published text reaches CSV and XLSX downloads, where such a cell would run as a formula
            problems.append(FieldProblem(name, "先頭に = + - @ は使えません(減少は ▲ で書けます)。",
                                         "may not begin with = + - or @ (write a decrease as ▲)."))
            return None
        return value

    for name in ("actual_text", "unit", "next_measurement", "rating_reason", "target_text", "target_unit",
                 "target_reason"):
        value = text(name)
        if value is not None:
            out[name] = value or None
    if out.get("unit") and len(out["unit"]) > 40:
        problems.append(FieldProblem("unit", "40文字以内にしてください。", "at most 40 characters."))
    if out.get("actual_text"):
        try:
            cell = parse(out["actual_text"], role="actual")
            out.update(value=cell.value, unit=cell.unit or out.get("unit"), as_of=cell.as_of, status=cell.status)
        except ParseError as exc:
            problems.append(FieldProblem("actual_text", f"読み取れません({exc})。例: 301団体 (2018年4月速報値)",
                                         f"cannot be read ({exc}); e.g. 301団体 (2018年4月速報値)"))
    if out.get("target_text"):
        try:
            cell = parse(out["target_text"], role="target")
            if cell.deadline is None and _NAMES_A_DEADLINE.search(out["target_text"]):
                # 「1867年度までに」: the reader knows no 年度 before 明治, read no deadline and took the year for the
                # value; saved, the target had neither
                problems.append(FieldProblem("target_text", "期限の年度を読み取れません。1868年度(明治元年度)以降の"
                                             "年度で書いてください。例: 2020年度までに 416団体",
                                             "the year of the deadline cannot be read: give a fiscal year from 1868 on, "
                                             "e.g. 2020年度までに 416団体"))
            else:
                out.update(target_value=cell.value, target_unit=cell.unit or out.get("target_unit"),
                           target_deadline=cell.deadline)
        except ParseError as exc:
            problems.append(FieldProblem("target_text", f"読み取れません({exc})。例: 2020年度までに 416団体",
                                         f"cannot be read ({exc}); e.g. 2020年度までに 416団体"))
    for name in ("value", "target_value"):
        raw = text(name)
        if raw:
            try:
                out[name] = _number(raw)
            except ValueError:
                problems.append(FieldProblem(name, f"「{raw[:40]}」は数値ではありません。", f"{raw[:40]!r} is not a number."))
        elif raw == "" and name not in out:
            out[name] = None
    for name in ("as_of", "target_deadline"):
        raw = text(name)
        if raw:
            try:
                out[name] = date.fromisoformat(raw)
            except ValueError:
                try:
                    out[name] = parse_date(raw)
                except (ParseError, ValueError):
                    out[name] = None
                if out[name] is None:
                    problems.append(FieldProblem(name, f"「{raw[:40]}」は日付として読めません(例: 2018-04-01、2018年4月)。",
                                                 f"{raw[:40]!r} is not a date (e.g. 2018-04-01)."))
        elif raw == "" and name not in out:
            out[name] = None
    for name in ("as_of", "target_deadline"):  # typed, or read from the one-cell actual or target
        if isinstance(out.get(name), date) and out[name] < FIRST_ERA_DAY:
            # a published page shows every date with its 和暦, which has none before 明治 (a 500 on the KPI page)
            problems.append(FieldProblem(name, "1868-01-25（明治元年1月25日）以降の日付にしてください。",
                                         "give a date on or after 1868-01-25, the first day of a Japanese era."))
            del out[name]
    status = text("status")
    if status:
        if status not in STATUSES:
            problems.append(FieldProblem("status", "速報値・確報値・見込みのいずれかを選んでください。",
                                         "choose preliminary, final or forecast."))
        else:
            out["status"] = status
    elif status == "" and "status" not in out:
        out["status"] = None
    rating = text("proposed_rating")
    if rating is not None:
        codes = codes if codes is not None else rating_codes()
        if rating and rating not in codes:
            problems.append(FieldProblem("proposed_rating", f"評価は {'・'.join(codes)} のいずれかです。",
                                         f"a rating is one of {', '.join(codes)}."))
        else:
            out["proposed_rating"] = rating or None
    if out.get("proposed_rating") and not out.get("rating_reason") and "rating_reason" in form:
        problems.append(FieldProblem("rating_reason", "評価案には理由を書いてください。", "give the reason for the rating."))
    if out.get("target_value") is not None and not out.get("target_reason") and "target_reason" in form:
        problems.append(FieldProblem("target_reason", "目標値の変更には理由を書いてください。",
                                     "a target change needs its reason."))
    return out, problems


_codes_cache: dict[tuple, list[str]] = {}


def rating_codes() -> list[str]:
    """The codes of the reform-schedule scheme a proposed rating must be one of: read again only when the scheme's
    file changes (a save or a report page used to read and parse the TOML file every time)."""
    from mieruka.evaluate.schemes import available, load

    path = available().get(RATING_SCHEME)
    try:
        key = (str(path), path.stat().st_mtime_ns) if path else (None, None)
    except OSError:
        key = (str(path), None)
    if key not in _codes_cache:
        _codes_cache.clear()
        _codes_cache[key] = list(load(RATING_SCHEME).codes)
    return list(_codes_cache[key])


def may_view(p: Principal | None, report: Report) -> bool:
    return p is not None and (p.role == "secretariat" or p.can_edit_org(report.organisation_id))


def _check_edit(session: Session, p: Principal, report: Report) -> None:
    if not p.can_edit_org(report.organisation_id):
        raise NotAllowed("この報告を編集する権限がありません。", "You may not edit this report.")
    rnd = store.round_kept_open(session, report.round_id)
    if rnd.state == "published" or (rnd.state == "closed" and p.role != "secretariat"):
        raise WorkflowError(f"ラウンド「{rnd.name}」は締め切られています。", f"The round {rnd.name!r} is closed.")
    if report.state not in EDITABLE.get(p.role, ()):
        raise WorkflowError(f"この報告は「{state_label(report.state, 'ja')}」のため編集できません。",
                            f"This report is {state_label(report.state, 'en')} and cannot be edited.")


STATE_LABELS = {"draft": ("下書き", "draft"), "submitted": ("提出済み", "submitted"),
                "returned": ("差戻し", "returned"), "approved": ("承認済み", "approved"),
                "published": ("公表済み", "published")}


def state_label(state: str, lang: str) -> str:
    ja, en = STATE_LABELS.get(state, (state, state))
    return ja if lang == "ja" else en


def _record(session: Session, report: Report, actor: str, via: str, action: str, changes: dict,
            comment: str | None = None) -> None:
    _record_many(session, [(report, action, changes, comment)], actor, via)


def _record_many(session: Session, steps: list[tuple[Report, str, dict, str | None]], actor: str, via: str) -> None:
    """Write the changed reports (the version column checks each UPDATE) and one version row per step: two flushes
    however many reports (a workbook of 2,000 rows is one statement batch, not 4,000 round trips)."""
    if not steps:
        return
    at = now()
    for report, *_ in steps:
        report.updated_by, report.updated_at = actor, at
    report_id = steps[0][0].id if len(steps) == 1 else None
    try:
        session.flush()
    except StaleDataError:
        raise LostRace(report_id) from None
    except OperationalError as exc:
        # SQLite in WAL mode refuses at once to write from a snapshot another writer has moved past
        # (SQLITE_BUSY_SNAPSHOT): the same lost race the version column catches on PostgreSQL
        if session.get_bind().dialect.name != "sqlite" or "locked" not in str(exc.orig):
            raise
        session.rollback()
        raise LostRace(report_id) from None
    session.add_all([ReportVersion(report_id=report.id, version=report.version, at=at, actor=actor, via=via,
                                   action=action,
                                   changes={k: [_json(a), _json(b)] for k, (a, b) in changes.items()} or None,
                                   comment=comment) for report, action, changes, comment in steps])
    session.flush()


class LostRace(Exception):
    """Another transaction updated the row between our read and our write (the version column caught it)."""

    def __init__(self, report_id: int | None):
        self.report_id = report_id  # None: one of several reports written together


def conflict_after_race(session: Session, report_id: int, mine: dict) -> Conflict:
    """The conflict to show once the losing transaction is rolled back: the row as the winner left it."""
    session.rollback()
    report = store.report(session, report_id)
    session.refresh(report)
    return Conflict(report, mine, values(report), report.updated_by, report.updated_at)


def save(session: Session, p: Principal, report: Report, form: dict, expected_version: int, via: str = "web") -> dict:
    """Store what form changes; returns {field: (old, new)}. Raises Conflict when the report moved on since
    expected_version, InvalidReport naming each unreadable field (nothing saved), NotAllowed, WorkflowError."""
    _check_edit(session, p, report)
    fields, problems = read_fields(form)
    if problems:
        raise InvalidReport(problems)
    if report.version != expected_version:
        raise Conflict(report, fields, values(report), report.updated_by, report.updated_at)
    return apply(session, p, report, fields, via, checked=True)


def apply(session: Session, p: Principal, report: Report, fields: dict, via: str = "web",
          checked: bool = False) -> dict:
    """Store fields already read (read_fields) as one saved version; returns {field: (old, new)}."""
    if not checked:
        _check_edit(session, p, report)
    changes = _changed(report, fields)
    if changes:
        _record(session, report, p.login, via, "save", changes)
    return changes


def _changed(report: Report, fields: dict) -> dict:
    changes = {f: (getattr(report, f), v) for f, v in fields.items() if getattr(report, f) != v}
    for f, (_, new) in changes.items():
        setattr(report, f, new)
    if "target_value" in changes or "target_deadline" in changes:
        report.target_approved = None  # a changed target needs its own approval again
    return changes


def _write_many(session: Session, steps: list[tuple[Report, str, dict]], actor: str, via: str) -> None:
    """Many reports' changes ({field: (old, new)}) in a few statements, under each report's lock, with one version
    row each: a workbook of 2,000 rows is two statement batches, not 4,000 round trips."""
    if not steps:
        return
    at = now()
    rows = [(report, {**{f: new for f, (_, new) in changes.items()}, "updated_by": actor, "updated_at": at,
                      "version": report.version + 1}) for report, _, changes in steps]
    try:
        updated = store.update_reports(session, rows)
    except OperationalError as exc:  # SQLite: another writer moved past this snapshot (see _record_many)
        if session.get_bind().dialect.name != "sqlite" or "locked" not in str(exc.orig):
            raise
        session.rollback()
        raise LostRace(None) from None
    if updated != len(rows):
        raise LostRace(None)
    session.add_all([ReportVersion(report_id=report.id, version=report.version, at=at, actor=actor, via=via,
                                   action=action, changes={k: [_json(a), _json(b)] for k, (a, b) in changes.items()})
                     for report, action, changes in steps])
    session.flush()


def apply_many(session: Session, p: Principal, items: list[tuple[Report, dict]], via: str) -> list[int]:
    """Many reports' fields at once (a workbook), each already allowed and read: one saved version each; returns
    the ids of the reports that changed."""
    steps = []
    for report, fields in items:
        changes = {f: (getattr(report, f), v) for f, v in fields.items() if getattr(report, f) != v}
        if changes:
            if ("target_value" in changes or "target_deadline" in changes) and report.target_approved is not None:
                changes["target_approved"] = (report.target_approved, None)  # a changed target needs approval again
            steps.append((report, "save", changes))
    _write_many(session, steps, p.login, via)
    return [report.id for report, *_ in steps]


def submit_many(session: Session, p: Principal, items: list[Report], via: str) -> None:
    """Submit reports already checked (state, round open, value and point in time present), as submit() would."""
    at = now()
    _write_many(session, [(r, "submit", {"state": (r.state, "submitted"), "submitted_by": (r.submitted_by, p.login),
                                         "submitted_at": (r.submitted_at, at),
                                         "return_comment": (r.return_comment, None)}) for r in items], p.login, via)


def moved(row, new_state: str, **extra) -> dict:
    """Set a report's or a survey answer's state and the extra fields a step sets; returns them as old → new."""
    changes = {"state": (row.state, new_state)}
    row.state = new_state
    for k, v in extra.items():
        changes[k] = (getattr(row, k), v)
        setattr(row, k, v)
    return changes


def _transition(session: Session, report: Report, actor: str, via: str, action: str, new_state: str,
                comment: str | None = None, **extra) -> None:
    _record(session, report, actor, via, action, moved(report, new_state, **extra), comment)


def submit(session: Session, p: Principal, report: Report, expected_version: int, via: str = "web") -> None:
    if not p.can_edit_org(report.organisation_id):
        raise NotAllowed("この報告を提出する権限がありません。", "You may not submit this report.")
    rnd = store.round_by_id(session, report.round_id)
    if rnd.state != "open":
        raise WorkflowError(f"ラウンド「{rnd.name}」は受付を終了しています。", f"The round {rnd.name!r} is not open.")
    if report.state not in ("draft", "returned"):
        raise WorkflowError(f"「{state_label(report.state, 'ja')}」の報告は提出できません。",
                            f"A {state_label(report.state, 'en')} report cannot be submitted.")
    if report.version != expected_version:
        raise Conflict(report, {}, values(report), report.updated_by, report.updated_at)
    missing = [f for f in ("value", "as_of") if getattr(report, f) is None]
    if missing:
        raise InvalidReport([FieldProblem(f, "提出の前に入力してください。", "fill this in before submitting.")
                             for f in missing])
    _transition(session, report, p.login, via, "submit", "submitted", submitted_by=p.login, submitted_at=now(),
                return_comment=None)


def return_report(session: Session, p: Principal, report: Report, comment: str, expected_version: int,
                  via: str = "web") -> None:
    if p.role != "secretariat":
        raise NotAllowed("差戻しは事務局が行います。", "Only the secretariat returns reports.")
    comment = (comment or "").strip()
    if not comment or len(comment) > MAX_TEXT:
        raise InvalidReport([FieldProblem("comment", f"差戻しの理由を{MAX_TEXT}文字以内で書いてください。",
                                          f"give the reason, at most {MAX_TEXT} characters.")])
    if UNSAFE_TEXT.search(comment):
        raise InvalidReport([FieldProblem("comment", *UNSAFE_TEXT_MESSAGE)])
    if report.state not in ("submitted", "approved") or store.round_by_id(session, report.round_id).state == "published":
        raise WorkflowError("提出済みの報告だけを差し戻せます。", "Only a submitted report can be returned.")
    if report.version != expected_version:
        raise Conflict(report, {}, values(report), report.updated_by, report.updated_at)
    _transition(session, report, p.login, via, "return", "returned", comment, return_comment=comment,
                approved_by=None, approved_at=None)


def approve(session: Session, p: Principal, report: Report, expected_version: int, approve_target: bool = False,
            via: str = "web") -> None:
    if p.role != "secretariat":
        raise NotAllowed("承認は事務局が行います。", "Only the secretariat approves reports.")
    if report.state != "submitted" or store.round_by_id(session, report.round_id).state == "published":
        raise WorkflowError("提出済みの報告だけを承認できます。", "Only a submitted report can be approved.")
    if report.version != expected_version:
        raise Conflict(report, {}, values(report), report.updated_by, report.updated_at)
    target = approve_target if report.target_value is not None else None
    _transition(session, report, p.login, via, "approve", "approved", approved_by=p.login, approved_at=now(),
                target_approved=target)


def history(session: Session, kpi_id: int, staff: bool) -> list[dict]:
    """Every version of this KPI's reports, oldest first, with the actor's name. The public (staff=False) sees
    only published rounds, and not the field values or comments of the steps before publication."""
    return histories(session, [kpi_id], staff)[kpi_id]


def histories(session: Session, kpi_ids: list[int], staff: bool) -> dict[int, list[dict]]:
    """history() of many KPIs in four queries (mieruka publish writes every KPI's history page)."""
    names = store.display_names(session)
    rounds = {r.id: r for r in store.all_rounds(session)}
    reports = [r for r in store.reports(session, kpi_ids=kpi_ids) if staff or rounds[r.round_id].state == "published"]
    by_id = {r.id: r for r in reports}
    out: dict[int, list[dict]] = {k: [] for k in kpi_ids}
    for v in store.versions(session, list(by_id)):
        report = by_id[v.report_id]
        rnd = rounds[report.round_id]
        out[report.kpi_id].append({"round": rnd.name, "round_id": rnd.id, "at": v.at, "actor": v.actor,
                                   "actor_name": names.get(v.actor, v.actor), "via": v.via, "action": v.action,
                                   "version": v.version, "changes": v.changes if staff else None,
                                   "comment": v.comment if staff else None})
    return out
