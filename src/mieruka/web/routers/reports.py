"""The printable reports (mieruka.publish) where they belong: an edition's KPI status table on its document page,
a policy sheet's indicator table on the policy's document page, and the indicator sheet on a KPI's page.
A report is made once per data version and kept; PDFs are printed one at a time, so no request sizes the load."""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, Response

from mieruka.publish import reports
from mieruka.publish.render import PdfUnavailable
from mieruka.publish.sources import UnknownReportSource
from mieruka.storage import change_token
from mieruka.storage.publishing import kpi_status_rows
from mieruka.web.guards import error_response
from mieruka.web.i18n import pick_lang
from mieruka.web.pages import DbSession

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "reports"
MESSAGES = TEMPLATES / "messages.toml"

_KEEP = 64  # reports kept in memory (each a few hundred kB at most)
_cache: OrderedDict[tuple, reports.Report] = OrderedDict()
_cache_lock = threading.Lock()
_pdf_lock = threading.Lock()  # one Chromium at a time
# A table's rows as read for its first format and language, for the others (publish asks for four: HTML and XLSX in
# Japanese and English, each reading every KPI of the edition again): (database, change token, document) → rows
_rows: OrderedDict[tuple, list[dict]] = OrderedDict()
_ROWS_KEPT = 4


def _made(key: tuple, make) -> reports.Report:
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    if key[-1] == "pdf":
        with _pdf_lock:
            report = make()
    else:
        report = make()
    with _cache_lock:
        _cache[key] = report
        while len(_cache) > _KEEP:
            _cache.popitem(last=False)
    return report


def _respond(request: Request, session, kind: str, wanted, fmt: str, make, token: str | None = None) -> Response:
    """make(lang) → the report in the page's language (?lang=en: English headings, notes and dates)."""
    lang = pick_lang(request.query_params.get("lang"))
    if fmt not in reports.FORMATS:
        # answered here, in the page's language: the listing holds the other language's names too
        return error_response(request, 404, (f"レポートの形式「{fmt}」はありません。ある形式" if lang == "ja" else
                                             f"no report format {fmt!r}. Formats there are")
                              + f": {('、' if lang == 'ja' else ', ').join(reports.FORMATS)}")
    # any write committed since (a KPI renamed, a round published) makes a new token: a report is never older than
    # the data; no token (an in-memory database), nothing kept
    token = token or change_token(request.app.state.read_url)
    key = (request.app.state.read_url, token, kind, str(wanted), request.query_params.get("computed"), lang, fmt)
    try:
        report = make(lang) if token is None else _made(key, lambda: make(lang))
    except UnknownReportSource as exc:
        return error_response(request, 404, exc.ja if lang == "ja" else exc.en, listing=exc.listing)
    except PdfUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(report.content, media_type=report.media_type, headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(report.file_name)}"})


@router.get("/documents/{document_id}/kpi-table.{fmt}")
def kpi_table(request: Request, document_id: int, fmt: str, session: DbSession, computed: str | None = None):
    """The KPI status table (KPIの状況) of a reform-schedule document; ?computed=SCHEME adds mieruka's rating."""
    # one token for the rows and the report made of them: a write between two readings would keep a report made from
    # the older rows under the newer token
    token = change_token(request.app.state.read_url)

    def status_rows(session, document_id: int) -> list[dict]:
        if token is None:
            return kpi_status_rows(session, document_id)
        key = (request.app.state.read_url, token, document_id)
        with _cache_lock:
            if key in _rows:
                return _rows[key]
        rows = kpi_status_rows(session, document_id)
        with _cache_lock:
            _rows[key] = rows
            while len(_rows) > _ROWS_KEPT:
                _rows.popitem(last=False)
        return rows

    return _respond(request, session, "kpi-table", document_id, fmt,
                    lambda lang: reports.kpi_table_report(session, document_id, fmt, computed_scheme=computed, lang=lang,
                                                          status_rows=status_rows), token)


@router.get("/documents/{document_id}/policy-table.{fmt}")
def policy_table(request: Request, document_id: int, fmt: str, session: DbSession):
    return _respond(request, session, "policy", document_id, fmt,
                    lambda lang: reports.policy_report(session, str(document_id), fmt, lang=lang))


@router.get("/kpis/{kpi_id}/sheet.{fmt}")
def kpi_sheet(request: Request, kpi_id: int, fmt: str, session: DbSession):
    return _respond(request, session, "kpi-sheet", kpi_id, fmt,
                    lambda lang: reports.kpi_sheet_report(session, str(kpi_id), fmt, lang=lang))
