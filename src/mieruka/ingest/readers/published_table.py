"""mieruka's own KPI status table (KPIの状況) as `mieruka report kpi-table --format pdf` prints it: recognised by the
note the table carries, its ruled tables turned into the tab-separated rows its XLSX gives, which the reform-schedule
reader reads. So a published PDF ingests back into the same KPIs, values, dates and ratings (the round trip)."""
from __future__ import annotations

import re
import unicodedata

# The note every published KPI status table ends with (publish.kpi_table.NOTES uses this very sentence).
SIGNATURE = "区分は文書が公表したもの。"
_HEADER_MARK = "実績値（時点）"
_AS_OF_LINE = re.compile(r"^時点 \d{4}-\d{2}-\d{2}")
_PAGE_NUMBER = re.compile(r"^\d+ / \d+$")
_ASCII_WORD = re.compile(r"[0-9A-Za-z]")
# CJK Radicals Supplement forms NFKC leaves alone, as Chromium's fonts map them, and the kanji printed
_RADICALS = dict(zip("⺟⺠⻄⻑⻘⻝⻤⻩⻲⻭⻯⻆", "母民西長青食鬼黄亀歯竜角"))


def fold(text: str) -> str:
    """Chromium's ToUnicode maps some kanji to their Kangxi radical forms (⽬ for 目, ⺠ for 民) and ・ to ‧ (U+2027): give back
    the characters printed. Nothing else is changed (full-width brackets stay as the table wrote them)."""
    return "".join(_RADICALS.get(ch, ch) if "\u2e80" <= ch < "\u2f00" else unicodedata.normalize("NFKC", ch)
                   if "\u2f00" <= ch <= "\u2fdf" else "・" if ch == "\u2027" else ch for ch in text)


def is_published_table(text: str) -> bool:
    """The extracted text of a PDF is mieruka's own KPI status table."""
    flat = fold(text).replace("\n", "")
    return SIGNATURE in flat and _HEADER_MARK in flat


def _join(lines: list[str]) -> str:
    """A wrapped cell's lines as one: Japanese wraps join without a space, a word wrapped between Latin letters or
    digits with one; the point in time printed under an actual follows it after ／, as in the XLSX."""
    out = ""
    for line in (x.strip() for x in lines):
        if not line:
            continue
        if not out:
            out = line
        elif _AS_OF_LINE.match(line):
            out += " ／ " + line
        elif _ASCII_WORD.match(out[-1]) and _ASCII_WORD.match(line[0]):
            out += " " + line
        else:
            out += line
    return out


def _cell(value) -> str:
    return "" if value is None else re.sub(r"[\t]", " ", _join(fold(str(value)).split("\n")))


def _table_lines(rows: list[list]) -> list[str]:
    """The header's two rows (KPI | 目標値 | KPIの進捗 over 実績値 | 区分 | 次回…) as the XLSX's one, then each row."""
    rows = [[_cell(c) for c in r] for r in rows]
    if len(rows) >= 2 and rows[0] and rows[0][0] == "KPI" and not rows[1][0]:
        top, under = rows[0], rows[1]
        header = [u or (t if t != "KPIの進捗" else "") for t, u in zip(top, under)]
        rows = [header] + rows[2:]
    lines = []
    for r in rows:
        while r and not r[-1]:
            r = r[:-1]
        lines.append("\t".join(r))
    return lines + [""]  # a blank line ends the table, as in the XLSX


def pdf_lines(pdf) -> list[str]:
    """Every page of an open pdfplumber PDF top to bottom: each text line outside the tables as it is, each ruled
    table as tab-separated rows where it stands; page numbers (n / m) left out."""
    out: list[str] = []
    for page in pdf.pages:
        tables = page.find_tables()
        placed: list[tuple[float, int, list[str]]] = [(t.bbox[1], 0, _table_lines(t.extract())) for t in tables]
        for line in page.extract_text_lines():
            middle = (line["top"] + line["bottom"]) / 2
            if any(t.bbox[1] <= middle <= t.bbox[3] and t.bbox[0] <= line["x0"] <= t.bbox[2] for t in tables):
                continue
            text = fold(line["text"]).strip()
            if text and not _PAGE_NUMBER.match(text):
                placed.append((line["top"], 1, [text]))
        for _top, _kind, lines in sorted(placed, key=lambda p: (p[0], p[1])):
            out.extend(lines)
        page.close()
    return out
