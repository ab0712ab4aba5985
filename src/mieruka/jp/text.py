"""Text clean-up shared by the Japanese parsers.
NFKC folding, repair of PDF line joins, HTML cell residue and 【再掲】-style markers on KPI names."""
from __future__ import annotations

import html
import re
import unicodedata

# NFKC would turn ① into "1"; in these documents a circled number is a list label, never a value.
_CIRCLED = "\u2460-\u2473\u3251-\u325f\u32b1-\u32bf"
_CIRCLED_SPLIT = re.compile(f"([{_CIRCLED}]+)")

# Characters that never take a space between them in Japanese prose; a space next to one of them
# in these files is a PDF line join or column padding.
_JA = "\u3000-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u25a0-\u25ff" + _CIRCLED
_JA_CHAR = f"[{_JA}]"
_GLUE = r"[\d%().,:;/\-+~〜]"  # digits and punctuation sit tight against Japanese text
_SPACE_AFTER_JA = re.compile(f"(?<={_JA_CHAR})\\s+(?=(?:{_JA_CHAR}|{_GLUE}))")
_SPACE_BEFORE_JA = re.compile(f"(?<={_GLUE})\\s+(?={_JA_CHAR})")
_WS = re.compile(r"\s+")
_TAG = re.compile(r"<[^<>]{0,200}>")

# Zero-width characters and bidirectional controls: invisible, yet they make two names that look the same
# differ, and a right-to-left override reorders what is shown after it.
INVISIBLE = ("\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
             "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0")
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# C0 and C1 controls but tab and newline: a terminal acts on them (BEL rings, ESC starts a command) and XML 1.0,
# so XLSX, cannot hold most of them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_invisible(s: str) -> str:
    """*s* without zero-width characters and bidirectional controls."""
    return _INVISIBLE.sub("", s)


def _picture(m: re.Match) -> str:
    code = ord(m.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␇ for BEL, ␛ for ESC: the control shown, not obeyed
    return "\u2421" if code == 0x7f else "\ufffd"


_HIDDEN = re.compile(f"[{INVISIBLE}\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(s: str) -> str:
    """*s* safe to show: invisible characters dropped, control characters (but tab and newline) shown as
    their Unicode control pictures, so nothing in a value can ring, move the cursor or reorder the line."""
    if not _HIDDEN.search(s):  # nearly every value: one scan, not two substitutions (pages print thousands)
        return s
    return _CONTROL.sub(_picture, _INVISIBLE.sub("", s))

_MARKER_WORDS = ("一部再掲", "再掲", "新規", "追加", "拡充", "変更", "修正", "改定", "参考",
                 "アウトプット指標", "アウトカム指標")
_MARKER = re.compile(r"\s*[【\[(〔<]\s*(" + "|".join(_MARKER_WORDS) + r")\s*[】\])〕>]\s*")
_LEADING = re.compile(
    f"^(?:[{_CIRCLED}]|[-・○●■□◆◇※]\\s*\\d{{1,2}}(?!\\d)|\\(\\d{{1,2}}\\)|\\d{{1,2}}[.)](?!\\d)|[-・○●■□◆◇※])\\s*"
)


def _nfkc(s: str) -> str:
    s = s.replace("\uff5e", "〜")  # full-width tilde is the Japanese range mark, not ASCII "~"
    parts = _CIRCLED_SPLIT.split(s)
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))


def normalise_text(s: str) -> str:
    """NFKC-fold *s*, collapse whitespace and drop the spaces that PDF extraction puts inside
    Japanese text ("設 定" → "設定"); spaces next to Latin words are kept."""
    if s is None:
        return ""
    s = _nfkc(strip_invisible(str(s)))
    s = s.replace("\u2212", "-").replace("\u2010", "-").replace("\u2011", "-")
    s = _WS.sub(" ", s).strip()
    s = _SPACE_AFTER_JA.sub("", s)
    s = _SPACE_BEFORE_JA.sub("", s)
    return s


def prepare_cell(s: str) -> str:
    """Normalised text of one table cell, with HTML tags and entities removed."""
    s = html.unescape(str(s))
    s = _TAG.sub(" ", s)
    s = normalise_text(s)
    # "2017年度未見込み" is an OCR slip for 年度末 seen in the reform-schedule tables.
    return re.sub(r"年度未(?=見込|時点|現在|実績|まで|に)", "年度末", s)


def strip_markers(name: str) -> tuple[str, list[str]]:
    """Split a KPI or measure name into its clean form and its markers.

    "①窓口業務のアウトソーシング【再掲】" → ("窓口業務のアウトソーシング", ["再掲"]).
    """
    s = normalise_text(html.unescape(str(name or "")))
    markers: list[str] = []

    def take(m: re.Match) -> str:
        if m.group(1) not in markers:
            markers.append(m.group(1))
        return " "

    s = _MARKER.sub(take, s)
    while True:
        stripped = _LEADING.sub("", s.strip(), count=1)
        if stripped == s.strip():
            break
        s = stripped
    return normalise_text(s).strip(" :・"), markers


# A spreadsheet opening a CSV file reads a cell that begins with one of these as a formula (=HYPERLINK(...),
# +cmd|...), and Excel keeps it live when the cell is edited: a document's text must never become one.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ...but "-12.5", "+3%" and "-1,234" are numbers, and a lone "-" (no answer in Japanese tables) is text.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?%?")


def formula_like(text: str) -> bool:
    """True when a spreadsheet would read *text* as a formula rather than as the text or number it is."""
    return text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text)
