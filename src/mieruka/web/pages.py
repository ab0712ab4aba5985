"""What every page shares: the Jinja environment, the language of the request, links that keep it, the session.
Routers call `render(request, "name.html", {...})` and take `Session` and `Lang` as FastAPI dependencies."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, AsyncIterator, Callable, Iterable, Iterator
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from jinja2 import ChoiceLoader, FileSystemLoader
from sqlalchemy.orm import Session

from mieruka import storage
from mieruka.export.downloads import FORMATS, make_download, stream_download
from mieruka.jp.dates import LAST_YEAR
from mieruka.jp.eras import ERAS
from mieruka.storage.overview import schemes_in_use
from mieruka.web import formatting, fragments, kept
from mieruka.web.refusal import RequestRefused
from mieruka.web.i18n import DEFAULT_LANG, label, pick_lang, translator
from mieruka.web.ratings import rating_info, scheme_choices, scheme_label

TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


templates.env.finalize = fragments.shown  # before any template is compiled: finalize is built into the compiled code
for _name in ("date_ja", "datetime_ja", "yen", "number", "quantity", "percent", "bounded", "bound_of", "period",
              "japanese_data"):
    templates.env.filters[_name] = getattr(formatting, _name)
templates.env.globals.update(fragments.FRAGMENTS)  # dated, doc_name, source_link, badge


def add_template_dir(path: Path) -> None:
    """Let a plugged-in router keep its templates in its own package; web/templates stays first."""
    loader = templates.env.loader
    loaders = list(loader.loaders) if isinstance(loader, ChoiceLoader) else [loader]
    if not any(isinstance(x, FileSystemLoader) and str(path) in x.searchpath for x in loaders):
        templates.env.loader = ChoiceLoader([*loaders, FileSystemLoader(str(path))])


async def get_lang(lang: Annotated[str | None, Query(description="ja (default) or en")] = None) -> str:
    # async: FastAPI runs a plain function dependency in a worker thread, a hop that cost more than the work
    return pick_lang(lang)


Lang = Annotated[str, Depends(get_lang)]


FIRST_ERA_DAY = min(era[2] for era in ERAS)  # 明治元年1月25日: no 和暦 is known before it
LAST_DAY = date(LAST_YEAR, 12, 31)  # no document is read as dated later, so a later as_of names nothing but a typo


def bounded_as_of(parsed: date, text: str) -> date:
    """An as_of the pages and the API both answer for: from 明治元年1月25日 to LAST_DAY, else a 422 naming as_of."""
    if parsed < FIRST_ERA_DAY:  # the pages show every date with its 和暦, which has none before 明治
        raise RequestRefused(422, "before_meiji", field="as_of", value=text[:40])
    if parsed > LAST_DAY:
        raise RequestRefused(422, "after_last_day", field="as_of", value=text[:40], last=LAST_DAY.isoformat())
    return parsed


def read_as_of(as_of: str | None) -> date | None:
    """A page's as_of in any form parse_date reads (None: not given); a text that is no date, or one out of
    bounded_as_of's bounds, is a 422 naming as_of."""
    text = (as_of or "").strip()
    if not text:
        return None
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        from mieruka.jp.dates import find_periods
        from mieruka.jp.text import normalise_text

        # the whole text one date: parse_date's first date anywhere would read "9999-12-31 2019-03-31" (whose first
        # date is out of bounds, so skipped) or "abc2019-03-31xyz" as 2019-03-31
        cell = normalise_text(text)  # width and spaces folded; not prepare_cell, which drops "<...>" as a tag
        periods = find_periods(cell)
        whole = len(periods) == 1 and not cell[:periods[0].start].strip() and not cell[periods[0].end:].strip()
        parsed = periods[0].point() if whole else None
    if parsed is None:
        raise RequestRefused(422, "bad_date", field="as_of", value=text[:40])
    return bounded_as_of(parsed, text)


async def get_as_of(as_of: Annotated[str | None, Query(max_length=40, description="evaluation date, YYYY-MM-DD (default: the "
                                                 "date the stored ratings were made as of)")] = None) -> date | None:
    """?as_of=: the evaluation date asked for (None: the default). async: no I/O, so no hop to a worker thread."""
    return read_as_of(as_of)


AsOf = Annotated[date | None, Depends(get_as_of)]


READING = ("GET", "HEAD")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for one request. Pages and API answers only read, so they go to the read URL (a replica when
    MIERUKA_READ_DATABASE_URL is set) with the reader's time limit on PostgreSQL; the forms of the reporting cycle and
    of plans write, so a POST goes to the database itself as a writer (on SQLite it waits for any other writer).

    async: a reader's session is opened and its read-only transaction ended on the event loop (opening connects
    nothing; the route's first statement does, in the route's thread), two hops to a worker thread fewer per request,
    each a wait for a CPU on a loaded machine. A writer's commit may wait for the disk: it runs in a worker thread."""
    if request.method in READING:
        scope = storage.session_scope(request.app.state.read_url, request.app.state.timeout_ms)
        session = scope.__enter__()
        try:
            yield session
        except BaseException as exc:
            if not scope.__exit__(type(exc), exc, exc.__traceback__):
                raise
        else:
            scope.__exit__(None, None, None)
        return
    scope = storage.session_scope(request.app.state.db_url, write=True)
    session = await run_in_threadpool(scope.__enter__)
    try:
        yield session
    except BaseException as exc:
        if not await run_in_threadpool(scope.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await run_in_threadpool(scope.__exit__, None, None, None)


# scope="function": committed when the route returns, before the answer is sent. With the default (after the answer is
# sent) a browser following a POST's redirect could read before the write was committed (signed in, yet shown the page
# of an anonymous reader), and a failed commit would follow an answer that had already said "done".
DbSession = Annotated[Session, Depends(get_session, scope="function")]


def get_row_writer(request: Request) -> Iterator[Session]:
    """A writer's session for a POST that writes only rows guarded by their own version column (the reporting
    cycle's report and survey-answer forms): on PostgreSQL it does not wait for the writer lock that ingests and
    publishing take in turn (storage.session_scope)."""
    with storage.session_scope(request.app.state.db_url, write=True, take_turns=False) as session:
        yield session


RowWriterSession = Annotated[Session, Depends(get_row_writer, scope="function")]


def kept_schemes_in_use(session: Session) -> list[str]:
    """storage.overview.schemes_in_use once per state of the data (web.kept): every list page and the overview ask."""
    return kept.per_state(session, "schemes_in_use", (), lambda: schemes_in_use(session))


def valid_scheme(session: Session, scheme: str) -> str:
    """The scheme asked for, if a scheme file or a stored rating knows it; else a 422 naming the ones that exist
    (an unknown name would silently show every KPI as unrated)."""
    if scheme in scheme_choices([]):  # a scheme file's: known without asking the database
        return scheme
    choices = scheme_choices(kept_schemes_in_use(session))
    if scheme not in choices:
        raise RequestRefused(422, "unknown_scheme", field="scheme", value=scheme[:40], choices=", ".join(choices))
    return scheme


_HREFS: dict[str, Callable[..., str]] = {}
_HREF_KEPT = 20_000  # links kept per language; a page links to the same few hundred over and over


def href_for(lang: str):
    """href("/kpis", item=3) → "/kpis?item=3", with lang=en added when the page is in English; None values dropped.
    One function a language, keeping the links it made: urlencode was a tenth of rendering a KPI's page."""
    if lang in _HREFS:
        return _HREFS[lang]
    made: dict[tuple, str] = {}

    def href(path: str, fragment: str | None = None, **params) -> str:
        try:
            key = (path, fragment, *params.items(), *map(type, params.values()))  # True and 1 are equal keys
            return made[key]
        except KeyError:
            pass
        except TypeError:  # a list of values (doseq): not kept
            key = None
        pairs = [(k, v) for k, v in params.items() if v is not None and v != ""]
        if lang != DEFAULT_LANG:
            pairs.append(("lang", lang))
        url = path + ("?" + urlencode(pairs, doseq=True) if pairs else "")
        url += f"#{fragment}" if fragment else ""
        if key is not None:
            if len(made) >= _HREF_KEPT:
                made.clear()
            made[key] = url
        return url

    if lang in ("ja", "en"):
        _HREFS[lang] = href
    return href


def current_url(request: Request, **changes) -> str:
    """This page's path and query with some parameters changed (None removes one): sort links, pagers, downloads."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, v) for k, v in changes.items() if v is not None and v != ""]
    query = urlencode(params, doseq=True)
    return request.url.path + ("?" + query if query else "")


def download_url(request: Request, fmt: str) -> str:
    """The same table as a file: /kpis?tier=1 → /kpis.csv?tier=1 (paging dropped: a download holds every row; the
    language kept: an English page's file has the English column names)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    query = urlencode(params, doseq=True)
    return f"{request.url.path.rstrip('/')}.{fmt}" + ("?" + query if query else "")


class DocumentLabels:
    """doc_label(id) for the templates: the cited document's title, date and file name, read once per page and only
    when the page cites a source (documents are few: one small query); by_file() the same keyed by file name, the
    way audit messages cite documents (the newest of a name wins)."""

    def __init__(self, read: Callable[[], dict[int, dict]]):
        self._read, self._found, self._by_file = read, None, None

    def _labels(self) -> dict[int, dict]:
        if self._found is None:
            self._found = self._read() or {}
        return self._found

    def __call__(self, document_id: int | None) -> dict:
        return self._labels().get(document_id) or {}

    def by_file(self) -> dict[str, dict]:
        if self._by_file is None:
            self._by_file = {d["file_name"]: d for _, d in sorted(self._labels().items()) if d.get("file_name")}
        return self._by_file


def _document_labels(request: Request) -> DocumentLabels:
    def read() -> dict[int, dict]:
        from mieruka.storage.queries import document_labels

        with storage.session_scope(request.app.state.read_url, request.app.state.timeout_ms) as session:
            return document_labels(session)

    return DocumentLabels(read)


def render(request: Request, name: str, context: dict, status_code: int = 200):
    lang = pick_lang(request.query_params.get("lang"))
    other = "en" if lang == "ja" else "ja"
    base = {
        "lang": lang,
        "t": translator(lang),
        "href": href_for(lang),
        "nav": request.app.state.nav,
        "nav_label": lambda text: label(text, lang),
        "rating_info": lambda scheme, code: rating_info(scheme, code, lang),
        "scheme_title": lambda scheme: scheme_label(scheme, lang),
        "current_path": request.url.path,
        "switch_url": current_url(request, lang=None if other == DEFAULT_LANG else other),
        "switch_lang": other,
        "current_url": lambda **changes: current_url(request, **changes),
        "download_url": lambda fmt: download_url(request, fmt),
        "principal": getattr(request.state, "principal", None),
        "doc_label": _document_labels(request),
    }
    labels = context.get("doc_label") or base["doc_label"]
    # an audit finding's message, its documents named by title and date (file name on hover)
    base["cited"] = lambda text, in_lang=None: formatting.named_sources_markup(text, in_lang or lang, labels.by_file())
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def download_response(rows: list[dict], fmt: str, name: str, columns: list[str] | None = None,
                      lang: str = DEFAULT_LANG) -> Response:
    """rows as an attachment (CSV with BOM, XLSX or JSON), the CSV and XLSX headers in the page's language; 404 for
    any other extension."""
    if fmt not in FORMATS:
        raise HTTPException(404, f"no download format {fmt!r}")
    d = make_download(rows, fmt, name, columns, lang)
    disposition = "inline" if fmt == "json" else "attachment"
    return Response(d.content, media_type=d.media_type,
                    headers={"Content-Disposition": f'{disposition}; filename="{d.filename}"'})


def streamed_download(request: Request, fmt: str, name: str, columns: list[str],
                      rows: Callable[[Session], Iterable[dict]]) -> StreamingResponse:
    """rows(session) as an attachment sent while it is read, in a session of its own (the request's may be closed
    before the body is sent); 404 for an extension other than csv, xlsx or json."""
    if fmt not in FORMATS:
        raise HTTPException(404, f"no download format {fmt!r}")
    url = request.app.state.db_url

    def produce() -> Iterator[dict]:
        with storage.session_scope(url) as session:
            yield from rows(session)

    chunks, media_type, filename = stream_download(produce(), fmt, name, columns,
                                                   pick_lang(request.query_params.get("lang")))
    disposition = "inline" if fmt == "json" else "attachment"
    return StreamingResponse(chunks, media_type=media_type,
                             headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})
