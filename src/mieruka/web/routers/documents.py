"""Document pages: what was ingested with its report, and one document's text with a #L<line> anchor per line
(where provenance links land); a document loaded from the bundled sample shows its extracted facts instead."""
from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request, Response

from mieruka.storage.overview import document_detail
from mieruka.storage.queries import document_original, document_rows
from mieruka.web.guards import RequestRefused, path_id
from mieruka.web.listings import DOCUMENT_COLUMNS, document_flat
from mieruka.web.pages import DbSession, Lang, download_response, render
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/documents", "nav.documents", 60)]
DocumentId = path_id("document")


@router.get("/documents.{fmt}")
def document_download(fmt: str, session: DbSession, lang: Lang):
    return download_response([document_flat(d) for d in document_rows(session)], fmt, "documents", DOCUMENT_COLUMNS, lang=lang)


@router.get("/documents")
def document_list(request: Request, session: DbSession, lang: Lang):
    return render(request, "documents.html", {"documents": document_rows(session)})


@router.get("/documents/{document_id}")
def document_page(request: Request, document_id: DocumentId, session: DbSession, lang: Lang):
    doc = document_detail(session, document_id)
    if doc is None:
        raise RequestRefused(404, "no_document", id=document_id)
    return render(request, "document.html", {"doc": doc})


# Media types a browser may render as a page or run as a script: such originals go out as plain bytes.
_ACTIVE_TYPES = {"text/xml", "application/xml", "image/svg+xml"}
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*")


def download_media_type(stored: str | None) -> str:
    kind = (stored or "").split(";")[0].strip().lower()
    active = (kind in _ACTIVE_TYPES or kind.endswith("+xml") or kind.startswith("multipart/")
              or "html" in kind or "script" in kind)
    return "application/octet-stream" if active or not _MEDIA_TYPE.fullmatch(kind) else kind


@router.get("/documents/{document_id}/original")
def document_original_file(document_id: DocumentId, session: DbSession):
    """The document exactly as it was ingested, so nothing a user gave us is out of their reach; always a download
    (attachment, never a type a browser renders as a page, and sandboxed should a browser open it anyway)."""
    doc = document_original(session, document_id)
    if doc is None:
        raise RequestRefused(404, "no_document", id=document_id)
    # Content-Type given as a header: media_type= would add "charset=utf-8" to a text file that may be CP932.
    disposition = f"attachment; filename*=UTF-8''{quote(doc['file_name'], safe='')}"
    return Response(doc["raw"], headers={"Content-Type": download_media_type(doc["media_type"]),
                                         "Content-Disposition": disposition,
                                         "Content-Security-Policy": "default-src 'none'; sandbox",
                                         "X-Content-Type-Options": "nosniff"})
