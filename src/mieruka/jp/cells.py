"""Low-level reading of one table cell: which periods, quantities and relative targets it holds.
expressions.py turns this analysis into Parsed values; nothing here guesses a missing part."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .dates import Period, find_periods
from .numbers import Quantity, read_quantities
from .text import prepare_cell

STATUS_WORD = re.compile(r"速報値?|確報値?|確定値|見込み?|推計値?|見通し")
STATUS_KIND = {"速": "preliminary", "確": "final", "見": "forecast", "推": "forecast"}

_AT_LEAST = re.compile(r"の?(?:実績値?|値|水準)以上")
_BASE_TAIL = re.compile(r"の?(?:実績値?|値|水準)?(?:比|と比べ|と比較|から|より|を基準|基準)")
_DEADLINE_TAIL = re.compile(r"(?:まで|迄|めど|目途|目処|を目途|を目処|をめど|を目標)")
_ASOF_TAIL = re.compile(r"\)?\(?(?:時点|現在|速報|確報|確定値|見込|推計|実績|調査)")
_PERIOD_STATUS = re.compile(r"\)?\(?(?:時点|現在)?(速報値?|確報値?|確定値|見込み?|推計値?)")

_UNSET = re.compile(r"検討中|未設定|未定|設定予定|設定する予定|目標[^。]{0,30}?設定(?!済|し|され|で|の)")
_UNSET_AFTER_PERIOD = re.compile(r"(?:まで)?に[^。()]{0,40}?設定(?!済|し|され)")
_NOT_PROMISE = re.compile(r"の|以降|後")

_NUM = r"(?<![\d.,(▲△+\-])(?P<n>\d+(?:\.\d+)?)"
_CUT = r"(?:程度)?の?(?:圧縮|削減|縮減|低減|カット|減)"
_RELATIVES = (
    ("half", re.compile(r"半減|半分に"), lambda n: 0.5),
    ("double", re.compile(r"倍増"), lambda n: 2.0),
    ("multiple", re.compile(_NUM + r"倍(?:増|に)?"), lambda n: n),
    ("cut", re.compile(_NUM + r"割" + _CUT), lambda n: round(1 - n / 10, 10)),
    ("cut", re.compile(_NUM + r"%" + _CUT), lambda n: round(1 - n / 100, 10)),
    ("multiple", re.compile(_NUM + r"割(?:程度)?の?増(?:加)?"), lambda n: round(1 + n / 10, 10)),
    ("multiple", re.compile(_NUM + r"%(?:程度)?の?増(?:加)?"), lambda n: round(1 + n / 100, 10)),
    ("at_least_base", re.compile(r"前年度の?(?:実績値?|値)?以上"), lambda n: 1.0),
)
_APPROX_BEFORE = re.compile(r"(?:約|概ね|おおむね|およそ|凡そ|最大約?)$")
_ENUMERATOR = re.compile(r"(?:^|(?<=[\s>、。・]))\(\d{1,2}\)")

_Q_APPROX = re.compile(r"〜?程度|前後|ほど")
_Q_COMPARATOR = re.compile(r"以上|を超える|を上回る|超え|超|以下|以内|未満|を下回る")
_Q_CHANGE = re.compile(r"\(([▲△+\-])?(\d+(?:\.\d+)?)%(減少|削減|減|増加|増)?\)")
_Q_REDUCTION = re.compile(r"の?(?:コスト)?(?:削減|減少|縮減|低減|減)(?!税)")
_Q_STATUS = re.compile(r"[^\x00、。()【】]{0,6}?(速報値?|確報値?|確定値|見込み?|推計値?)")


@dataclass
class CellPeriod:
    period: Period
    cls: str  # base | deadline | as_of | neutral
    status: str | None = None
    status_span: tuple[int, int] | None = None
    at_least: bool = False
    base_pair: bool = False


@dataclass
class CellRelative:
    kind: str
    factor: float
    start: int
    end: int
    text: str
    approx: bool = False
    base_fy: int | None = None
    base_value: float | None = None
    base_unit: str | None = None


@dataclass
class CellQuantity:
    q: Quantity
    start: int  # including 約/▲ before the number
    end: int  # including 以上, 程度, (▲24%) after it
    approx: bool = False
    negative: bool = False
    comparator: str | None = None
    change_percent: float | None = None
    reduction: bool = False
    status: str | None = None
    status_span: tuple[int, int] | None = None
    is_base: bool = False


@dataclass
class Cell:
    text: str
    s: str
    periods: list[CellPeriod] = field(default_factory=list)
    relatives: list[CellRelative] = field(default_factory=list)
    quantities: list[CellQuantity] = field(default_factory=list)
    unset: bool = False
    promise: CellPeriod | None = None
    groups: list[int] = field(default_factory=list)

    def free_status(self) -> str | None:
        """First status word not already tied to a period or a quantity."""
        taken = [p.status_span for p in self.periods if p.status_span]
        taken += [q.status_span for q in self.quantities if q.status_span]
        for m in STATUS_WORD.finditer(self.s):
            if not any(a <= m.start() < b for a, b in taken):
                return STATUS_KIND[m.group()[0]]
        return None

    def usable(self) -> list[CellPeriod]:
        """Periods that may give a deadline or as-of date (not bases, not promises)."""
        if self.unset:
            return []
        return [p for p in self.periods if p.cls != "base" and not p.base_pair]


def _bracket_groups(s: str) -> list[int]:
    ids, stack, n = [], [0], 0
    for ch in s:
        if ch in "([【〔「":
            n += 1
            stack.append(n)
            ids.append(n)
        elif ch in ")]】〕」":
            ids.append(stack[-1])
            if len(stack) > 1:
                stack.pop()
        else:
            ids.append(stack[-1])
    return ids


def _classify(s: str, p: Period) -> CellPeriod:
    tail = s[p.end:p.end + 24]
    cp = CellPeriod(p, "neutral")
    sm = _PERIOD_STATUS.match(tail)
    if sm:
        cp.status = STATUS_KIND[sm.group(1)[0]]
        cp.status_span = (p.end + sm.start(1), p.end + sm.end(1))
    if _AT_LEAST.match(tail):
        cp.cls, cp.at_least = "base", True
    elif _BASE_TAIL.match(tail):
        cp.cls = "base"
    elif _DEADLINE_TAIL.match(tail) or p.suffix in ("中", "内"):
        cp.cls = "deadline"
    elif _ASOF_TAIL.match(tail):
        cp.cls = "as_of"
    return cp


def _find_relatives(s: str, periods: list[CellPeriod]) -> list[CellRelative]:
    spans = [(c.period.start, c.period.end) for c in periods]
    found = []
    for c in periods:
        if c.at_least:
            m = _AT_LEAST.match(s, c.period.end)
            p = c.period
            found.append(CellRelative("at_least_base", 1.0, p.start, m.end(), s[p.start:m.end()],
                                      base_fy=p.fiscal_year or p.year))
    for kind, rx, factor in _RELATIVES:
        for m in rx.finditer(s):
            if any(a < m.end() and m.start() < b for a, b in spans):
                continue
            n = float(m.group("n")) if "n" in rx.groupindex else 0.0
            found.append(CellRelative(kind, factor(n), m.start(), m.end(), m.group()))
    found.sort(key=lambda r: (r.start, -(r.end - r.start)))
    out: list[CellRelative] = []
    for r in found:
        if out and r.start < out[-1].end:
            continue
        am = _APPROX_BEFORE.search(s, max(0, r.start - 4), r.start)
        if am:
            r.approx, r.start = True, am.start()
        if "程度" in r.text:
            r.approx = True
        out.append(r)
    bases = [c.period for c in periods if c.cls == "base"]
    for r in out:
        if r.base_fy is None:
            before = [p for p in bases if p.end <= r.start]
            after = [p for p in bases if p.start >= r.end]
            p = before[-1] if before else (after[0] if after else None)
            if p is not None:
                r.base_fy = p.fiscal_year or p.year
    return out


def _mask(s: str, spans) -> str:
    chars = list(s)
    for a, b in spans:
        chars[a:b] = "\x00" * (b - a)
    return "".join(chars)


def _read_quantities(masked: str) -> list[CellQuantity]:
    out: list[CellQuantity] = []
    skip_until = -1
    for q in read_quantities(masked):
        if q.start < skip_until:
            continue
        cq = CellQuantity(q, q.start, q.end)
        pos = q.start
        if pos > 0 and masked[pos - 1] in "▲△":
            cq.negative, pos = True, pos - 1
        elif pos > 0 and masked[pos - 1] == "-" and (pos < 2 or not masked[pos - 2].isalnum()):
            cq.negative, pos = True, pos - 1
        am = _APPROX_BEFORE.search(masked, max(0, pos - 4), pos)
        if am:
            cq.approx, pos = True, am.start()
        cq.start = pos
        j = q.end
        for _ in range(6):
            m = _Q_APPROX.match(masked, j)
            if m:
                cq.approx, j = True, m.end()
                continue
            m = _Q_COMPARATOR.match(masked, j)
            if m and cq.comparator is None:
                word = m.group()
                ge = word in ("以上", "を超える", "を上回る", "超え", "超")
                if q.unit == "位":  # 3位以上 means third place or better: a smaller number
                    ge = False
                cq.comparator, j = ("ge" if ge else "le"), m.end()
                continue
            m = _Q_CHANGE.match(masked, j)
            if m and cq.change_percent is None:
                pct = float(m.group(2))
                neg = m.group(1) in ("▲", "△", "-") or (m.group(3) or "").startswith(("減", "削"))
                cq.change_percent = -pct if neg else pct
                cq.reduction = cq.reduction or neg
                j = skip_until = m.end()
                continue
            m = _Q_REDUCTION.match(masked, j)
            if m and not cq.reduction:
                cq.reduction, j = True, m.end()
                continue
            break
        sm = _Q_STATUS.match(masked, j)
        if sm:
            cq.status = STATUS_KIND[sm.group(1)[0]]
            cq.status_span = sm.span(1)
        cq.end = j
        out.append(cq)
    return out


def analyse(text) -> Cell:
    """Find the periods, relative targets, quantities and unset-target forms of one cell."""
    s = prepare_cell(text)
    cell = Cell(text=text, s=s, groups=_bracket_groups(s))
    cell.periods = [_classify(s, p) for p in find_periods(s)]
    cell.relatives = _find_relatives(s, cell.periods)

    spans = [(c.period.start, c.period.end) for c in cell.periods]
    spans += [(r.start, r.end) for r in cell.relatives]
    spans += [m.span() for m in _ENUMERATOR.finditer(s)]
    masked = _mask(s, spans)
    cell.quantities = _read_quantities(masked)

    # "(2012年度:1450)" beside a relative target is the base it is relative to.
    if cell.relatives:
        rel = cell.relatives[0]
        pairs = []
        for c in cell.periods:
            if s.startswith(":", c.period.end):
                q = next((q for q in cell.quantities if q.start in (c.period.end + 1, c.period.end + 2)), None)
                if q is not None:
                    pairs.append((c, q))
        pairs.sort(key=lambda t: t[0].period.year != rel.base_fy)
        if pairs:
            c, q = pairs[0]
            c.base_pair, q.is_base = True, True
            rel.base_value, rel.base_unit = q.q.value * (-1 if q.negative else 1), q.q.unit
            if rel.base_fy is None:
                rel.base_fy = c.period.fiscal_year or c.period.year

    cell.unset = bool(_UNSET.search(s)) or any(
        _UNSET_AFTER_PERIOD.match(s, c.period.end) for c in cell.periods if c.cls != "base")
    if cell.unset:
        cell.promise = next((c for c in cell.periods if c.cls != "base" and not c.base_pair
                             and not _NOT_PROMISE.match(s, c.period.end)), None)
    return cell
