"""Reader for the catalogue of national measures behind municipal data plans (市町村の施策に関する国の施策一覧).
One table split over pages with drifting two-row headers: cells map by header meaning, else by anchors in the row."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from mieruka.ingest.html_cells import cell_lines, cell_text, cell_urls, text_urls
from mieruka.jp import parse, precision_of
from mieruka.jp.dates import find_periods
from mieruka.records.extraction import Extraction, KpiRecord, MeasureRecord, MinistryRecord, Source, TargetRecord

FAMILY = "measure-catalogue"

EFFECTS = ("efficiency", "economy", "convenience", "safety")
_TEXT_FIELDS = ("name", "kpi_progress", "kpi_effect", "overview", "pillar")
# The order the rows of this family carry their cells in, whatever a page header claims.
_CATALOGUE_ORDER = ("no", *_TEXT_FIELDS, "timing", *EFFECTS, "support", "budget", "urls", "code", "ministries")

# Header wording → field, tried in order on the folded heading ("国の施策番号" before "施策名").
_HEADINGS = (
    ("施策番号", "code"),
    ("施策名", "name"),
    ("KPI(進捗)", "kpi_progress"),
    ("KPI(効果)", "kpi_effect"),
    ("課題・取組概要", "overview"),
    ("対応する柱", "pillar"),
    ("掲載時期", "timing"),
    ("行政の効率化", "efficiency"),
    ("経済の活性化", "economy"),
    ("利便性", "convenience"),
    ("安全・安心", "safety"),
    ("支援策", "support"),
    ("予算事業名", "budget"),
    ("URL", "urls"),
    ("府省庁名", "ministries"),
)
_FLAG_MARKS = frozenset({"○", "◯"})
_DASHES = frozenset({"-", "－", "―", "‐", "ー"})
_CODE = re.compile(r"\d{1,2}-\d{1,3}")
_MINISTRY_WORDS = ("省", "庁", "府", "官房", "◎")
_MINISTRY_SEPARATORS = str.maketrans({",": "、", "，": "、", "・": "、"})
# Last characters of an office name; a space after one separates two names, elsewhere it is a PDF wrap.
_OFFICE_ENDINGS = tuple("省庁府房会室局部等")
_LEAD_MARK = "◎"
# Prose cells converted from PDF run their list items together: "…。 -…", "…実施 ・…", "…。 【…】".
_INLINE_BULLET = re.compile(r"\s+(?=[-－・○●■【])")
_DASH_MARK = re.compile(r"^[-－]\s*")
_BUDGET_LABEL = "予算事業名"
_SOURCE_LIMIT = 2000


def _fold(s: str) -> str:
    """Header and anchor comparison form: NFKC, no whitespace (PDF wraps headings mid-word)."""
    return "".join(unicodedata.normalize("NFKC", s).split())


def _heading_field(heading: str) -> str | None:
    folded = _fold(heading)
    if folded.lower() == "no":
        return "no"
    return next((field for word, field in _HEADINGS if word in folded), None)


@dataclass
class _Layout:
    """One page's column map: the field each column holds, None for a column with no heading."""

    line: int
    columns: tuple[str | None, ...]

    @property
    def effects(self) -> tuple[str, ...]:
        in_header = tuple(f for f in self.columns if f in EFFECTS)
        return in_header if sorted(in_header) == sorted(EFFECTS) else EFFECTS

    @property
    def text_fields(self) -> tuple[str, ...]:
        """The leading run of text columns after No, which a drifted row still carries in place."""
        fields = [f for f in self.columns if f is not None][1:]
        run = []
        for field in fields:
            if field not in _TEXT_FIELDS:
                break
            run.append(field)
        return tuple(run) or _TEXT_FIELDS


_DEFAULT_LAYOUT = _Layout(line=0, columns=_CATALOGUE_ORDER)


def _header_layout(line_no: int, first: list[str], second: list[str] | None) -> _Layout:
    """Merge the two header rows: a named first-row column keeps its name; under the spanning
    期待される効果 heading (or where the first row is blank) the second row names the column."""
    width = max(len(first), len(second or []))
    columns = []
    for i in range(width):
        top = _heading_field(first[i]) if i < len(first) else None
        below = _heading_field(second[i]) if second and i < len(second) else None
        columns.append(top or below)
    return _Layout(line=line_no, columns=tuple(columns))


def _is_header_start(cells: list[str]) -> bool:
    return _fold(cells[0]).lower() == "no" and any(_heading_field(c) == "name" for c in cells[1:])


def _is_header_continuation(cells: list[str]) -> bool:
    return not cells[0].strip() and any(_heading_field(c) in (*EFFECTS, "timing") for c in cells[1:])


def _is_blank(cell: str) -> bool:
    return not cell.strip() or cell.strip() in _DASHES


def _is_flag(cell: str) -> bool:
    return cell.strip() in _FLAG_MARKS


def _is_code(cell: str) -> bool:
    return bool(_CODE.fullmatch(_fold(cell)))


def _is_ministries(cell: str) -> bool:
    text = _fold(cell)
    return (bool(text) and not _is_code(text) and "。" not in text and "http" not in text
            and any(word in text for word in _MINISTRY_WORDS))


def _is_budget(cell: str) -> bool:
    return _BUDGET_LABEL in cell


def _row_no(cells: list[str]) -> int | None:
    text = _fold(cells[0])
    return int(text) if text.isdecimal() else None


# --- mapping one row to fields ---------------------------------------------------------------

def _fields_by_header(cells: list[str], layout: _Layout) -> dict[str, list[str]] | None:
    """The row read through its page header, or None when the cells do not fit it."""
    if len(cells) != len(layout.columns):
        return None
    fields: dict[str, list[str]] = {}
    for cell, field in zip(cells, layout.columns):
        if field is None:
            if cell.strip():
                return None
            continue
        fields.setdefault(field, []).append(cell)
    return fields if _fits_header(fields) else None


def _fits_header(fields: dict[str, list[str]]) -> bool:
    """Whether the recognisable cells sit where the header puts them; a row can have as many cells
    as its header and still be shifted (a missing budget cell and a split flag column cancel out)."""
    def every(field: str, ok) -> bool:
        return all(ok(c) for c in fields.get(field, []))

    checks = (
        all(every(f, lambda c: _is_flag(c) or not c.strip()) for f in EFFECTS),
        every("code", lambda c: _is_code(c) or _is_blank(c)),
        every("ministries", lambda c: _is_ministries(c) or not c.strip()),
        every("timing", lambda c: not (_is_flag(c) or _is_code(c))),
        every("support", lambda c: not _is_budget(c)),
        # a budget cell names programmes; sentences there are a shifted support cell
        every("budget", lambda c: _is_blank(c) or _is_budget(c) or "。" not in c),
        every("urls", lambda c: _is_blank(c) or bool(cell_urls(c))),
    )
    return "name" in fields and all(checks)


def _fields_by_anchors(cells: list[str], layout: _Layout) -> tuple[dict[str, list[str]], list[str]]:
    """Read a row that does not fit its header from recognisable cells: No at the start, the
    measure code and the ministries at the end, ○ flags, 予算事業名 labels and URLs in between.
    Returns the fields and the non-empty cells that found no place."""
    end = len(cells)
    while end > 1 and not cells[end - 1].strip():
        end -= 1
    fields: dict[str, list[str]] = {"no": [cells[0]]}
    leftovers: list[str] = []

    code_at = next((i for i in range(end - 1, 0, -1) if _is_code(cells[i])), None)
    if code_at is not None:
        fields["code"] = [cells[code_at]]
        after = [c for c in cells[code_at + 1:end] if c.strip()]
        if after and _is_ministries(after[0]):
            fields["ministries"] = [after.pop(0)]
        leftovers.extend(after)
        middle_end = code_at
    else:
        # No code: the ministries close the row and the empty cell before them is the code's.
        middle_end = end
        if end > 1 and _is_ministries(cells[end - 1]):
            fields["ministries"] = [cells[end - 1]]
            middle_end -= 1
        if middle_end > 1 and _is_blank(cells[middle_end - 1]):
            middle_end -= 1

    text_fields = layout.text_fields
    for field, cell in zip(text_fields, cells[1:middle_end]):
        fields[field] = [cell]
    middle = cells[1 + len(text_fields):middle_end]
    if middle and not _is_flag(middle[0]):
        fields["timing"] = [middle[0]]
        middle = middle[1:]
    flags, tail = _split_flags(middle, len(layout.effects))
    for field, cell in zip(_align_flags(flags, layout.effects), flags):
        if field is not None:
            fields[field] = [cell]
    leftovers.extend(_assign_tail(tail, fields))
    return fields, leftovers


def _split_flags(cells: list[str], wanted: int) -> tuple[list[str], list[str]]:
    """The leading run of flag cells (○ or empty) and the rest. Empty cells past the expected
    count are the empty support or budget cells that follow, so they go back to the rest."""
    run = 0
    while run < len(cells) and (_is_flag(cells[run]) or not cells[run].strip()):
        run += 1
    while run > wanted and not cells[run - 1].strip():
        run -= 1
    return cells[:run], cells[run:]


def _align_flags(flags: list[str], effects: tuple[str, ...]) -> tuple[str | None, ...]:
    """Effect names for a run of flag cells. A longer run carries split columns before the real
    ones (its marks sit next to the support cell), so it aligns right; a shorter run lost a column
    at the end and aligns left."""
    if len(flags) > len(effects):
        return (None,) * (len(flags) - len(effects)) + effects
    return effects[:len(flags)]


def _assign_tail(cells: list[str], fields: dict[str, list[str]]) -> list[str]:
    """Support, budget and reference-URL cells in that order; a 予算事業名 label or a URL
    identifies a cell wherever it sits, the rest fill the next free slot."""
    slots = ("support", "budget", "urls")
    pos = 0
    leftovers = []
    for cell in cells:
        if _is_budget(cell):
            fields["budget"] = [cell]
            pos = slots.index("budget") + 1
        elif cell_urls(cell):
            fields["urls"] = [cell]
            pos = slots.index("urls") + 1
        elif pos < len(slots):
            fields[slots[pos]] = [cell]
            pos += 1
        elif cell.strip():
            leftovers.append(cell)
    return leftovers


# --- turning cells into a record ---------------------------------------------------------------

def _plain(cells: list[str] | None) -> str | None:
    text = "\n".join(t for t in (cell_text(cell) for cell in cells or []) if t)
    return None if _is_blank(text) else text


def _prose(cells: list[str] | None) -> str | None:
    """Plain text lines, with the list items that PDF conversion ran together split onto lines of
    their own; a "-" bullet is list residue like <li> and is dropped, other marks are text."""
    lines = []
    for cell in cells or []:
        for line in cell_lines(cell):
            lines.extend(_DASH_MARK.sub("", item) for item in _INLINE_BULLET.split(line))
    text = "\n".join(lines)
    return None if _is_blank(text) else text


def _without_budget_label(line: str) -> str:
    """Drop a leading "<予算事業名>" or "<予算事業名[補助金名]>" label (the column name repeated)."""
    close = line.find(">")
    if line.startswith("<") and close > 0 and _BUDGET_LABEL in line[:close]:
        return line[close + 1:].strip()
    return line


def _without_trailing_title(text: str) -> str:
    """Drop a "(title)" that announces a following URL from the end of *text*."""
    text = text.rstrip()
    if not text.endswith(")"):
        return text
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            return text[:i].rstrip()
    return text


def _before_url(line: str) -> str:
    return line[:min(i for i in (line.find("http://"), line.find("https://")) if i >= 0)]


def _budget(cells: list[str] | None) -> str | None:
    """The programme name(s); reference lines that share the cell (a URL and its title) are left
    out, their URLs are collected with the reference URLs."""
    kept: list[str] = []
    for cell in cells or []:
        for i, line in enumerate(cell_lines(cell)):
            line = _without_budget_label(line)
            urls = text_urls(line)
            if urls:
                if i == 0:
                    kept.append(_without_trailing_title(_before_url(line)))
                break
            kept.append(line)
    text = "\n".join(line for line in kept if line)
    return None if _is_blank(text) else text


def _office_names(part: str) -> list[str]:
    """Names in one separator-free part: spaces split names only after a complete office name."""
    names, pending = [], ""
    for piece in part.split():
        pending += piece
        if pending.endswith(_OFFICE_ENDINGS):
            names.append(pending)
            pending = ""
    return names + [pending] if pending else names


def _ministries(cells: list[str] | None) -> list[MinistryRecord]:
    """Split a ministries cell: "◎総務省、経済産業省" → 総務省 (lead), 経済産業省; ◎ may mark several leads."""
    text = "、".join(cells or []).translate(_MINISTRY_SEPARATORS)
    names = [name for part in text.split("、") for name in _office_names(part)]
    return [MinistryRecord(name=name.lstrip(_LEAD_MARK), lead=name.startswith(_LEAD_MARK))
            for name in names if name.lstrip(_LEAD_MARK)]


def _measure(no: int, fields: dict[str, list[str]], source: Source) -> MeasureRecord:
    urls = [u for field in ("urls", "budget") for cell in fields.get(field, []) for u in cell_urls(cell)]
    return MeasureRecord(
        no=no,
        name=_plain(fields.get("name")) or "",
        source=source,
        code=_plain(fields.get("code")),
        kpi_progress=_plain(fields.get("kpi_progress")),
        kpi_effect=_plain(fields.get("kpi_effect")),
        overview=_prose(fields.get("overview")),
        pillar=_plain(fields.get("pillar")),
        timing=_plain(fields.get("timing")),
        effects={e: any(_is_flag(c) for c in fields.get(e, [])) for e in EFFECTS},
        support=_prose(fields.get("support")),
        budget_programme=_budget(fields.get("budget")),
        urls=list(dict.fromkeys(urls)),
        ministries=_ministries(fields.get("ministries")),
    )


# "クラウド導入市区町村数(令和5年度末までに約1,600団体、うち自治体クラウド導入団体は約1,100団体)": a KPI name and,
# in brackets, its target; "うち…" is a part of it, not the target.
# A cell that starts with its target ("令和5年度を目途に3割削減(平成27年度比…)") names no KPI: the measure's name does.
_TARGET_FIRST = re.compile(r"^(?:令和|平成|\d{4}年|\d)")
_MEASURE_SUFFIX = re.compile(r"(?:等)?の(?:削減|推進|導入推進|実施|促進)$")


def _target(text: str, source: Source) -> TargetRecord | None:
    """The target a catalogue cell states, or None when it states no figure, no deadline and no relative cut
    ("未設定(令和元年度に検討)" is left out: an unnamed cell is linked only through the figure it gives)."""
    try:
        p = parse(text, "target")
    except ValueError:  # ParseError, or an impossible date such as 令和0年度 (found by the damaged-documents fuzz test)
        return None
    if p.unset or (p.value is None and p.relative is None):
        return None
    return TargetRecord.from_parsed(text, source, p, deadline_precision=precision_of(text, p.deadline))


_RUNS_ON = re.compile(r"\s*[のをにがはでと]")


def _bracketed(text: str) -> list[tuple[str, str]] | None:
    """(name, bracket) of each 「name(bracket)」 a cell holds, top-level brackets only, in order ("研修開催回数(令和元年度に
    34回)推奨データセットとして定義したセット数(令和元年度に4セット)" → two); None when the brackets do not pair up.
    A bracket the sentence runs on from ("光ファイバ未整備世帯数(2017年度末時点で約98万世帯)の減少") is part of a name, not
    its target: it gives no pair."""
    out, depth, start, opened = [], 0, 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            if depth == 0:
                opened = i
            depth += 1
        elif ch == ")":
            if depth == 0:
                return None
            depth -= 1
            if depth == 0:
                if not _RUNS_ON.match(text, i + 1):
                    out.append((text[start:opened].strip(" 、,・"), text[opened + 1:i].strip()))
                start = i + 1
    return out if depth == 0 else None


# "約1,600団体、うち自治体クラウド導入団体は約1,100団体": the whole, and a part of it counted on its own
_SUB_PART = re.compile(r"[、,]\s*うち\s*(?P<label>[^、,()\d]{1,30}?)\s*(?:は|が|:)\s*(?P<value>.+)$")
_FIGURE = re.compile(r"\d")


def _sub_part(name: str, bracket: str, source: Source) -> tuple[str, KpiRecord | None]:
    """The bracket without its 「うち…」 part, and that part as a second measure of the KPI (its child, named
    「name：うちlabel」) with its own figure; a deadline printed before both is the part's too."""
    m = _SUB_PART.search(bracket)
    if not m:
        return bracket, None
    whole = bracket[:m.start()].strip()
    part = _target(m.group("value").strip(), source)
    if part is None or part.value is None:
        return whole, None
    head = _target(whole, source)
    if part.deadline is None and head is not None and head.deadline is not None:
        part.deadline, part.deadline_precision = head.deadline, head.deadline_precision
    part.text = bracket
    child = KpiRecord(name=f"{name}：うち{m.group('label').strip()}", source=source, unit=part.unit,
                      targets=[part], parent=name)
    return whole, child


def _paired(name: str, bracket: str) -> list[tuple[str, str]]:
    """"分野数、参加団体数(令和元年度までにデータ分野数10、参加団体数40)": as many names as figures, each name with its
    figure, the deadline printed before the first belonging to each; else the one name and its bracket."""
    names = [n.strip() for n in re.split(r"[、,]", name) if n.strip()]
    values = [v.strip() for v in re.split(r"[、,]", bracket) if v.strip()]
    if len(names) < 2 or len(names) != len(values) or not all(_FIGURE.search(v) for v in values):
        return [(name, bracket)]
    periods = find_periods(values[0])
    lead = values[0][:periods[0].end] if periods and periods[0].start == 0 else ""
    lead += "までに" if lead and values[0][len(lead):].startswith("までに") else ""
    return [(n, v if i == 0 or not lead or find_periods(v) else f"{lead}{v}") for i, (n, v) in enumerate(zip(names, values))]


def kpi_statements(measure: MeasureRecord) -> list[KpiRecord]:
    """The KPI statements of a measure's two KPI cells that give a target: each named KPI with its target in brackets
    (a cell may name several, each with its own figure and date), or a target alone, which is the KPI the measure's
    name is about (「…運用コスト等の削減」 → 「…運用コスト」). A 「うち…」 part of a target is a second measure."""
    out = []
    for cell in (measure.kpi_progress, measure.kpi_effect):
        text = (cell or "").strip()
        if not text:
            continue
        source = Source(line=measure.source.line, line_end=measure.source.line_end, text=text)
        if _TARGET_FIRST.match(text):
            pairs = [(_MEASURE_SUFFIX.sub("", measure.name.strip()), text)]
        else:
            pairs = [p for name, bracket in (_bracketed(text) or []) if name
                     for p in _paired(name, bracket)]
        for name, bracket in pairs:
            target_text, part = bracket, None
            if not _TARGET_FIRST.match(text):
                target_text, part = _sub_part(name, bracket, source)
            target = _target(target_text, source)
            if target is None or not name:
                continue
            out.append(KpiRecord(name=name, source=source, unit=target.unit, targets=[target],
                                 direction="down" if target.relative_kind == "cut" else None))
            if part is not None:
                out.append(part)
    return out


# --- the document -----------------------------------------------------------------------------

def matches(text: str) -> bool:
    """A 施策一覧 whose table header names both 施策名 and 国の施策番号."""
    if "施策一覧" not in text:
        return False
    for line in text.split("\n"):
        if line.lstrip().startswith("No"):
            folded = _fold(line)
            if "施策名" in folded and "国の施策番号" in folded:
                return True
    return False


def _title(line: str) -> str:
    title = line.lstrip("#").strip()
    head, _, rest = title.partition(" ")
    # A roman chapter numeral (Ⅲ) is numbering, not part of the title.
    numbered = rest and all(unicodedata.name(ch, "").startswith("ROMAN NUMERAL") for ch in head)
    return rest.strip() if numbered else title


def read(text: str) -> Extraction:
    lines = text.split("\n")
    ex = Extraction(family=FAMILY)
    pages: list[dict] = []
    by_anchors: list[int] = []
    layout = _DEFAULT_LAYOUT
    i = 0
    while i < len(lines):
        line_no, raw = i + 1, lines[i]
        cells = raw.split("\t")
        i += 1
        if not raw.strip():
            continue
        if raw.lstrip().startswith("#") and "施策一覧" in raw:
            ex.title = ex.title or _title(raw)
            continue
        if _is_header_start(cells):
            second = None
            if i < len(lines) and _is_header_continuation(lines[i].split("\t")):
                second = lines[i].split("\t")
                i += 1
            layout = _header_layout(line_no, cells, second)
            pages.append({"line": line_no, "columns": len(layout.columns),
                          "fields": [f or "" for f in layout.columns]})
            continue
        no = _row_no(cells)
        if no is None:
            ex.unplaced.append(Source(line=line_no, text=raw))
            continue
        fields = _fields_by_header(cells, layout)
        if fields is None:
            fields, leftovers = _fields_by_anchors(cells, layout)
            by_anchors.append(no)
            ex.unplaced.extend(Source(line=line_no, text=cell) for cell in leftovers)
        source = Source(line=line_no, line_end=line_no, text=raw[:_SOURCE_LIMIT])
        measure = _measure(no, fields, source)
        measure.kpi_statements = kpi_statements(measure)
        ex.measures.append(measure)
    ex.meta = {"pages": pages, "rows_read_by_anchors": by_anchors}
    return ex
