"""Local bodies answering a survey within a reporting round: the secretariat opens it (initiative, as-of date),
each municipality's `local` reporter answers for that body only, the secretariat returns or approves; an approved
answer becomes the body's row of the round's survey import, which the bottom-up KPIs count."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from mieruka.accounts.service import Principal, log, now
from mieruka.jp.eras import ERAS
from mieruka.municipalities.survey import SURVEY_FIELDS, read_answer
from mieruka.storage import survey_rounds as store
from mieruka.storage import workflow as rounds_store
from mieruka.storage.survey_round_models import SurveyAnswer, SurveyAnswerVersion, SurveyRequest
from mieruka.workflow.reports import (MAX_TEXT, UNSAFE_TEXT, UNSAFE_TEXT_MESSAGE, InvalidReport, NotAllowed, WorkflowError,
                                      as_of_refusal, as_typed, moved, state_label)

FIELDS = SURVEY_FIELDS  # adopted, year_started, cost_before, cost_after, population
LABELS = {"adopted": ("導入", "adopted"), "year_started": ("開始年度", "year started"),
          "cost_before": ("導入前経費(円)", "cost before (yen)"), "cost_after": ("導入後経費(円)", "cost after (yen)"),
          "population": ("人口", "population"), "comment": ("差戻しの理由", "comment"),
          "initiative": ("取組", "initiative"), "as_of": ("時点", "as of")}
EXAMPLES = {"adopted": ("○(導入済)、×(未導入)または空欄", "○ (adopted), × (not adopted) or blank"),
            "year_started": ("2016、2016年度、平成28年度", "2016, 2016年度 or 平成28年度"),
            "cost_before": ("1200000、120万円、1,200千円", "1200000, 120万円 or 1,200千円"),
            "population": ("123456、12.3万人", "123456 or 12.3万人")}
EXAMPLES["cost_after"] = EXAMPLES["cost_before"]
# A typed answer is one line: a control character in it (NUL, tab, line break) is refused, not read around, and
# digits with a space between them are two figures, not one (the cell reader keeps the first and drops the rest).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SPLIT_FIGURE = re.compile(r"\d\s+\d")
FIRST_ERA_DAY = min(era[2] for era in ERAS)
EDITABLE = {"local": ("draft", "returned"), "secretariat": ("draft", "returned", "submitted")}


class Problem:
    """A field that could not be read, named in each language."""

    def __init__(self, field: str, ja: str, en: str):
        self.field, self.ja, self.en = field, ja, en

    def text(self, lang: str) -> str:
        label = LABELS[self.field][0 if lang == "ja" else 1]
        return f"{label}: {self.ja}" if lang == "ja" else f"{label}: {self.en}"


class AnswerConflict(WorkflowError):
    """Someone saved the answer since this form was opened: both values, field by field; nothing was saved."""

    def __init__(self, answer: SurveyAnswer, mine: dict):
        super().__init__("ほかの人がこの回答を先に保存しました。両方の値を示します。確認して、もう一度保存してください。",
                         "Someone else saved this answer first. Both values are shown: check them and save again.")
        theirs = values(answer)
        self.version, self.by, self.at, self.mine = answer.version, answer.updated_by, answer.updated_at, mine
        self.rows = [{"field": f, "mine": as_typed(mine.get(f)), "theirs": as_typed(theirs.get(f))} for f in FIELDS
                     if f in mine and mine.get(f) != theirs.get(f)]


class AnswerLostRace(Exception):
    """Another transaction saved the answer between this one's read and its write (the version column)."""


def values(answer: SurveyAnswer) -> dict:
    return {f: getattr(answer, f) for f in FIELDS}


def _secretariat(p: Principal, ja: str, en: str) -> None:
    if p.role != "secretariat":
        raise NotAllowed(ja, en)


def open_survey(session: Session, p: Principal, round_id: int, initiative: str, as_of: date,
                via: str = "web") -> SurveyRequest:
    """A survey in an open round, with one draft answer for every municipality."""
    _secretariat(p, "調査は事務局が開始します。", "Only the secretariat opens surveys.")
    rnd = rounds_store.round_by_id(session, round_id)
    if rnd is None:
        raise WorkflowError(f"ラウンド {round_id} はありません。", f"There is no round {round_id}.")
    if rnd.state != "open":
        raise WorkflowError(f"ラウンド「{rnd.name}」は受付を終了しています。", f"The round {rnd.name!r} is not open.")
    initiative = unicodedata.normalize("NFKC", initiative or "").strip()
    if not initiative or len(initiative) > 200 or any(unicodedata.category(c) == "Cc" for c in initiative):
        raise InvalidReport([Problem("initiative", "取組の名前を200文字以内で入力してください(例: 窓口業務の民間委託)。",
                                     "give the initiative's name, at most 200 characters.")])
    refusal = as_of_refusal(as_of)  # the rule of a round's as-of date
    if refusal:
        raise InvalidReport([Problem("as_of", *refusal)])
    if store.find_request(session, rnd.id, initiative, as_of) is not None:
        raise WorkflowError(f"このラウンドには「{initiative}」({as_of.isoformat()}現在)の調査が既にあります。",
                            f"The round has a survey of {initiative!r} as of {as_of.isoformat()} already.")
    request = store.open_request(session, rnd.id, initiative, as_of, p.login, now())
    log(session, "survey_open", p.login, f"{rnd.name}: {initiative}", round=rnd.id, initiative=initiative,
        as_of=as_of.isoformat(), via=via)
    return request


def may_view(p: Principal | None, answer: SurveyAnswer) -> bool:
    return p is not None and (p.role == "secretariat" or (p.role == "local" and p.local_body == answer.body_code))


def read_fields(form: dict[str, str | None]) -> tuple[dict, list[Problem]]:
    """What the typed answers mean, read as a survey file's cells are; only fields present in form are returned."""
    out, problems = {}, []
    for name in FIELDS:
        raw = form.get(name)
        if raw is None:
            continue
        raw = raw.strip()
        if len(raw) > 100:
            problems.append(Problem(name, "100文字以内にしてください。", "at most 100 characters."))
            continue
        if _CONTROL.search(raw):
            problems.append(Problem(name, "制御文字(タブ、改行など)は入力できません。",
                                    "no control characters (tabs, line breaks and the like)."))
            continue
        try:
            if _SPLIT_FIGURE.search(raw):  # 「1 200」: the reader would keep the 1 and drop the rest
                raise ValueError(raw)
            out[name] = read_answer(name, raw)
        except (ValueError, OverflowError):
            ja, en = EXAMPLES[name]
            problems.append(Problem(name, f"「{raw[:40]}」を読み取れません(例: {ja})。",
                                    f"cannot read {raw[:40]!r} (e.g. {en})."))
    return out, problems


def _check_edit(session: Session, p: Principal, answer: SurveyAnswer) -> SurveyRequest:
    if not may_view(p, answer) or p.role not in EDITABLE:
        raise NotAllowed("この回答を編集する権限がありません。", "You may not edit this answer.")
    request = store.request_by_id(session, answer.request_id)
    rnd = rounds_store.round_kept_open(session, request.round_id)
    if rnd.state == "published" or (rnd.state == "closed" and p.role != "secretariat"):
        raise WorkflowError(f"ラウンド「{rnd.name}」は締め切られています。", f"The round {rnd.name!r} is closed.")
    if answer.state not in EDITABLE[p.role]:
        raise WorkflowError(f"この回答は「{state_label(answer.state, 'ja')}」のため編集できません。",
                            f"This answer is {state_label(answer.state, 'en')} and cannot be edited.")
    return request


def _json(v):
    return v.isoformat() if isinstance(v, (date, datetime)) else v


def _record(session: Session, answer: SurveyAnswer, actor: str, via: str, action: str, changes: dict,
            comment: str | None = None) -> None:
    at = now()
    answer.updated_by, answer.updated_at = actor, at
    try:
        session.flush()
    except StaleDataError:
        raise AnswerLostRace() from None
    store.add_version(session, SurveyAnswerVersion(
        answer_id=answer.id, version=answer.version, at=at, actor=actor, via=via, action=action,
        changes={k: [_json(a), _json(b)] for k, (a, b) in changes.items()} or None, comment=comment))


def save(session: Session, p: Principal, answer: SurveyAnswer, form: dict, expected_version: int,
         via: str = "web") -> dict:
    """Store what form changes; {field: (old, new)}. AnswerConflict when the answer moved on since
    expected_version; InvalidReport naming each unreadable field (nothing saved); NotAllowed; WorkflowError."""
    _check_edit(session, p, answer)
    fields, problems = read_fields(form)
    if problems:
        raise InvalidReport(problems)
    if answer.version != expected_version:
        raise AnswerConflict(answer, fields)
    changes = {f: (getattr(answer, f), v) for f, v in fields.items() if getattr(answer, f) != v}
    for f, (_, new) in changes.items():
        setattr(answer, f, new)
    if changes:
        _record(session, answer, p.login, via, "save", changes)
    return changes


def _transition(session, answer, actor, via, action, new_state, comment=None, **extra) -> None:
    _record(session, answer, actor, via, action, moved(answer, new_state, **extra), comment)


def submit(session: Session, p: Principal, answer: SurveyAnswer, expected_version: int, via: str = "web") -> None:
    _check_edit(session, p, answer)
    rnd = rounds_store.round_by_id(session, store.request_by_id(session, answer.request_id).round_id)
    if rnd.state != "open":
        raise WorkflowError(f"ラウンド「{rnd.name}」は受付を終了しています。", f"The round {rnd.name!r} is not open.")
    if answer.state not in ("draft", "returned"):
        raise WorkflowError(f"「{state_label(answer.state, 'ja')}」の回答は提出できません。",
                            f"A {state_label(answer.state, 'en')} answer cannot be submitted.")
    if answer.version != expected_version:
        raise AnswerConflict(answer, {})
    if answer.adopted is None:
        raise InvalidReport([Problem("adopted", "提出の前に ○ か × を選んでください。",
                                     "choose ○ or × before submitting.")])
    _transition(session, answer, p.login, via, "submit", "submitted", submitted_by=p.login, submitted_at=now(),
                return_comment=None)


def return_answer(session: Session, p: Principal, answer: SurveyAnswer, comment: str, expected_version: int,
                  via: str = "web") -> None:
    """Back to the local body with a comment; an approved answer leaves the survey until approved again."""
    _secretariat(p, "差戻しは事務局が行います。", "Only the secretariat returns answers.")
    comment = (comment or "").strip()
    if not comment or len(comment) > MAX_TEXT:
        raise InvalidReport([Problem("comment", f"差戻しの理由を{MAX_TEXT}文字以内で書いてください。",
                                     f"give the reason, at most {MAX_TEXT} characters.")])
    if UNSAFE_TEXT.search(comment):
        raise InvalidReport([Problem("comment", *UNSAFE_TEXT_MESSAGE)])
    request = store.request_by_id(session, answer.request_id)
    if answer.state not in ("submitted", "approved") or rounds_store.round_by_id(session, request.round_id).state \
            == "published":
        raise WorkflowError("提出済みの回答だけを差し戻せます。", "Only a submitted answer can be returned.")
    if answer.version != expected_version:
        raise AnswerConflict(answer, {})
    if answer.state == "approved":
        store.remove_response(session, request, answer.body_code)
    _transition(session, answer, p.login, via, "return", "returned", comment, return_comment=comment,
                approved_by=None, approved_at=None, approved_via=None)


def approve(session: Session, p: Principal, answer: SurveyAnswer, expected_version: int, via: str = "web") -> int:
    """Approve a submitted answer and write it as the body's row of the round's survey import (who approved,
    when and through what stay on the answer and its versions). Returns the import's id."""
    _secretariat(p, "承認は事務局が行います。", "Only the secretariat approves answers.")
    request = store.request_by_id(session, answer.request_id)
    if answer.state != "submitted" or rounds_store.round_by_id(session, request.round_id).state == "published":
        raise WorkflowError("提出済みの回答だけを承認できます。", "Only a submitted answer can be approved.")
    if answer.version != expected_version:
        raise AnswerConflict(answer, {})
    _transition(session, answer, p.login, via, "approve", "approved", approved_by=p.login, approved_at=now(),
                approved_via=via)
    return store.write_response(session, request, answer)


def history(session: Session, answer: SurveyAnswer) -> list[dict]:
    names = rounds_store.display_names(session)
    return [{"at": v.at, "actor": v.actor, "actor_name": names.get(v.actor, v.actor), "via": v.via,
             "action": v.action, "changes": v.changes, "comment": v.comment}
            for v in store.versions(session, answer.id)]
