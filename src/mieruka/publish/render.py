"""Print HTML from the publish templates (one stylesheet, inlined, no script), and PDF by printing that HTML with
Debian's Chromium through Playwright: the browser the tests already drive, with fonts-noto-cjk embedded as real text."""
from __future__ import annotations

import os
import tomllib
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import re

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup, escape

from mieruka.jp import format_date_ja, format_period_en, format_period_ja, visible

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHROMIUM = os.environ.get("MIERUKA_CHROMIUM", "/usr/bin/chromium")
_CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
_JST = ZoneInfo("Asia/Tokyo")


class PdfUnavailable(RuntimeError):
    """Chromium (or Playwright) is missing: say how to install it."""


def date_ja(d: date | None) -> str:
    return "" if d is None else format_date_ja(d)


def generated_at(at: datetime | None = None) -> str:
    local = (at or datetime.now(timezone.utc)).astimezone(_JST)
    return f"{format_date_ja(local.date())} {local:%H:%M}"


def _shown(value):
    """What a printed page shows of a value: control characters as their pictures, zero-width and bidirectional
    controls dropped (as the web pages do: web/pages.py)."""
    if isinstance(value, Markup):
        return Markup(visible(str(value)))
    return visible(value) if isinstance(value, str) else value


_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True, finalize=_shown)
_env.filters["date_ja"] = date_ja
_QUOTED_TITLE = re.compile(r"“([^”]*)”")


@pass_context
def _data(ctx, value):
    """On an English report, the documents' own Japanese text (names, values as written) marked lang="ja": a reader
    and a screen reader know it is quoted data, not the report's words."""
    if ctx.get("lang") != "en" or value is None or value == "":
        return value
    return Markup('<span lang="ja">') + escape(value) + Markup("</span>")


@pass_context
def _titles(ctx, value):
    """A source line in English, “title” (date): each quoted title marked as the document's own Japanese."""
    if ctx.get("lang") != "en" or not value:
        return value
    return Markup(_QUOTED_TITLE.sub(lambda m: f'“<span lang="ja">{m[1]}</span>”', str(escape(value))))


_env.filters["data"] = _data
_env.filters["titles"] = _titles


LANGS = ("ja", "en")
CATALOGUE = TEMPLATES / "i18n" / "messages.toml"


@lru_cache(maxsize=None)
def _messages() -> dict[str, dict[str, str]]:
    with CATALOGUE.open("rb") as f:
        tables = tomllib.load(f)
    return {f"{group}.{key}": texts for group, keys in tables.items() for key, texts in keys.items()}


def translator(lang: str):
    """t("kpi_table.title") → the report's word in lang (Japanese when lang is not known); fields filled by name."""
    lang = lang if lang in LANGS else "ja"
    catalogue = _messages()

    def t(key: str, **fields) -> str:
        texts = catalogue[key]
        text = texts.get(lang) or texts["ja"]
        return text.format(**fields) if fields else text
    return t


def stamp(at: datetime | None, lang: str = "ja") -> str:
    """When a report was made: Japan time with 和暦 in Japanese, UTC in English."""
    if lang == "en":
        return (at or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return generated_at(at)


def date_in(d: date | None, lang: str = "ja", precision: str | None = None) -> str:
    """A date as the report's language writes it: 2016-12-21（平成28年12月21日）, or 2016-12-21 in English; one the
    document gave only to the month or 年度 no more precisely (precision "fiscal_year" is the 年度 a value is for,
    "fiscal_year_end" its end: see kpi_table.point_precision)."""
    if d is None:
        return ""
    if precision in ("fiscal_year", "fiscal_year_end", "month", "year"):
        end = precision == "fiscal_year_end" if precision.startswith("fiscal") else None
        kind = "fiscal_year" if precision.startswith("fiscal") else precision
        return format_period_en(d, kind, end) if lang == "en" else format_period_ja(d, kind, end)
    return d.isoformat() if lang == "en" else format_date_ja(d)


def render_html(template: str, *, title: str, source: str, notes: list[str] | None = None,
                at: datetime | None = None, lang: str = "ja", **context) -> str:
    css = (TEMPLATES / "print.css").read_text(encoding="utf-8")
    return _env.get_template(template).render(title=title, source=source, notes=notes or [], css=css,
                                              generated=stamp(at, lang), lang=lang, t=translator(lang),
                                              date_in=date_in, **context)


class PdfPrinter:
    """One Chromium kept open for many PDFs (the static site prints every report): `with PdfPrinter() as p:
    p.print(html)`. Playwright's sync API runs on a thread of its own, so a caller inside an event loop (a test
    already driving a browser, a server) can print too."""

    def __enter__(self) -> "PdfPrinter":
        if not Path(CHROMIUM).exists():
            raise PdfUnavailable(f"Chromium not found at {CHROMIUM}: run `make browser` (Debian package chromium "
                                 "and fonts-noto-cjk), or set MIERUKA_CHROMIUM / PDFの作成にはChromiumが必要です")
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mieruka-pdf")
        try:
            self._thread.submit(self._start).result()
        except BaseException:
            self._thread.shutdown()
            raise
        return self

    def _start(self) -> None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as e:  # pragma: no cover - playwright is a dependency
            raise PdfUnavailable("the Python package playwright is not installed: pip install playwright") from e
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=_CHROMIUM_ARGS)
        except Exception:
            self._playwright.stop()
            raise

    def _print(self, html: str) -> bytes:
        page = self._browser.new_page()
        try:
            # Nothing outside the document is fetched: the HTML carries its stylesheet and SVG inline.
            page.route("**/*", lambda route: route.abort())
            page.set_content(html, wait_until="load")
            return page.pdf(prefer_css_page_size=True, print_background=True)
        finally:
            page.close()

    def print(self, html: str) -> bytes:
        """The HTML as PDF with the page size, margins and page numbers its CSS @page asks for."""
        return self._thread.submit(self._print, html).result()

    def _stop(self) -> None:
        self._browser.close()
        self._playwright.stop()

    def __exit__(self, *exc) -> None:
        try:
            self._thread.submit(self._stop).result()
        finally:
            self._thread.shutdown()


def html_to_pdf(html: str) -> bytes:
    with PdfPrinter() as printer:
        return printer.print(html)
