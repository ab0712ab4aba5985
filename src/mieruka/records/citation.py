"""How a cited source is named for people: the document's title and date in the reader's language, never only its
file name (the file name stays an identifier: in its own column, on hover, on the document page)."""
from __future__ import annotations

import re
from datetime import date
from typing import Callable

from mieruka.jp import format_date_ja

# A label: storage.queries.document_labels' entry {title, date, date_is_data, file_name, family}.
Label = dict


def document_name(label: Label | None, file_name: str | None = None, lang: str = "ja") -> str:
    """「title」 and its date: 「主要な政策に係る評価書(平成30年度実施政策)」2019-08-01（令和元年8月1日）; a document
    dated only by its figures says so (…時点の数値 / figures as of …). No title: the file name, the only name known."""
    label = label or {}
    title = label.get("title")
    when: date | None = label.get("date")
    by_data = bool(label.get("date_is_data"))
    if lang == "en":
        name = f"“{title}”" if title else (label.get("file_name") or file_name or "?")
        if when:
            name += f" ({'figures as of ' if by_data else ''}{when.isoformat()})"
        return name
    name = f"「{title}」" if title else (label.get("file_name") or file_name or "?")
    if when:
        name += format_date_ja(when) + ("時点の数値" if by_data else "")
    return name


def place(label: Label | None, file_name: str | None, line: int | None, lang: str = "ja") -> str:
    """A cited line by its document's name: 「…」2017-10-01（平成29年10月1日）時点の数値、12行目 / …, line 12."""
    name = document_name(label, file_name, lang)
    if not line:
        return name
    return f"{name}, line {line}" if lang == "en" else f"{name}、{line}行目"


# How the audit (evaluate.explain.at / at_en) cites a line in its messages: "<file> 12行" and "<file> line 12".
_LINE_JA = r"(?: (\d+)行(?:目)?)?"
_LINE_EN = r"(?: line (\d+))?"


def cited_places(text: str, labels: dict[str, Label], lang: str = "ja") -> list[tuple[int, int, str, str]]:
    """(start, end, file name, the place by name) of each document the text cites by file name (labels keyed by file
    name, as export.shapes.labels_by_file gives them); longest names first, so "a.txt" never matches in "aa.txt"."""
    names = sorted((n for n in labels if n), key=len, reverse=True)
    if not names or not text:
        return []
    line = _LINE_EN if lang == "en" else _LINE_JA
    pattern = re.compile("(" + "|".join(map(re.escape, names)) + ")" + line)
    return [(m.start(), m.end(), m.group(1),
             place(labels[m.group(1)], m.group(1), int(m.group(2)) if m.group(2) else None, lang))
            for m in pattern.finditer(text)]


def named_sources(text: str | None, labels: dict[str, Label], lang: str = "ja",
                  mark: Callable[[str, str], str] | None = None, plain: Callable[[str], str] | None = None) -> str:
    """The text with every document it cites by file name named by title and date instead (an audit finding's
    message: 「000_….txt 12行の区分はB」 → 「「改革工程表の進捗状況（…）」2017-10-01（…）時点の数値、12行目の区分はB」).
    mark(name, file name) wraps each name (a page puts the file name on hover), plain(text) each stretch between."""
    return namer(labels, lang, mark, plain)(text)


def namer(labels: dict[str, Label], lang: str = "ja", mark: Callable[[str, str], str] | None = None,
          plain: Callable[[str], str] | None = None) -> Callable[[str | None], str]:
    """named_sources(text, labels, lang, mark, plain) as a function of the text, for many texts over the same labels:
    the pattern of every file name is made once and each cited line named once (an audit of a national database cites
    a million lines, most of them the same few)."""
    names = sorted((n for n in labels if n), key=len, reverse=True)
    pattern = re.compile("(" + "|".join(map(re.escape, names)) + ")" + (_LINE_EN if lang == "en" else _LINE_JA)) \
        if names else None
    places: dict = {}

    def named(m: re.Match) -> str:
        return name_of(m.group(1), m.group(2))

    def name_of(file_name: str, line: str | None) -> str:
        got = places.get((file_name, line))  # each file and line named once
        if got is None:
            got = place(labels[file_name], file_name, int(line) if line else None, lang)
            got = places[(file_name, line)] = mark(got, file_name) if mark else got
        return got

    if plain is None:
        def name_all(text: str | None) -> str:
            if text is None:
                return ""
            if pattern is None:
                return text
            # split gives the stretches between matches with each match's (file, line) between them: no call per match
            parts = pattern.split(text)
            for i in range(1, len(parts), 3):
                parts[i], parts[i + 1] = name_of(parts[i], parts[i + 1]), ""
            return "".join(parts)
        return name_all

    def name(text: str | None) -> str:
        if text is None:
            return ""
        out, at = [], 0
        for m in (pattern.finditer(text) if pattern is not None else ()):
            out += [plain(text[at:m.start()]), named(m)]
            at = m.end()
        out.append(plain(text[at:]))
        return "".join(out)

    return name
