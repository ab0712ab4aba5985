"""The FastAPI application: pages and JSON API over one database, with every asset served from this server.
Swagger UI and ReDoc are off (they load scripts from a CDN); the OpenAPI document is at /api/openapi.json."""
from __future__ import annotations

import gc
from typing import Iterable

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from mieruka import storage
from mieruka.storage.overview import schemes_in_use
from mieruka.storage.search import SearchQueryError, ensure_search_index
from mieruka.storage.summaries import ensure_summaries
from mieruka.web.cache import ResponseCache
from mieruka.web.guards import RequestGuard, add_error_handlers, allowed_hosts, document_bounds, error_response
from mieruka.web.i18n import add_catalogue, pick_lang, translator
from mieruka.web.pages import STATIC_DIR, add_template_dir
from mieruka.web.ratings import scheme_choices
from mieruka.web.schemas import nullable_fields
from mieruka.web.routers import nav_links, router_modules


def _prepare_database(url: str) -> None:
    """Newest schema, a current search index, a list row per KPI and the key session cookies are signed with, before
    the first request: a reading request then writes nothing.

    Checked first by reading, which waits for no one: the usual start-up writes nothing. What needs writing is
    written by a writer's transaction (BEGIN IMMEDIATE on SQLite), which waits for another process preparing the same
    database — two `mieruka publish` or `serve` started together — and then finds its work done. A transaction that
    read first and wrote after the other had committed was refused at once (SQLITE_BUSY_SNAPSHOT)."""
    from mieruka.accounts.service import cookie_secret, has_cookie_secret
    from mieruka.storage.local_bodies import ensure_registry, registry_complete
    from mieruka.storage.search import search_index_current
    from mieruka.storage.summaries import summaries_missing

    storage.ensure_schema(url)
    with storage.session_scope(url) as session:
        if (registry_complete(session) and search_index_current(session) and not summaries_missing(session)
                and has_cookie_secret(session)):
            return
    with storage.session_scope(url, write=True) as session:
        ensure_registry(session)  # every local body, so that the search box finds each by name and kana
        ensure_search_index(session)
        ensure_summaries(session)
        cookie_secret(session)


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


def _add_search_refusal(app: FastAPI) -> None:
    @app.exception_handler(SearchQueryError)
    async def search_refused(request: Request, exc: SearchQueryError):
        detail = translator(pick_lang(request.query_params.get("lang")))(exc.key, **exc.fields)
        return error_response(request, 422, detail, [{"field": "q", "message": detail}])


def _published_audit(url: str) -> str | None:
    """web.evaluation.published_audit of this application's database: the stored audit its audit pages show."""
    from mieruka.web.evaluation import published_audit

    with storage.session_scope(url) as session:
        return published_audit(session)


def create_app(db_url: str | None = None, read_url: str | None = None, prepare: bool = True,
               hosts: Iterable[str] = ()) -> FastAPI:
    """The whole site over the database at db_url (default: $MIERUKA_DATABASE_URL or ./mieruka.db), answering
    requests for the host names of guards.allowed_hosts (plus `hosts`) only.

    Requests (all of them read) go to read_url, default $MIERUKA_READ_DATABASE_URL, else db_url itself.
    `prepare` brings the schema and the search index up to date first (in the writer, on db_url)."""
    url = storage.resolve_url(db_url)
    if prepare:
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
    app.state.read_url = storage.resolve_read_url(url, read_url)
    app.state.timeout_ms = storage.reader_timeout_ms()
    # what a static copy of the site asks the application (publish is beneath web and names none of its modules)
    app.state.published_audit = lambda: _published_audit(url)
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
    add_error_handlers(app)
    _add_search_refusal(app)
    # Inside the host check and the guard: an anonymous answer is kept until the database changes (web/cache.py).
    app.add_middleware(ResponseCache, url=app.state.read_url)
    # The guard is added last, so it is outermost: it also adds its headers to the host check's refusals.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(hosts), www_redirect=False)
    app.add_middleware(RequestGuard)
    # What start-up loaded (templates, plotly, numpy, SQLAlchemy) lives as long as the process: keep the collector
    # from walking it again on every full collection, which was the slowest 5 % of requests.
    gc.collect()
    gc.freeze()
    return app


def worker_app() -> FastAPI:
    """The app of one of several `mieruka serve --workers N` processes: the URLs come from the environment the
    parent set, and the parent prepared the database once (workers starting together would race to)."""
    import os

    hosts = [h for h in os.environ.get("MIERUKA_SERVE_HOST", "").split(",") if h]
    app = create_app(prepare=False, hosts=hosts)
    return app
