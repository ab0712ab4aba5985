"""The FastAPI application: pages and JSON API over one database, with every asset served from this server.
Swagger UI and ReDoc are off (they load scripts from a CDN); the OpenAPI document is at /api/openapi.json."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from mieruka import storage
from mieruka.storage.search import ensure_search_index
from mieruka.web.i18n import add_catalogue
from mieruka.web.pages import STATIC_DIR, add_template_dir, render
from mieruka.web.routers import nav_links, router_modules


def _prepare_database(url: str) -> None:
    """Newest schema and a current search index before the first request."""
    storage.ensure_schema(url)
    with storage.session_scope(url) as session:
        ensure_search_index(session)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.endswith(".json")


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return render(request, "error.html", {"status": exc.status_code, "detail": exc.detail},
                      status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        if _wants_json(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        detail = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors())
        return render(request, "error.html", {"status": 422, "detail": detail}, status_code=422)


def create_app(db_url: str | None = None) -> FastAPI:
    """The whole site over the database at db_url (default: $MIERUKA_DATABASE_URL or ./mieruka.db)."""
    url = storage.resolve_url(db_url)
    _prepare_database(url)
    app = FastAPI(
        title="mieruka 見える化 API",
        description="KPIs, ratings, audit findings, national measures, advanced cases and documents.",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.db_url = url
    modules = router_modules()
    app.state.nav = nav_links(modules)
    for module in modules:
        if hasattr(module, "TEMPLATES"):
            add_template_dir(module.TEMPLATES)
        if hasattr(module, "MESSAGES"):
            add_catalogue(module.MESSAGES)
        app.include_router(module.router)
        if hasattr(module, "install"):  # middleware or exception handlers a router needs (web/routers/account.py)
            module.install(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _add_error_pages(app)
    return app
