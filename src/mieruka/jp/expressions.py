"""Reading one KPI table cell into a Parsed value: number, unit, dates, status, relative target.
parse() reads the main quantity, parse_all() every quantity, parse_transition() a baseline⇒target."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import date

from .cells import STATUS_KIND, STATUS_WORD, Cell, CellPeriod, CellQuantity, analyse
from .text import prepare_cell

_ROLES = (None, "target", "actual")
_DURATIONS = {"時間", "日", "分", "秒", "週", "か月"}
_DOWN_WORDS = re.compile(r"削減|圧縮|縮減|低減|減少|短縮|半減|抑制")
_UP_WORDS = re.compile(r"倍増|増加|向上|拡大|増やす|伸ば")
_REDUCTION_WORDS = re.compile(r"[▲△]|削減|縮減|低減|減少|圧縮|半減|\d[%割]減|の減")
_ARROW = re.compile(r"⇒|→|⇨|➡|➔|->|=>")
_PAIRS = {"【": "】", "(": ")", "[": "]", "〔": "〕"}


class ParseError(ValueError):
    """A cell that holds no number, relative target, date or unset-target form."""

    def __init__(self, text, reason: str):
        self.text = text
        self.reason = reason
        super().__init__(f"cannot read {text!r}: {reason}")


@dataclass
class Relative:
    """A target stated against a base: 半減 (0.5), 3割圧縮 (0.7), 倍増 (2), 平成26年度値以上 (1)."""

    factor: float
    kind: str  # half | double | cut | multiple | at_least_base
    base_fiscal_year: int | None = None
    base_value: float | None = None
    base_unit: str | None = None
    text: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Parsed:
    """One value read from a cell; value is in base units (円, 件, 人, %...)."""

    text: str
    value: float | None = None
    unit: str | None = None
    unit_as_written: str | None = None
    approx: bool = False
    comparator: str | None = None  # eq | ge | le
    as_of: date | None = None
    deadline: date | None = None
    fiscal_year: int | None = None
    status: str | None = None  # preliminary | final | forecast
    relative: Relative | None = None
    unset: bool = False
    promised_by: date | None = None
    direction_hint: str | None = None  # up | down
    reduction: bool = False
    change_percent: float | None = None

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("as_of", "deadline", "promised_by"):
            out[key] = out[key].isoformat() if out[key] else None
        out["relative"] = self.relative.to_dict() if self.relative else None
        return out


def _relative(cell: Cell) -> Relative | None:
    if not cell.relatives:
        return None
    r = cell.relatives[0]
    return Relative(r.factor, r.kind, r.base_fy, r.base_value, r.base_unit, r.text)


def _slot(cp: CellPeriod, role: str | None, status: str | None) -> str:
    if cp.cls in ("deadline", "as_of"):
        return cp.cls
    if role == "target":
        return "deadline"
    if role == "actual":
        return "as_of"
    return "as_of" if status else "deadline"


def _nearest(cell: Cell, cq: CellQuantity, usable: list[CellPeriod]) -> CellPeriod | None:
    """The period a quantity belongs to: one leading it in the same bracket ("2020年度までに416団体"),
    else the annotation after it ("301団体(2017年4月速報値)"), else the closest before."""
    g = cell.groups
    gid = g[cq.q.start]
    others = [o for o in cell.quantities if o is not cq and not o.is_base]

    before = [c for c in usable if c.period.end <= cq.start and g[c.period.start] == gid
              and not any(c.period.end <= o.start < cq.start for o in others)]
    if before:
        return before[-1]
    after = [c for c in usable if c.period.start >= cq.end and
             (g[c.period.start] == gid or _opened_after(cell, g[c.period.start], cq.end))]
    if after:
        return after[0]
    before = [c for c in usable if c.period.end <= cq.start]
    return before[-1] if before else (usable[0] if usable else None)


def _opened_after(cell: Cell, group: int, pos: int) -> bool:
    """Whether bracket group *group* opens at or after offset *pos*."""
    return cell.groups.index(group) >= pos if group in cell.groups else False


def _direction(unit, rel: Relative | None, comparator, s: str) -> str | None:
    if unit == "位" or unit in _DURATIONS:
        return "down"  # a better rank or a shorter time is a smaller number
    if rel is not None:
        if rel.kind == "at_least_base":
            return "up"
        return "up" if rel.factor > 1 else "down"
    if comparator in ("ge", "le"):
        return "up" if comparator == "ge" else "down"
    if _DOWN_WORDS.search(s):
        return "down"
    return "up" if _UP_WORDS.search(s) else None


def _build(cell: Cell, role, cq: CellQuantity | None, rel: Relative | None, single: bool) -> Parsed:
    s = cell.s
    usable = cell.usable()
    p = Parsed(text=cell.text, relative=rel, unset=cell.unset)
    chosen: CellPeriod | None = None
    if cq is not None:
        q = cq.q
        p.value = -q.value if cq.negative else q.value
        p.unit, p.unit_as_written = q.unit, q.unit_as_written
        p.approx, p.comparator = cq.approx, cq.comparator or "eq"
        p.change_percent = cq.change_percent
        if p.change_percent is None and q.unit == "%" and (cq.negative or cq.reduction):
            p.change_percent = -abs(p.value)  # "▲24%" or "(62%減)" standing alone
        chosen = _nearest(cell, cq, usable)
        p.status = cq.status or (chosen.status if chosen else None) or cell.free_status()
        p.reduction = cq.reduction or cq.negative or (single and bool(_REDUCTION_WORDS.search(s)))
    else:
        m = STATUS_WORD.search(s)
        p.status = STATUS_KIND[m.group()[0]] if m else None
        p.reduction = bool(_REDUCTION_WORDS.search(s))
        if rel is not None:
            p.approx = cell.relatives[0].approx
            p.comparator = "ge" if rel.kind == "at_least_base" else None
    if rel is not None and rel.kind in ("half", "cut"):
        p.reduction = True

    slots: dict[str, CellPeriod] = {}
    if chosen is not None:
        slots[_slot(chosen, role, p.status)] = chosen
    if cq is None or single:
        for cp in usable:
            if cp.cls in ("deadline", "as_of") and cp.cls not in slots and cp is not chosen:
                slots[cp.cls] = cp
        if cq is None:
            for cp in usable:
                slot = _slot(cp, role, p.status)
                if cp.cls == "neutral" and slot not in slots:
                    slots[slot] = cp
    if "deadline" in slots:
        p.deadline = slots["deadline"].period.last()
    if "as_of" in slots:
        p.as_of = slots["as_of"].period.point()
    main = chosen or slots.get("deadline") or slots.get("as_of")
    p.fiscal_year = main.period.fiscal_year if main else None
    if cell.promise is not None:
        p.promised_by = cell.promise.period.last()
    p.direction_hint = _direction(p.unit, rel, p.comparator, s)
    return p


def _check(text, role) -> None:
    if role not in _ROLES:
        raise ValueError(f"role must be 'target', 'actual' or None, got {role!r}")
    if text is None or not str(text).strip():
        raise ParseError(text, "the cell is empty")


def parse(text: str, role: str | None = None) -> Parsed:
    """Read one cell: its main quantity, period, status, relative target or unset-target form.

    *role* only decides where a period with no role word goes: "target" → deadline,
    "actual" → as_of, None → deadline unless a status word (速報値, 見込み...) is present."""
    _check(text, role)
    cell = analyse(str(text))
    cell.text = text
    quantities = [q for q in cell.quantities if not q.is_base]
    rel = _relative(cell)
    if quantities:
        # "助成終了後2年経過時の…(令和2年70%)": a span of years is context, rarely the value.
        main = next((q for q in quantities if q.q.unit != "年"), quantities[0])
        return _build(cell, role, main, rel, single=len(quantities) == 1)
    if rel is not None or cell.unset or cell.usable():
        return _build(cell, role, None, rel, single=True)
    raise ParseError(text, "no number, relative target (半減, 3割圧縮, 倍増...), date or period, "
                           "or unset-target form (検討中, 未設定...) was found")


def parse_all(text: str, role: str | None = None) -> list[Parsed]:
    """Every quantity in a cell ("430団体、約7,693万人 (2017年8月31日時点)" → two values sharing
    the date). A cell without a quantity gives [parse(text)]; an unreadable one raises ParseError."""
    _check(text, role)
    cell = analyse(str(text))
    cell.text = text
    quantities = [q for q in cell.quantities if not q.is_base]
    if not quantities:
        return [parse(text, role)]
    rel = _relative(cell)
    single = len(quantities) == 1
    return [_build(cell, role, cq, rel if i == 0 else None, single) for i, cq in enumerate(quantities)]


def _sides(s: str, m: re.Match) -> tuple[str, str]:
    best = None
    for op, cl in _PAIRS.items():
        o = s.rfind(op, 0, m.start())
        c = s.find(cl, m.end())
        if o != -1 and c != -1 and cl not in s[o:m.start()] and op not in s[m.end():c]:
            if best is None or o > best[0]:
                best = (o, c)
    if best:
        return s[best[0] + 1:m.start()], s[m.end():best[1]]
    nxt = _ARROW.search(s, m.end())
    return s[:m.start()], s[m.end():nxt.start() if nxt else len(s)]


def parse_transition(text: str) -> tuple[Parsed, Parsed] | None:
    """Baseline and target of "【208⇒416】" or "2014年度:208団体⇒2020年度:416団体に";
    None when the text has no arrow. The baseline is read as an actual, the target as a target."""
    if text is None:
        return None
    s = prepare_cell(str(text))
    m = _ARROW.search(s)
    if not m:
        return None
    left, right = _sides(s, m)
    base = parse(left, "actual")
    target = parse(right, "target")
    rel = target.relative
    if rel is not None and rel.base_value is None and base.value is not None:
        rel.base_value, rel.base_unit = base.value, base.unit
        rel.base_fiscal_year = rel.base_fiscal_year or base.fiscal_year
    return base, target
