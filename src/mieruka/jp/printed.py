"""Figures printed inside running text that the audit checks: a cut and the share it is said to be, a next measurement
timed after the year it measures, and a count printed with its parts, its list or a share of it (count_statements).
`fragments` gives the pieces of a text these read, which the bundled sample keeps in place of the document's sentences."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .dates import find_periods, fiscal_year_end
from .text import prepare_cell

# "1104億円の削減(2013年度比で29%減)", "894システムの減(62%減)": a cut, and the share of a base it is said to be.
CUT_SHARE = re.compile(r"(約)?(\d[\d,.]*)\s*(億円|百万円|万円|千円|円|システム|団体|件|人|時間)の(?:削減|減少?)\s*\(\s*"
                       r"(?:(\d{4})年度比で?)?\s*(約)?(\d+(?:\.\d+)?)\s*%\s*(?:の)?(?:削減|減)?\s*\)")
# A text without one of these prints no cut: CUT_SHARE needs の削減 or の減 once the text is prepared, and no other
# character NFKC folds into 減 (& for an HTML entity; tests/test_audit_text_counts.py checks every code point).
CUT_MARKS = "減&"
# 約 marking a figure as approximate (約1,000団体, 約６割, 約百): not the 約 of 集約化, 契約 or 条約, which the documents
# write in the same cells (evaluate.audit reads a cell's figures first, and this where none is the value)
APPROX_MARK = re.compile("約[0-9０-９一二三四五六七八九十百千万億]")
# "運用コストについては…": what the figures after it in its sentence are about
SUBJECT = re.compile(r"([^、。()]{1,30}?)については")

# "2017年度末実績は翌年度末に把握", "2016年度、2017年度実績については、翌年11月頃把握・公表": a time relative to
# the fiscal year whose figure it announces, which the readers leave undated.
_RELATIVE_DUE = re.compile(r"翌年度(?:末|中)?|翌年(\d{1,2})月")
_MEASURED = re.compile(r"公表|把握|集計|判明")
_NOT_FIGURE_YEAR = re.compile(r"まで|時点|現在|を目[途処]|めど")
# "2017年度末を目途に効果試算を整理": an after-the-fact indicator's figure is an estimate (試算) of the effect.
_ESTIMATE = re.compile(r"(?:頃|ごろ)?(?:を目[途処]に|をめどに|までに|中に|に)(?:効果)?試算")


def _relative_due(s: str) -> tuple[date, int, int] | None:
    """(due date, start, end of the words it rests on) of a time relative to the year measured, in prepared text."""
    m = _RELATIVE_DUE.search(s)
    if not m:
        return None
    measured = _MEASURED.search(s, m.end())
    if not measured:
        return None
    # the years of the figures: in the same sentence, not a deadline (…までに) or a point of estimate (…時点)
    sentence = s.rfind("。", 0, m.start()) + 1
    years = [p for p in find_periods(s) if p.kind == "fy" and sentence <= p.start and p.end <= m.start()
             and not _NOT_FIGURE_YEAR.match(s, p.end)]
    if not years:
        return None
    fy = min(p.year for p in years)
    due = date(fy + 1, int(m.group(1)), 1) if m.group(1) else fiscal_year_end(fy + 1)
    return due, years[0].start, measured.end()


def _estimate_due(s: str) -> tuple[date, int, int] | None:
    for p in find_periods(s):
        m = _ESTIMATE.match(s, p.end)
        if m:
            return p.point(), p.start, m.end()
    return None


def announced_due(text: str | None) -> date | None:
    """When a next measurement the reader left undated falls due: a time relative to the fiscal year it
    measures (the earliest year where the text names several), or the date of an announced estimate (試算)."""
    s = prepare_cell(text or "")
    found = _relative_due(s) or _estimate_due(s)
    return found[0] if found else None


def cut_subject(s: str, m: re.Match) -> re.Match | None:
    """The last 「…については」 before a cut in its sentence: what is cut."""
    head = s[:m.start()]
    sentence = head.rfind("。") + 1
    found = list(SUBJECT.finditer(head, sentence))
    return found[-1] if found else None


# -- counts: a figure printed with its parts, its list, or a part of it -------------------------------------------

_COUNTED = r"団体|市区町村|市町村|自治体|都道府県|府省庁|府省|省庁|機関|圏域|システム|手続|件|市町|市|町"
_FIGURE = r"(約)?(\d[\d,]*)"
# "550団体(平成26年4月1日現在、自治体クラウド211団体、単独クラウド339)": a total and, in brackets, its parts
_TOTAL = re.compile(_FIGURE + r"\s*(?:つの)?(" + _COUNTED + r")\s*\(([^()]{3,160})\)")
# "自治体クラウド211団体", "単独クラウド339": one part, a label without figures and a figure ending the segment
_PART = re.compile(r"(?P<label>[^\d()、]{1,20}?)\s*(?P<approx>約)?(?P<n>\d[\d,]*)\s*(?P<unit>" + _COUNTED + r")?")
# "6省庁(国家公安委員会・警察庁、金融庁、…)": a count and the names it counts
_NAME = re.compile(r"[^\d()、,]{1,24}")
# "23圏域のうち、15圏域", "約1,600団体、うち自治体クラウド導入団体は約1,100団体": a whole and a part of it
_OF_WHOLE = re.compile(_FIGURE + r"\s*(" + _COUNTED + r")(?:\([^()]{0,60}\))?(?:のうち|、うち)[、]?"
                       r"([^。\d()]{0,30}?)(約)?(\d[\d,]*)\s*(" + _COUNTED + r")")


# "クラウド化市区町村数が550団体(平成26年4月1日現在…)": what is counted, the count and the date printed with it
_SUBJECT_COUNT = re.compile(r"(?P<subject>[^、。()\s:]{2,30}?)(?:が|は|:)\s*(?P<approx>約)?(?P<n>\d[\d,]*)\s*"
                            r"(?P<unit>" + _COUNTED + r")(?:\s*\((?P<when>[^()]{4,60})\))?")


@dataclass(frozen=True)
class CountStatement:
    """One count printed with another way of counting the same thing, as read from a text.
    shape: parts (the total and its parts), list (a count and the names it counts), share (a whole and a part of it),
    sentences (the same thing counted for the same date in two sentences: total is the first count, counted the second)."""

    shape: str
    total: float
    unit: str
    counted: tuple  # the parts' figures, the names, (the part,) or (the second sentence's count,)
    approx: bool
    text: str  # the words it rests on, as prepared
    text2: str = ""  # sentences: the second sentence's words

    @property
    def agrees(self) -> bool:
        if self.shape == "list":
            return len(self.counted) == self.total
        tolerance = 0.05 if self.approx else 0.0
        if self.shape == "share":
            return self.counted[0] <= self.total * (1 + tolerance)
        if self.shape == "sentences":
            return abs(self.counted[0] - self.total) <= tolerance * max(self.total, self.counted[0])
        return abs(sum(self.counted) - self.total) <= tolerance * self.total


def _n(s: str) -> float:
    return float(s.replace(",", ""))


def _parts_or_list(m: re.Match) -> CountStatement | None:
    approx, total, unit, inside = bool(m.group(1)), _n(m.group(2)), m.group(3), m.group(4)
    if re.search(r"除く|含む|含め|以上|以下|程度|%|人口|万人", inside):
        return None  # an exclusion, a note or a second measure, not another count of the same thing
    segments = [x.strip() for x in inside.split("、") if x.strip()]
    if len(segments) == 1 and "・" not in segments[0]:
        return None  # one part, one date or one name (most brackets: 「255団体(2014年度)」) counts nothing twice
    parts, names, other = [], [], 0
    for seg in segments:
        p = _PART.fullmatch(seg)
        if p and (p.group("unit") in (None, unit)) and not find_periods(seg):
            parts.append(_n(p.group("n")))
            approx = approx or bool(p.group("approx"))
        elif find_periods(seg):
            other += 1  # the date of the count
        elif _NAME.fullmatch(seg):
            names.append(seg)
        else:
            return None
    if len(parts) >= 2 and not names:
        return CountStatement("parts", total, unit, tuple(parts), approx, m.group(0))
    if not parts and not other and not approx:
        if len(names) == 1 and "・" in names[0]:
            names = [x for x in names[0].split("・") if x]
        if len(names) >= 2:
            return CountStatement("list", total, unit, tuple(names), False, m.group(0))
    return None


def _dated_counts(s: str) -> list[tuple[int, tuple, re.Match]]:
    """(sentence number, (subject, unit, date), match) of each count printed with what it counts and, in the bracket
    after it or alone in its sentence, its date."""
    out = []
    for i, sentence in enumerate(s.split("。")):
        periods = None  # the sentence's own dates, read only for a count without a dated bracket (find_periods is slow)
        for m in _SUBJECT_COUNT.finditer(sentence):
            inside = find_periods(m.group("when")) if m.group("when") else []
            if not inside and periods is None:
                periods = find_periods(sentence)
            when = inside[0].point() if inside else (periods[0].point() if len(periods) == 1 else None)
            if when is not None:
                out.append((i, (m.group("subject"), m.group("unit"), when), m))
    return out


def _across_sentences(s: str) -> list[CountStatement]:
    """The same thing counted for the same date in two sentences of one text."""
    if "。" not in s:
        return []  # one sentence (most cells): nothing to count twice across sentences
    out = []
    first: dict = {}
    for i, key, m in _dated_counts(s):
        if key not in first:
            first[key] = (i, m)
            continue
        j, earlier = first[key]
        if j == i:
            continue
        out.append(CountStatement("sentences", _n(earlier.group("n")), key[1], (_n(m.group("n")),),
                                  bool(earlier.group("approx") or m.group("approx")), earlier.group(0), m.group(0)))
    return out


# A text none of whose characters is one of these counts nothing two ways: every shape count_statements reads needs
# 、 or ・ in a bracket (parts, a list), うち (a share) or 。 (two sentences) once the text is prepared, and these are
# every character NFKC folds into one of those, with & for an HTML entity (tests/test_audit_text_counts.py checks
# every code point). A national database prints a hundred thousand plain figures, 「312.4団体 (2014年度)」.
COUNT_MARKS = "、。・う︑︒﹑｡､･&"


def may_count_twice(text: str) -> bool:
    """False when count_statements(text) is surely empty (no COUNT_MARKS character), without preparing the text."""
    return any(c in text for c in COUNT_MARKS)


def count_statements(text: str | None) -> list[CountStatement]:
    """Every count in a text printed together with another way of counting it."""
    s = prepare_cell(text or "")
    if not re.search(r"\d", s):
        return []
    out = []
    for m in _TOTAL.finditer(s):
        found = _parts_or_list(m)
        if found:
            out.append(found)
    for m in _OF_WHOLE.finditer(s):
        if m.group(3) != m.group(7):
            continue
        out.append(CountStatement("share", _n(m.group(2)), m.group(3), (_n(m.group(6)),),
                                  bool(m.group(1) or m.group(5)), m.group(0)))
    return out + _across_sentences(s)


def fragments(text: str | None) -> list[str]:
    """The pieces of a text the audit reads (a cut with its subject, a next measurement's timing, a count stated two
    ways), each as the prepared words it rests on, in the order they appear: what the bundled sample keeps."""
    s = prepare_cell(text or "")
    found: list[tuple[int, str]] = []
    for m in CUT_SHARE.finditer(s):
        subject = cut_subject(s, m)
        found.append((m.start(), f"{subject.group(0)}…{m.group(0)}" if subject else m.group(0)))
    due = _relative_due(s) or _estimate_due(s)
    if due:
        found.append((due[1], s[due[1]:due[2]]))
    for c in count_statements(s):
        found.append((s.find(c.text), c.text))
        if c.text2:
            found.append((s.find(c.text2, s.find(c.text) + 1), c.text2))
    return [f for _, f in sorted(found)]


def readings(text: str | None) -> tuple:
    """What the audit reads in a text: the next measurement's due date, each cut with its share and subject, each count
    stated two ways. Two texts with equal readings give the audit the same facts."""
    s = prepare_cell(text or "")
    cuts = []
    for m in CUT_SHARE.finditer(s):
        subject = cut_subject(s, m)
        cuts.append((m.group(0), subject.group(1).strip() if subject else None))
    counts = [(c.shape, c.total, c.unit, c.counted, c.approx) for c in count_statements(s)]
    return announced_due(s), cuts, counts
