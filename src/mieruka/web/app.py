"""The FastAPI application: pages and JSON API over one database, with every asset served from this server.
Swagger UI and ReDoc are off (they load scripts from a CDN); the OpenAPI document is at /api/openapi.json."""
from __future__ import annotations

from typing import Iterable

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from mieruka import storage
from mieruka.storage.search import ensure_search_index
from mieruka.storage.overview import schemes_in_use
from mieruka.web.guards import RequestGuard, add_error_handlers, allowed_hosts, document_bounds
from mieruka.web.i18n import add_catalogue
from mieruka.web.pages import STATIC_DIR, add_template_dir
from mieruka.web.ratings import scheme_choices
from mieruka.web.schemas import nullable_fields
from mieruka.web.routers import nav_links, router_modules


def _prepare_database(url: str) -> None:
    """Newest schema and a current search index before the first request."""
    storage.ensure_schema(url)
    with storage.session_scope(url) as session:
        ensure_search_index(session)


def _documented(app: FastAPI):
    """The OpenAPI document with what FastAPI leaves out: nullable fields under pydantic 1, the bounds the guard
    enforces, and the rating schemes this database knows (read on each call: an ingest may add one)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = nullable_fields(generate())
        with storage.session_scope(app.state.db_url) as session:
            schemes = scheme_choices(schemes_in_use(session))
        return document_bounds(app.openapi_schema, schemes)

    return openapi


def create_app(db_url: str | None = None, hosts: Iterable[str] = ()) -> FastAPI:
    """The whole site over the database at db_url (default: $MIERUKA_DATABASE_URL or ./mieruka.db), answering
    requests for the host names of guards.allowed_hosts (plus `hosts`) only."""
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
    app.openapi = _documented(app)
    app.state.db_url = url
    app.state.timeout_ms = storage.reader_timeout_ms()
    modules = router_modules()
    app.state.nav = nav_links(modules)
    for module in modules:
        if hasattr(module, "TEMPLATES"):
            add_template_dir(module.TEMPLATES)
        if hasattr(module, "MESSAGES"):
            add_catalogue(module.MESSAGES)
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    add_error_handlers(app)
    # The guard is added last, so it is outermost: it also adds its headers to the host check's refusals.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(hosts), www_redirect=False)
    app.add_middleware(RequestGuard)
    return app
