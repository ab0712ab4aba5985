"""Reader for the 公共サービスイノベーション・プラットフォーム presentation: advanced cases under 【自治体名】
headings with their cost effects, the reform-schedule KPIs it quotes (208団体⇒416団体) and the lecturing bodies."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from mieruka.records.extraction import BaselineRecord, CaseRecord, EffectRecord, Extraction, KpiRecord, Source, TargetRecord
from mieruka.jp import Parsed, normalise_text, parse, parse_date, parse_transition
from mieruka.bodies.names import split_names

from . import note_count_text

FAMILY = "platform-presentation"
PLATFORM = "公共サービスイノベーション・プラットフォーム"

_CIRCLED = "\u2460-\u2473"
_BULLET = re.compile(r"^(?:-\s*)?(?:・\s*)?")
_CASE_HEADING = re.compile(r"^(?P<theme>[^【】]*?)\s*【(?P<name>[^【】]+)】$")
# What ends the name of a body that can own a case: a prefecture, municipality, ward or a union of them.
_BODY_NAME = re.compile(r"(?:都|道|府|県|市|区|町|村|企業団|組合|協議会|会)$")
_THEME_HEADING = re.compile(f"^[{_CIRCLED}]\\s*(?P<theme>[^{_CIRCLED}]+)$")
_SECTION_HEADING = re.compile(r"^(?:○|〇|〔|\[|第\d+章|\d{1,2}[.．]\s*\S|\(\d{1,2}\))")
_DATE_LINE = re.compile(r"^(?:平成|令和|\d{4}年)\S*?\d{1,2}月\d{1,2}日$")
_ISSUER = re.compile(r"^\S{1,20}(?:府|省|庁|局|本部|事務局|会議)$")
_EFFECTS_INTRO = re.compile(r"^効果(?:として|は)[、,:]?$")
_ARROW = re.compile(r"^[⇒→]\s*")
_PERIOD = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*年間")
_LABEL = re.compile(r"^(?P<label>[^:：\d]{1,30})[:：]\s*(?P<rest>.+)$")
_GROUP = re.compile(r"\(([^()]+)\)")
_LEAD_IN = re.compile(r"(?:により|によって|ことで|ため|として)$")
_URL = re.compile(r"^<?(?P<url>https?://[^\s>]+)>?$")
_MUNICIPALITY = re.compile(r"(?:市|区|町|村)$")
_PREFECTURE = r"(北海道|東京都|京都府|大阪府|[^\s・、()]{2,3}?県)"
_PREFECTURE_PREFIX = re.compile("^" + _PREFECTURE)


def matches(text: str) -> bool:
    """The platform's name as the title, or beside 【自治体名】 case headings and talk of 先進 / 事例
    (the reform schedule names the platform in running text, with only 【再掲】-style brackets)."""
    lines = [normalise_text(line) for line in text.split("\n")]
    title = next((line for line in lines if line), "")
    platform = normalise_text(PLATFORM)
    if title.startswith(platform) or title.startswith(platform.replace("・", "")):
        return True
    named = any(platform in line for line in lines)
    cases = any(_case_heading(line) for line in lines)
    return named and cases and ("先進" in text or "事例" in text)


def read(text: str) -> Extraction:
    return _PresentationReader(text).read()


@dataclass
class _Case:
    record: CaseRecord
    points: list[str] = field(default_factory=list)
    member_text: str | None = None
    in_effects: bool = False


class _PresentationReader:
    def __init__(self, text: str):
        self.raw = text.split("\n")
        self.lines = [normalise_text(line) for line in self.raw]
        self.ex = Extraction(family=FAMILY)
        self.mode = "background"
        self.theme: str | None = None
        self.case: _Case | None = None
        self.cases: list[_Case] = []
        self.pending_kpi: int | None = None
        self.lectures: list[dict] = []

    def read(self) -> Extraction:
        start = self._front_matter()
        for i in range(start, len(self.lines)):
            if self.lines[i]:
                self._line(i)
        self._finish_cases()
        self._lecture_cases()
        return self.ex

    def _source(self, i: int, end: int | None = None) -> Source:
        return Source(i + 1, end + 1 if end is not None else None, text=self.raw[i])

    def _unplaced(self, i: int) -> None:
        self.ex.unplaced.append(self._source(i))

    def _keep(self, key: str, value) -> None:
        self.ex.meta.setdefault(key, []).append(value)

    # ── front matter ─────────────────────────────────────────────────────────────────────────

    def _front_matter(self) -> int:
        """Title, subtitle, date and issuer: the lines before the first heading or paragraph."""
        filled = [i for i, line in enumerate(self.lines) if line]
        if not filled:
            return len(self.lines)
        self.ex.title = self.lines[filled[0]]
        end = filled[0] + 1
        for i in filled[1:5]:
            line = self.lines[i]
            # The date line, not its value, marks the place: an impossible date (平成0年) is still a date line.
            if _DATE_LINE.match(line):
                self.ex.doc_date = _date(line)
                self.ex.meta["date"] = line
            elif "date" in self.ex.meta and _ISSUER.match(line):
                self.ex.meta["issuer"] = line
            elif "date" not in self.ex.meta and "subtitle" not in self.ex.meta and not _SECTION_HEADING.match(line):
                self.ex.meta["subtitle"] = line
            else:
                break
            end = i + 1
        return end

    # ── body ─────────────────────────────────────────────────────────────────────────────────

    def _line(self, i: int) -> None:
        line = self.lines[i]
        heading = _case_heading(line)
        if heading:
            self._open_case(i, *heading)
        elif _SECTION_HEADING.match(line):
            self._section(i, line)
        elif self.mode == "kpi":
            self._kpi_line(i, line)
        elif self.mode == "lectures" and _BULLET.sub("", line) != line:
            self._lecture(i, _BULLET.sub("", line))
        elif _THEME_HEADING.match(line) and len(line) <= 40:
            self._close_case()
            self.theme = _THEME_HEADING.match(line).group("theme").strip()
        elif self.case is not None:
            self._case_line(i, line)
        elif _URL.match(line):
            self._keep("urls", _URL.match(line).group("url"))
        elif _ARROW.match(line):
            self._unplaced(i)
        else:
            self._keep("background", line)

    def _section(self, i: int, line: str) -> None:
        self._close_case()
        self.theme = None
        if "KPI" in line:
            self.mode = "kpi"
        elif "講演" in line and "取組" not in line:
            self.mode = "lectures"
        else:
            self.mode = "background"
            self._keep("background", line)

    def _close_case(self) -> None:
        self.case = None

    def _open_case(self, i: int, theme: str | None, name: str) -> None:
        self._close_case()
        self.mode = "background"
        record = CaseRecord(title=name, municipalities=split_names(name), source=self._source(i),
                            theme=theme or self.theme)
        self.case = _Case(record)
        self.cases.append(self.case)
        self.ex.cases.append(record)

    def _case_line(self, i: int, line: str) -> None:
        case = self.case
        body = _BULLET.sub("", line)
        if case.in_effects and body == line and not _ARROW.match(line):
            # Prose after the effects belongs to what follows the case, not to it.
            self._close_case()
            self._line(i)
            return
        case.record.source.line_end = i + 1
        if _EFFECTS_INTRO.match(line):
            case.in_effects = True
        elif _ARROW.match(line):
            case.record.effects.extend(_effects(_ARROW.sub("", line)))
            case.in_effects = True
        elif case.in_effects:
            case.record.effects.append(_effect(body))
        else:
            case.points.append(body)
            note_count_text(self.ex, i + 1, case.record.title, body)
            members = _members(body)
            if members and case.member_text is None:
                case.member_text = members

    def _finish_cases(self) -> None:
        """Summary from the case's points; members listed in its text replace a union's name, and
        a prefecture written for one member elsewhere in the document is carried to the group."""
        for case in self.cases:
            case.record.summary = "\n".join(case.points) or None
            if case.member_text:
                case.record.municipalities = self._with_prefecture(split_names(case.member_text))

    def _with_prefecture(self, names: list[str]) -> list[str]:
        if all(_PREFECTURE_PREFIX.match(n) for n in names):
            return names
        found = {pref for n in names for line in self.lines if (pref := _prefecture_before(n, line))}
        if len(found) != 1:
            return names
        pref = found.pop()
        return [n if _PREFECTURE_PREFIX.match(n) else pref + n for n in names]

    # ── reform-schedule KPIs ─────────────────────────────────────────────────────────────────

    def _kpi_line(self, i: int, line: str) -> None:
        """A KPI is its name on one line and "baseline⇒target" on the next; any other line ends the list."""
        pair = _transition(line)
        if pair is None:
            following = next((j for j in range(i + 1, len(self.lines)) if self.lines[j]), None)
            if following is not None and _transition(self.lines[following]):
                self.pending_kpi = i
            else:
                self.mode = "background"
                self._keep("background", line)
            return
        if self.pending_kpi is None:
            self._unplaced(i)
            return
        name_at, self.pending_kpi = self.pending_kpi, None
        baseline, target = pair
        rel = target.relative
        kpi = KpiRecord(
            name=self.lines[name_at], source=self._source(name_at, i), unit=target.unit or baseline.unit,
            direction=target.direction_hint or _direction(baseline, target),
            baseline=BaselineRecord(text=baseline.text, source=Source(i + 1, text=self.raw[i]), value=baseline.value,
                                    unit=baseline.unit, as_of=baseline.as_of),
            targets=[TargetRecord(
                text=target.text, source=Source(i + 1, text=self.raw[i]), value=target.value, unit=target.unit,
                deadline=target.deadline, comparator=target.comparator,
                relative_factor=rel.factor if rel else None, relative_kind=rel.kind if rel else None,
                relative_base_year=rel.base_fiscal_year if rel else None,
                relative_base_value=rel.base_value if rel else None)])
        self.ex.kpis.append(kpi)

    # ── lecturing bodies ─────────────────────────────────────────────────────────────────────

    def _lecture(self, i: int, body: str) -> None:
        theme = _THEME_HEADING.match(body)
        groups = _GROUP.findall(body)
        if not theme or not groups:
            self._unplaced(i)
            return
        name = _GROUP.sub("", theme.group("theme")).strip()
        bodies = [n for g in groups for n in split_names(g)]
        self.lectures.append({"theme": name, "bodies": bodies, "line": i + 1})

    def _lecture_cases(self) -> None:
        """A lecturing body with no case of its own becomes a case without summary or effects."""
        if not self.lectures:
            return
        self.ex.meta["lectures"] = [{k: v for k, v in lec.items() if k != "line"} for lec in self.lectures]
        covered = {n for case in self.ex.cases for n in case.municipalities}
        for lec in self.lectures:
            for body in lec["bodies"]:
                if body in covered:
                    continue
                covered.add(body)
                self.ex.cases.append(CaseRecord(title=body, municipalities=[body],
                                                source=self._source(lec["line"] - 1), theme=lec["theme"]))


# ── effects ─────────────────────────────────────────────────────────────────────────────────


def _case_heading(line: str) -> tuple[str | None, str] | None:
    m = _CASE_HEADING.match(_BULLET.sub("", line))
    if not m or not _BODY_NAME.search(m.group("name").strip()):
        return None
    return (m.group("theme").strip() or None), m.group("name").strip()


def _transition(line: str) -> tuple[Parsed, Parsed] | None:
    """Baseline and target of a "208団体⇒416団体" line; None when a side has nothing to read
    (a line broken before its unit leaves "団体⇒…" on the next line)."""
    if "⇒" not in line and "→" not in line:
        return None
    try:
        return parse_transition(line)
    except ValueError:  # ParseError, or an impossible date on either side
        return None


def _direction(baseline: Parsed, target: Parsed) -> str | None:
    if baseline.value is None or target.value is None or baseline.value == target.value:
        return None
    return "up" if target.value > baseline.value else "down"


def _prefecture_before(name: str, line: str) -> str | None:
    m = re.search(_PREFECTURE + re.escape(name), line)
    return m.group(1) if m else None


def _members(text: str) -> str | None:
    """A parenthesised list of two or more municipalities ("(常陸大宮市、那珂市、…、五霞町)")."""
    for group in _GROUP.findall(text):
        names = [n for n in re.split(r"[、・,]", group) if n.strip()]
        if len(names) >= 2 and all(_MUNICIPALITY.search(n.strip()) for n in names):
            return group
    return None


def _effects(text: str) -> list[EffectRecord]:
    """The effects of one "⇒" line: items split at 、 outside parentheses, a lead-in ("…により")
    joined to the item it introduces."""
    items, depth, current = [], 0, ""
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "、" and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    merged: list[str] = []
    for item in (i.strip() for i in items if i.strip()):
        if merged and _LEAD_IN.search(merged[-1]):
            merged[-1] = f"{merged[-1]}、{item}"
        else:
            merged.append(item)
    return [_effect(item) for item in merged]


def _effect(text: str) -> EffectRecord:
    """"市民総合窓口:0.5億円(▲24%)コスト削減(1年間)" → label, amount in yen, change and period."""
    text = text.strip()
    m = _LABEL.match(text)
    label, rest = (m.group("label").strip(), m.group("rest")) if m else (None, text)
    p = _parsed(rest)
    period = _PERIOD.search(rest)
    return EffectRecord(text=text, label=label,
                        amount_yen=p.value if p and p.unit == "円" else None,
                        change_percent=p.change_percent if p else None,
                        period_years=float(period.group("n")) if period else None)


def _parsed(text: str) -> Parsed | None:
    """The effect's figures, or None when jp reads nothing (ParseError) or meets an impossible
    date ("平成0年", a plain ValueError)."""
    try:
        return parse(text)
    except ValueError:
        return None


def _date(line: str) -> date | None:
    try:
        return parse_date(line)
    except ValueError:  # an impossible date such as 平成0年7月7日
        return None
