"""Every KPI's own pages for `mieruka publish`, many KPIs at a time: its page, its history, its indicator sheet and its
API answer, from data read in a few queries per batch, through the same context builders and templates the routes use."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import signal
from concurrent.futures import Future, ProcessPoolExecutor
from urllib.parse import urlencode

from starlette.requests import Request

from mieruka import storage
from mieruka.processes.workers import exit_with
from mieruka.publish.ahead import Answer
from mieruka.publish.finishing import Finisher
from mieruka.publish.reports import MEDIA, kpi_sheet_of
from mieruka.storage.local_bodies import survey_kpis
from mieruka.storage.overview import rating_rows
from mieruka.storage.queries import document_labels, kpi_rows
from mieruka.storage.summaries import kpi_children_of, kpi_names
from mieruka.storage.workflow import assigned_owners
from mieruka.web.evaluation import evaluation_date
from mieruka.web.i18n import pick_lang
from mieruka.web.pages import DocumentLabels, render
from mieruka.web.ratings import DEFAULT_SCHEME
from mieruka.web.routers.api import as_json, kpi_detail
from mieruka.web.routers.cycle import history_context
from mieruka.web.routers.kpis import has_survey_map, kpi_page_context
from mieruka.workflow.reports import histories

# /kpis/N, /kpis/N/history, /kpis/N/sheet.html|xlsx and /api/kpis/N: the pages of which there is one per KPI
# A batch this small is rendered in the calling process unless the workers are already running: starting them (a
# second or more each: the application is imported and made again) costs more than it saves.
POOL_FROM = 200
# URLs a worker asks its own application (one at a time, as the crawl would): what else costs the crawl the most
_ASKED_PREFIXES = ("/local/",)
_KPI_URL = re.compile(r"^/(?:kpis/(\d+)(/history|/sheet\.html|/sheet\.xlsx)?|api/kpis/(\d+))$")


class KpiPages:
    """Renders the per-KPI URLs of the static site in batches for `publish.site.publish_site` (its `direct`):
    what the application answers for the same URL, without asking it one URL at a time (ten queries a page).
    With workers > 1, batches are rendered by that many processes (each its own application over the same
    database) while the crawl goes on; close() ends them."""

    def __init__(self, app, workers: int = 1, pool_from: int = POOL_FROM):
        self.app, self.workers, self.pool_from = app, workers, pool_from
        self._pool = None
        _keep_templates()

    def submit(self, urls: list[tuple[str, tuple]], finish: tuple | None = None) -> Future:
        """render(urls), in a worker process when there are workers (a future either way). There, the other URLs
        handles() took (a local body's pages) are asked of the worker's own application, and with finish (the
        arguments of a publish.finishing.Finisher) each page is finished and written by the worker: the answer is
        then what it recorded."""
        finisher = None if finish is None else Finisher(*finish)
        if self.workers <= 1 or (self._pool is None and len(urls) < self.pool_from):
            done: Future = Future()
            done.set_result(self.render(urls))
            return done
        self.start()
        return self._pool.submit(_render_in_worker, urls, finisher)

    def start(self) -> None:
        """Start the workers now (a run that will render many KPIs: each takes a second or two to start, which can go
        on while the crawl reads what it needs first); submit() starts them otherwise."""
        if self.workers <= 1 or self._pool is not None:
            return
        # spawned, not forked: the crawl's thread (the test client's event loop) and open connections stay here
        self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start_worker, initargs=(self.app.state.read_url, os.getpid()))
        self._pool.submit(int)  # the executor starts its processes with the first task

    def close(self, abandon: bool = False) -> None:
        """End the workers: after their batches; abandon (the run stopped: Ctrl-C, an error), at once — the batches
        out are dropped, and waiting for them hung when Ctrl-C had reached the workers too."""
        if self._pool is None:
            return
        if abandon:
            processes = list((getattr(self._pool, "_processes", None) or {}).values())
            for process in processes:
                process.terminate()
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.join(5)
                if _running(process.pid):  # (still starting, or its signal handled elsewhere)
                    try:
                        os.kill(process.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        else:
            self._pool.shutdown()
        self._pool = None

    def handles(self, path: str) -> bool:
        """The KPIs' own URLs; with workers, a local body's pages too (3,500 pages in two languages, each read
        through the application: the workers ask their own)."""
        return _KPI_URL.match(path) is not None or (self.workers > 1 and path.startswith(_ASKED_PREFIXES))

    def render(self, urls: list[tuple[str, tuple]]) -> dict[tuple[str, tuple], Answer]:
        """The answers to urls ((path, query pairs)); a URL missing from the result is left to the application."""
        wanted = {}
        for path, query in urls:
            m = _KPI_URL.match(path)
            if m:
                wanted[(path, query)] = (int(m.group(1) or m.group(3)), m.group(2) or ("api" if m.group(3) else ""))
        ids = sorted({kpi_id for kpi_id, _ in wanted.values()})
        out = {}
        with storage.session_scope(self.app.state.read_url) as session:
            when = evaluation_date(session, DEFAULT_SCHEME, None)  # first: kept only by a session yet to read
            rows = {k["id"]: k for k in kpi_rows(session, ids)}
            ratings: dict[int, list[dict]] = {k: [] for k in ids}
            for r in rating_rows(session, kpi_ids=ids):
                ratings[r["kpi_id"]].append(r)
            parents = kpi_names(session, sorted({k["parent_id"] for k in rows.values() if k["parent_id"]}))
            children = kpi_children_of(session, ids)
            surveyed = {d["kpi_id"] for d in survey_kpis(session)}
            chains = histories(session, ids, staff=False)
            assigned = assigned_owners(session, ids)
            labels = document_labels(session) or {}
            doc_label = DocumentLabels(lambda: labels)  # pages.render's, read once per batch
            for (path, query), (kpi_id, kind) in wanted.items():
                kpi = rows.get(kpi_id)
                if kpi is None:
                    continue  # the application says what is missing
                request = self._request(path, query)
                lang = pick_lang(dict(query).get("lang"))
                if kind == "":
                    context = kpi_page_context(kpi, parents.get(kpi["parent_id"]) if kpi["parent_id"] else None,
                                               when, ratings[kpi_id], children[kpi_id],
                                               kpi_id in surveyed and has_survey_map(session, kpi_id),
                                               assigned.get(kpi_id), lang)
                    context["doc_label"] = doc_label
                    out[(path, query)] = self._page(render(request, "kpi.html", context))
                elif kind == "/history":
                    context = {**history_context(kpi, chains[kpi_id], False, lang), "doc_label": doc_label}
                    out[(path, query)] = self._page(render(request, "cycle/history.html", context))
                elif kind == "api":
                    body = as_json(kpi_detail(kpi, DEFAULT_SCHEME, when.as_of, ratings[kpi_id],
                                              assigned.get(kpi_id))).body
                    out[(path, query)] = Answer(200, body, {"content-type": "application/json"})
                else:
                    fmt = kind.rsplit(".", 1)[1]
                    report = kpi_sheet_of(kpi, fmt, lang=lang)
                    out[(path, query)] = Answer(200, report.content, {"content-type": MEDIA[fmt]})
        return out

    def _request(self, path: str, query: tuple) -> Request:
        """A GET of path?query from an anonymous reader, as the routes see one."""
        return Request({"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "root_path": "",
                        "query_string": urlencode(query).encode(), "headers": [(b"host", b"localhost")],
                        "scheme": "http", "server": ("localhost", 80), "client": ("127.0.0.1", 0),
                        "http_version": "1.1", "app": self.app, "state": {}})

    @staticmethod
    def _page(response) -> Answer:
        return Answer(response.status_code, bytes(response.body), {"content-type": response.media_type + "; charset=utf-8"})


def _keep_templates() -> None:
    """A publish run renders tens of thousands of pages from templates that do not change meanwhile: Jinja need not
    look at each template file's time again on every render (a stat per template and per macro import)."""
    from mieruka.publish.render import _env
    from mieruka.web.pages import templates

    templates.env.auto_reload = False
    _env.auto_reload = False


_worker: KpiPages | None = None  # in a worker process: its own application over the same database


def _running(pid: int | None) -> bool:
    """Whether the process is there and not a zombie. Not Process.is_alive(): the pool's own thread reaps its workers
    too, and a process it reaped first stays "alive" to the other's waitpid."""
    if pid is None:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the system
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _start_worker(read_url: str, parent: int | None = None) -> None:
    global _worker
    from mieruka.web.app import create_app

    if parent is not None:
        exit_with(parent)

    _worker = KpiPages(create_app(read_url, read_url=read_url, prepare=False))


class _Asker:
    """GET answers of an application called directly through ASGI on an event loop of its own: what a test client
    gives (status, body, headers), without its HTTP client and the thread it runs the application in (a millisecond
    a request: a fifth of a local body's page). The application has no lifespan to start."""

    def __init__(self, app):
        self.app, self.loop = app, asyncio.new_event_loop()

    def get(self, path: str, params: tuple = ()) -> Answer:
        return self.loop.run_until_complete(self._get(path, urlencode(params).encode()))

    async def _get(self, path: str, query: bytes) -> Answer:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
                 "path": path, "raw_path": path.encode(), "root_path": "", "query_string": query,
                 "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 0), "server": ("localhost", 80),
                 "extensions": {}}
        start: dict = {}
        body: list[bytes] = []
        asked, done = [False], asyncio.Event()

        async def receive() -> dict:
            # the request once; then, as a client that stays until the answer is whole, nothing until it is (a
            # streamed answer listens for the client going away all along)
            if not asked[0]:
                asked[0] = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    done.set()
        try:
            await self.app(scope, receive, send)
        except Exception:  # noqa: BLE001 - as a test client that does not raise them: the 500 the application sent
            if not start:
                return Answer(500, b"", {})
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
        return Answer(start.get("status", 500), b"".join(body), headers)


_asker: _Asker | None = None  # in a worker process: its application, for the URLs render() leaves


def _render_in_worker(urls: list[tuple[str, tuple]], finisher=None) -> dict:
    global _asker
    answers = _worker.render(urls)
    left = [k for k in urls if k not in answers and k[0].startswith(_ASKED_PREFIXES)]
    if left or finisher is not None:
        if _asker is None:
            _asker = _Asker(_worker.app)
        for path, query in left:
            answers[(path, query)] = _asker.get(path, query)
    if finisher is None:
        return answers
    from mieruka.publish.finishing import asset_namer

    global _assets
    if _assets is None:
        _assets = asset_namer(_asker.get)
    for k, answer in answers.items():
        done = finisher.finish(k, answer, _assets)
        if done is not None:
            answers[k] = done
    return answers


_assets = None
