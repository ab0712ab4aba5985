"""What a KPI page says about a KPI beyond its values: its definition as the documents print it and how often it is
measured, worked out from a KPI dict (storage.queries.kpi_rows) without touching the database."""
from __future__ import annotations

import re
from statistics import median

from mieruka.jp.text import prepare_cell

DEFINITION_CHARS = 400  # a printed row can run to a page of HTML cells: the page shows its start, the document the rest

# A document's 次回の把握時期 words that name how often the KPI is measured, the first match wins.
_CYCLE_WORDS = (
    ("monthly", re.compile(r"毎月|月次|月ごと")),
    ("quarterly", re.compile(r"四半期")),
    ("half_yearly", re.compile(r"半期|半年")),
    ("yearly", re.compile(r"毎年|年次|年1回|年一回|翌年度|翌年|年度ごと|年度の実績|年度実績|年度分|各年度|年度末実績")),
)
# months between two measurements -> the cycle they make (a measurement a month early or late is still on cycle)
_CYCLE_MONTHS = (("monthly", 1, 0), ("quarterly", 3, 1), ("half_yearly", 6, 1), ("yearly", 12, 2),
                 ("two_yearly", 24, 3))


def printed_row(text: str | None) -> str:
    """A row or cell as the document prints it, made readable: HTML and entities gone, cells split by ｜, cut."""
    cells = [prepare_cell(c) for c in (text or "").split("\t")]
    row = " ｜ ".join(c for c in cells if c and c not in ("-", "－"))
    return row if len(row) <= DEFINITION_CHARS else row[:DEFINITION_CHARS].rstrip() + "…"


def definitions(kpi: dict) -> list[dict]:
    """The KPI's rows as each document prints them ({"text", "source"}), one per document line, in the order
    the KPI appears; a row printed twice (the same item repeated) is given once, at its first place."""
    seen: set[str] = set()
    out = []
    for a in kpi.get("appearances", []):
        text = printed_row(a.get("text")) or printed_row(a.get("name"))
        if not text or text in seen:
            continue
        seen.add(text)
        out.append({"text": text, "source": a.get("source")})
    return out


def _months(d) -> int:
    return d.year * 12 + d.month


def update_cycle(kpi: dict) -> dict | None:
    """How often the KPI is measured: {"cycle": monthly|quarterly|half_yearly|yearly|two_yearly|irregular, "basis": "text" (the
    document's 次回の把握時期 says so, quoted with its source) or "observations" (the spacing of its dated actuals,
    "months" apart by the median), ...}; None when neither tells."""
    for a in kpi.get("appearances", []):
        said = a.get("next_measurement") or ""
        for cycle, words in _CYCLE_WORDS:
            if words.search(said):
                return {"cycle": cycle, "basis": "text", "text": said, "source": a.get("source")}
    dates = sorted({o["as_of"] for o in kpi.get("observations", [])
                    if o.get("as_of") and o.get("value") is not None and o.get("status") != "forecast"})
    if len(dates) < 2:
        return None
    gap = median(_months(b) - _months(a) for a, b in zip(dates, dates[1:]))
    cycle = next((name for name, months, slack in _CYCLE_MONTHS if abs(gap - months) <= slack), "irregular")
    return {"cycle": cycle, "basis": "observations", "months": round(gap), "count": len(dates)}
