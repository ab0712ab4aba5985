"""Plotly's JavaScript, served from the installed plotly package so no page needs a CDN (and no copy sits in the repo)."""
from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(include_in_schema=False)
PLOTLY_JS = files("plotly") / "package_data" / "plotly.min.js"


@router.get("/vendor/plotly.min.js")
def plotly_js() -> FileResponse:
    return FileResponse(str(PLOTLY_JS), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})
