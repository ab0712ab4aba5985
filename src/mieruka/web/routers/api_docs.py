"""A server-rendered list of the JSON API's endpoints, read from the app's own OpenAPI document
(stands in for Swagger UI, which would load its scripts from a CDN)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mieruka.web.pages import Lang, render
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/api", "nav.api", 90)]


@router.get("/api")
def api_index(request: Request, lang: Lang):
    spec = request.app.openapi()
    endpoints = [{"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                  "params": [p["name"] for p in op.get("parameters", [])]}
                 for path, ops in spec["paths"].items() for method, op in ops.items()]
    return render(request, "api.html", {"endpoints": endpoints})
