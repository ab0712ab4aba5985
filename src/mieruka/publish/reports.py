"""Each report in each format from the database: what `mieruka report` writes and the web pages offer for download.
A report is bytes with a file name and a media type; an unknown edition, policy or KPI raises UnknownReportSource."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from mieruka.publish import kpi_sheet, kpi_table, policy_table
from mieruka.publish.render import LANGS, html_to_pdf
from mieruka.publish.sources import (UnknownReportSource, document_source, resolve_edition, resolve_kpi,
                                     resolve_policy)
from mieruka.storage.overview import schemes_in_use
from mieruka.storage.publishing import kpi_status_rows, policy_indicator_rows, report_sources
from mieruka.storage.queries import kpi_rows

FORMATS = ("html", "pdf", "xlsx")
MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass
class Report:
    content: bytes
    file_name: str
    media_type: str


class UnknownFormat(ValueError):
    pass


def _check(fmt: str, lang: str = "ja") -> None:
    if fmt not in FORMATS:
        raise UnknownFormat(f"unknown format '{fmt}' / 形式「{fmt}」は使えません: {', '.join(FORMATS)}")
    if lang not in LANGS:
        raise UnknownFormat(f"unknown language '{lang}' / 言語「{lang}」は使えません: {', '.join(LANGS)}")


def _stem(stem: str, lang: str) -> str:
    return stem + ("-en" if lang == "en" else "")


def _out(fmt: str, stem: str, html: str | None, xlsx) -> Report:
    if fmt == "xlsx":
        return Report(xlsx(), f"{stem}.xlsx", MEDIA[fmt])
    if fmt == "pdf":
        return Report(html_to_pdf(html), f"{stem}.pdf", MEDIA[fmt])
    return Report(html.encode("utf-8"), f"{stem}.html", MEDIA[fmt])


def kpi_table_report(session: Session, edition: str | int, fmt: str, computed_scheme: str | None = None,
                     at: datetime | None = None, lang: str = "ja",
                     status_rows: Callable[[Session, int], list[dict]] = kpi_status_rows) -> Report:
    """The KPI status table of an edition (by year, id or name; a str) or of one document (by its id; an int), in
    Japanese (the reform schedule's own words) or English (lang="en": the headings, notes and dates; the document's
    text stays as written). status_rows reads the table's rows (storage.publishing.kpi_status_rows, or what keeps
    them for the other formats and language)."""
    _check(fmt, lang)
    if computed_scheme is not None and computed_scheme not in (schemes := schemes_in_use(session)):
        raise UnknownReportSource(f"no ratings under scheme '{computed_scheme}'. Schemes there are",
                                  f"評価方式「{computed_scheme}」の評価はありません。ある評価方式",
                                  f"  {', '.join(schemes) or '(none)'}")
    sources = report_sources(session)
    source = document_source(sources, edition) if isinstance(edition, int) else resolve_edition(sources, edition)
    table = kpi_table.build_kpi_status_table(source, status_rows(session, source.document_id), computed_scheme,
                                             lang)
    stem = _stem(f"kpi-table-{source.document_id}", lang)
    html = None if fmt == "xlsx" else kpi_table.to_html(table, at)
    return _out(fmt, stem, html, lambda: kpi_table.to_xlsx(table))


def policy_report(session: Session, policy: str, fmt: str, at: datetime | None = None, lang: str = "ja") -> Report:
    """A policy evaluation sheet's indicator table, in Japanese (the sheet's own words) or English (the headings,
    legend and dates; the indicators' names and values stay as the sheet writes them)."""
    _check(fmt, lang)
    chosen = resolve_policy(report_sources(session), policy)
    table = policy_table.build_policy_table(chosen, policy_indicator_rows(session, chosen["document_id"]), lang)
    html = None if fmt == "xlsx" else policy_table.to_html(table, at)
    return _out(fmt, _stem(f"policy-{chosen['document_id']}", lang), html, lambda: policy_table.to_xlsx(table))


def kpi_sheet_report(session: Session, kpi: str, fmt: str, at: datetime | None = None, lang: str = "ja") -> Report:
    _check(fmt, lang)
    wanted = str(kpi).strip()
    # by id, the one KPI is read (a sheet per KPI of a large database must not read them all); else all, to match
    by_id = kpi_rows(session, [int(wanted)]) if wanted.isascii() and wanted.isdigit() and len(wanted) < 12 else []
    chosen = by_id[0] if by_id else resolve_kpi(kpi_rows(session), kpi)
    return kpi_sheet_of(chosen, fmt, at, lang)


def kpi_sheet_of(kpi: dict, fmt: str, at: datetime | None = None, lang: str = "ja") -> Report:
    """The indicator sheet of a KPI already read (storage.queries.kpi_rows): many at once for mieruka publish."""
    _check(fmt, lang)
    sheet = kpi_sheet.build_kpi_sheet(kpi, lang)
    html = None if fmt == "xlsx" else kpi_sheet.to_html(sheet, at)
    return _out(fmt, _stem(f"kpi-{kpi['id']}", lang), html, lambda: kpi_sheet.to_xlsx(sheet))
