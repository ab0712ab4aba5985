"""A server-rendered list of the JSON API's endpoints, read from the app's own OpenAPI document
(stands in for Swagger UI, which would load its scripts from a CDN)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mieruka.web.i18n import messages
from mieruka.web.pages import Lang, render
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/api", "nav.api", 90)]


@router.get("/api")
def api_index(request: Request, lang: Lang):
    spec = request.app.openapi()
    texts = messages()
    endpoints = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            # The summary in the page's language (api_op."GET /api/kpis" in the catalogue); an endpoint not in the
            # catalogue yet shows its English summary marked lang="en".
            said = texts.get(f"api_op.{method.upper()} {path}", {})
            summary = said.get(lang) or op.get("summary", "")
            endpoints.append({"method": method.upper(), "path": path, "summary": summary,
                              "summary_lang": lang if said.get(lang) else "en",
                              "params": [p["name"] for p in op.get("parameters", [])]})
    return render(request, "api.html", {"endpoints": endpoints})
