"""Document pages: what was ingested with its report, and one document's text with a #L<line> anchor per line
(where provenance links land); a document loaded from the bundled sample shows its extracted facts instead."""
from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request, Response

from mieruka.storage.overview import document_detail
from mieruka.storage.queries import document_original, document_rows
from mieruka.web.guards import path_id
from mieruka.web.listings import DOCUMENT_COLUMNS, document_flat
from mieruka.web.pages import DbSession, Lang, download_response, render
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/documents", "nav.documents", 60)]
DocumentId = path_id("document")


@router.get("/documents.{fmt}")
def document_download(fmt: str, session: DbSession):
    return download_response([document_flat(d) for d in document_rows(session)], fmt, "documents", DOCUMENT_COLUMNS)


@router.get("/documents")
def document_list(request: Request, session: DbSession, lang: Lang):
    return render(request, "documents.html", {"documents": document_rows(session)})


@router.get("/documents/{document_id}")
def document_page(request: Request, document_id: DocumentId, session: DbSession, lang: Lang):
    doc = document_detail(session, document_id)
    if doc is None:
        raise HTTPException(404, f"document {document_id} not found")
    return render(request, "document.html", {"doc": doc})


@router.get("/documents/{document_id}/original")
def document_original_file(document_id: DocumentId, session: DbSession):
    """The document exactly as it was ingested, so nothing a user gave us is out of their reach."""
    doc = document_original(session, document_id)
    if doc is None:
        raise HTTPException(404, f"document {document_id} not found")
    return Response(doc["raw"], media_type=doc["media_type"] or "application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(doc['file_name'])}"})
