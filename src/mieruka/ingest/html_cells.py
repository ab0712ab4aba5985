"""Plain text and links from table cells that carry HTML fragments (<ul><li>, <p>, <br>, <a>, &lt; …).
Pure helpers for any reader: known formatting tags become line breaks, anything else stays text as written."""
from __future__ import annotations

import html
from html.parser import HTMLParser

# Tags that end a line of text; every other known tag only formats text inside a line.
_BLOCK_TAGS = frozenset({"p", "br", "ul", "ol", "li", "div", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6"})
_INLINE_TAGS = frozenset({"a", "span", "b", "i", "u", "em", "strong", "sup", "sub", "font", "td", "th"})

_URL_SCHEMES = ("https://", "http://")
_URL_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&*+,;=%"
)
# A token that continues a wrapped URL must look like a path piece, not like a word of prose.
_PATH_MARKS = frozenset("/._#?=")


def _url_at(token: str) -> tuple[str, bool] | None:
    """The URL starting inside *token*, and whether it runs to the token's end."""
    starts = [i for i in (token.find(s) for s in _URL_SCHEMES) if i >= 0]
    if not starts:
        return None
    start = min(starts)
    end = start
    while end < len(token) and token[end] in _URL_CHARS:
        end += 1
    return token[start:end], end == len(token)


def _continues_url(token: str) -> bool:
    return (
        not token.startswith(_URL_SCHEMES)
        and all(ch in _URL_CHARS for ch in token)
        and any(ch in _PATH_MARKS for ch in token)
    )


def text_urls(text: str) -> list[str]:
    """http(s) URLs written in plain text. PDF extraction wraps long URLs with a space
    ("…/main_sosiki/jo ho_tsusin/…"), so a following path-like token is joined back on."""
    tokens = text.split()
    urls: list[str] = []
    i = 0
    while i < len(tokens):
        found = _url_at(tokens[i])
        i += 1
        if not found:
            continue
        url, open_ended = found
        while open_ended and i < len(tokens) and _continues_url(tokens[i]):
            url += tokens[i]
            i += 1
        urls.append(url.rstrip(".,;"))
    return urls


class _CellParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[list[str]] = [[]]
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.lines.append([])
        elif tag in _INLINE_TAGS:
            if tag == "a":
                self.urls.extend(v for k, v in attrs if k == "href" and v and v.startswith(_URL_SCHEMES))
        else:
            # "<予算事業名>" style labels and stray angle brackets are text, not markup.
            self.lines[-1].append(html.unescape(self.get_starttag_text() or ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.lines.append([])
        elif tag not in _INLINE_TAGS:
            self.lines[-1].append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.lines[-1].append(data)
        self.urls.extend(text_urls(data))

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        """Word's <![if …]> and <![endif]> are dropped as before; a "<![" that opens no known section
        ("<![<p>", "<![x") makes the standard parser raise AssertionError, so it stays text as written."""
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            self.handle_data("<![")
            return i + 3


def _parse(cell: str) -> _CellParser:
    parser = _CellParser()
    parser.feed(cell)
    parser.close()
    return parser


def cell_lines(cell: str | None) -> list[str]:
    """The cell's text split at block tags, entities decoded, whitespace collapsed, empty lines dropped."""
    if not cell:
        return []
    lines = (" ".join("".join(parts).split()) for parts in _parse(cell).lines)
    return [line for line in lines if line]


def cell_text(cell: str | None) -> str:
    """The cell's plain text, one line per list item or paragraph, joined by newlines."""
    return "\n".join(cell_lines(cell))


def cell_urls(cell: str | None) -> list[str]:
    """Every http(s) URL in the cell, from <a href> and from the text, decoded, first occurrence first."""
    if not cell:
        return []
    return list(dict.fromkeys(_parse(cell).urls))
