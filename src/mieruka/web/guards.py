"""The web app's edge against hostile requests: bounds on what one request may ask for, security headers, HEAD,
allowed Host names, and every error (4xx, database time-outs, any unexpected exception) as a page or JSON in the
request's language. Routers declare their own bounds with the types below (SearchText, PageNumber, path_id, query_id)."""
from __future__ import annotations

import logging
import math
import os
import re
from typing import Annotated, Iterable
from urllib.parse import parse_qsl

from fastapi import Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mieruka.storage.search import MAX_QUERY_CHARS, MAX_TERMS
from mieruka.web.i18n import pick_lang, translator
from mieruka.web.refusal import RequestRefused

log = logging.getLogger("mieruka.web")

# One request's worth of work: the query string, its parameters, any one value, search text and its terms.
MAX_QUERY_BYTES = 8192
MAX_PARAMS = 40
MAX_VALUE_CHARS = 500
# the search's own bounds (storage.search refuses the same), checked here before any route runs
MAX_SEARCH_CHARS, MAX_SEARCH_TERMS = MAX_QUERY_CHARS, MAX_TERMS
# Row ids are INTEGER columns: PostgreSQL's is 32-bit, so no id past 2^31 - 1 can exist on either database.
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000
# A request body: a form of text fields needs far less than this; the three upload routes (workbooks and evidence
# files) allow their files' own limits and check them again themselves. Past it the body is refused unread, before
# any route (sign-in or CSRF checks included) would read it whole.
MAX_FORM_BODY = 2**20
UPLOAD_PATHS = re.compile(r"^/(my/workbook|surveys/workbook|reports/[0-9]+/evidence)$")
# Amounts typed into the savings calculator: up to 1京円 (10^16), more than any public budget.
MAX_AMOUNT = 1e16

# Control characters refused in any value: below space except the whitespace ones (tab, line breaks, form feed,
# the separators \x1c-\x1f), and DEL; in a path, every one of them.
CONTROL_CHARS = {chr(c) for c in range(32) if not chr(c).isspace()} | {"\x7f"}
PATH_CONTROL_CHARS = {chr(c) for c in range(32)} | {"\x7f"}
# What str.split() splits search text on, so the schema's pattern and the count agree.
_SPACES = "".join(chr(c) for c in range(0x10000) if chr(c).isspace())


def _class(chars) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in sorted(chars))


# The same rules as patterns for the OpenAPI document (ECMA and Python regular expressions alike).
VALUE_PATTERN = f"^[^{_class(CONTROL_CHARS)}]*$"
SEARCH_PATTERN = (f"^[{_class(_SPACES)}]*([^{_class(_SPACES)}{_class(CONTROL_CHARS)}]+[{_class(_SPACES)}]+)"
                  f"{{0,{MAX_SEARCH_TERMS - 1}}}[^{_class(_SPACES)}{_class(CONTROL_CHARS)}]*$")
SearchText = Annotated[str | None, Query(
    max_length=MAX_SEARCH_CHARS, pattern=SEARCH_PATTERN,
    description=f"words that must all occur (at most {MAX_SEARCH_TERMS} words, {MAX_SEARCH_CHARS} characters)")]
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page of the list, from 1")]


def path_id(what: str):
    """A row id in a path: 1 … 2^31 - 1, anything else a 422 before the database is asked."""
    return Annotated[int, Path(ge=1, le=MAX_ID, description=f"id of the {what}")]


def query_id(what: str):
    return Annotated[int | None, Query(ge=1, le=MAX_ID, description=f"id of the {what}")]



def wants_json(path: str) -> bool:
    return path.startswith("/api/") or path.endswith((".json", ".geojson"))


def error_response(request: Request, status: int, message: str, errors: list[dict] | None = None,
                   headers: dict | None = None, listing: str | None = None) -> Response:
    """The one error shape: JSON {"detail": message, "errors": [{"field", "message"}]} under /api/, else a page.
    listing: what exists, named as the documents name it (data: shown apart from the message, marked as Japanese)."""
    if wants_json(request.url.path):
        detail = f"{message}:\n{listing}" if listing else message
        return JSONResponse({"detail": detail, "errors": errors or []}, status_code=status, headers=headers)
    from mieruka.web.pages import render  # imported when first needed: pages is built after the guards

    try:
        response = render(request, "error.html", {"status": status, "detail": message, "errors": errors or [],
                                                  "listing": listing}, status_code=status)
    except Exception:  # the error page itself failed (a broken template): still a plain answer, never a traceback
        log.exception("error page failed")
        return Response(f"{message}:\n{listing}" if listing else message, status_code=status,
                        media_type="text/plain; charset=utf-8", headers=headers)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def refused(request: Request, exc: RequestRefused) -> Response:
    message = translator(pick_lang(request.query_params.get("lang")))(f"error.{exc.key}", **exc.fields)
    field = exc.fields.get("field")
    return error_response(request, exc.status, message, [{"field": field, "message": message}] if field else [])


# --- checks made before any route runs ----------------------------------------------------------------

def _shown(value: str, limit: int = 30) -> str:
    value = "".join("�" if ch in CONTROL_CHARS else ch for ch in value)
    return value if len(value) <= limit else value[:limit] + "…"


def check_query(scope: Scope) -> RequestRefused | None:
    """What no route of this app may be asked: NUL and other control characters in the path or a parameter,
    an over-long query, too many parameters, a value too long, search text with too many words."""
    path = scope.get("path", "")
    if any(ch in PATH_CONTROL_CHARS for ch in path):
        return RequestRefused(400, "path_control")
    raw = scope.get("query_string", b"")
    if len(raw) > MAX_QUERY_BYTES:
        return RequestRefused(422, "query_too_long", size=len(raw), limit=MAX_QUERY_BYTES)
    pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True, errors="replace")
    if len(pairs) > MAX_PARAMS:
        return RequestRefused(422, "too_many_params", count=len(pairs), limit=MAX_PARAMS)
    for key, value in pairs:
        if any(ch in CONTROL_CHARS for ch in key + value):
            return RequestRefused(422, "control_char", field=_shown(key))
        limit = MAX_SEARCH_CHARS if key == "q" else MAX_VALUE_CHARS
        if len(value) > limit:
            return RequestRefused(422, "too_long", field=_shown(key), limit=limit, count=len(value))
        if key == "q" and len(value.split()) > MAX_SEARCH_TERMS:
            return RequestRefused(422, "too_many_terms", field="q", limit=MAX_SEARCH_TERMS, count=len(value.split()))
    return None


# --- validation errors in the page's language ---------------------------------------------------------

# pydantic 1 and pydantic 2 name the same failures differently; both map to one message each.
_ERROR_KEYS = {
    "value_error.number.not_le": "too_big", "less_than_equal": "too_big",
    "value_error.number.not_lt": "too_big", "less_than": "too_big",
    "value_error.number.not_ge": "too_small", "greater_than_equal": "too_small",
    "value_error.number.not_gt": "too_small", "greater_than": "too_small",
    "type_error.integer": "not_integer", "int_parsing": "not_integer", "int_from_float": "not_integer",
    "type_error.float": "not_number", "float_parsing": "not_number", "finite_number": "not_number",
    "type_error.bool": "not_bool", "bool_parsing": "not_bool",
    "value_error.missing": "missing", "missing": "missing",
    "value_error.const": "choice", "literal_error": "choice", "type_error.enum": "choice", "enum": "choice",
    "value_error.any_str.max_length": "too_long", "string_too_long": "too_long",
    "value_error.str.regex": "too_many_terms", "string_pattern_mismatch": "too_many_terms",
}


def _limit(ctx: dict):
    for name in ("limit_value", "le", "lt", "ge", "gt", "max_length"):
        if name in ctx:
            return ctx[name]
    return ""


def _choices(ctx: dict) -> str:
    given = ctx.get("permitted") or ctx.get("expected") or ""
    if isinstance(given, (list, tuple)):
        return ", ".join(map(str, given))
    # pydantic 2 spells the choices out in English ("'id', 'name' or 'deadline'"): keep only the names
    return ", ".join(part.strip().strip("'\"") for part in str(given).replace(" or ", ", ").split(","))


def validation_messages(errors: Iterable[dict], lang: str) -> list[dict]:
    t = translator(lang)
    out = []
    for e in errors:
        field = str(e["loc"][-1]) if e.get("loc") else ""
        ctx = e.get("ctx") or {}
        key = _ERROR_KEYS.get(e.get("type", ""))
        if key == "too_many_terms":
            fields = {"limit": MAX_SEARCH_TERMS, "count": len(str(e.get("input", "")).split()) or "?"}
        elif key == "too_long":
            fields = {"limit": _limit(ctx), "count": len(str(e.get("input", ""))) if "input" in e else "?"}
        else:
            fields = {"limit": _limit(ctx), "choices": _choices(ctx)}
        message = t(f"error.{key}", field=field, **fields) if key else f"{field}: {e.get('msg', '')}"
        out.append({"field": field, "message": message})
    return out


# --- database errors ----------------------------------------------------------------------------------

def database_refusal(exc: DBAPIError) -> RequestRefused | None:
    """Errors a request can cause without any bug: a statement past its time limit, a locked SQLite file,
    a number past the column's range. Anything else stays a server error."""
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    text = str(orig).lower()
    if code == "57014" or "statement timeout" in text or "canceling statement" in text:
        return RequestRefused(503, "timeout")
    if code == "22003" or "out of range" in text or "too large" in text:
        return RequestRefused(422, "out_of_range")
    if "database is locked" in text or code in ("55P03", "40P01", "40001"):
        return RequestRefused(503, "busy")
    return None


def add_error_handlers(app) -> None:
    """Every error the app answers, in one shape; Starlette's own 404/405 get translated messages and keep Allow."""

    @app.exception_handler(RequestRefused)
    async def on_refused(request: Request, exc: RequestRefused):
        return refused(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException):
        t = translator(pick_lang(request.query_params.get("lang")))
        detail, headers = exc.detail, dict(exc.headers or {})
        if exc.status_code == 404 and detail == "Not Found":
            detail = t("error.not_found")
        elif exc.status_code == 405:
            allow = [m.strip() for m in headers.get("Allow", "GET").split(",")]
            if "GET" in allow and "HEAD" not in allow:
                allow.append("HEAD")  # RequestGuard answers HEAD on every GET route
            headers["Allow"] = ", ".join(allow)
            detail = t("error.method", allow=headers["Allow"])
        if not wants_json(request.url.path):
            detail = page_detail(str(detail), exc.status_code, pick_lang(request.query_params.get("lang")))
        return error_response(request, exc.status_code, str(detail), headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError):
        errors = validation_messages(exc.errors(), pick_lang(request.query_params.get("lang")))
        return error_response(request, 422, " ".join(e["message"] for e in errors), errors)

    @app.exception_handler(DBAPIError)
    async def on_database_error(request: Request, exc: DBAPIError):
        refusal = database_refusal(exc)
        if refusal is None:
            return server_error(request, exc)
        log.warning("%s %s refused: %s", request.method, request.url.path, exc.orig)
        return refused(request, refusal)

    @app.exception_handler(OverflowError)
    async def on_overflow(request: Request, exc: OverflowError):
        return refused(request, RequestRefused(422, "out_of_range"))


_KANA = re.compile(r"[\u3041-\u30ff]")


def page_detail(detail: str, status: int, lang: str) -> str:
    """What an HTTPException says on a page in `lang`: a "日本語 / English" detail gives its own half; a detail in the
    other language (a Japanese sentence holds kana, an English one none) gives the status's own message instead."""
    if " / " in detail:
        halves = detail.split(" / ", 1)
        detail = halves[0] if lang == "ja" else halves[1]
    if bool(_KANA.search(detail)) == (lang == "ja"):
        return detail
    t = translator(lang)
    return t(f"error.status_{status}", default=t("error.status_other"))


def server_error(request: Request, exc: BaseException) -> Response:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    message = translator(pick_lang(request.query_params.get("lang")))("error.internal")
    return error_response(request, 500, message)


# --- the middleware -----------------------------------------------------------------------------------

SECURITY_HEADERS = {
    # Plotly adds <style> elements and the overview's bars set a width inline: styles may be inline, scripts never.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class RequestGuard:
    """Outermost layer: refuses what check_query refuses, answers HEAD as GET without the body, adds the security
    headers to every response, and turns any exception that got this far into a logged 500 page."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        started = False

        async def send_guarded(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                            if k.lower().encode() not in present]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)

        problem = check_query(scope)
        if problem is None and scope["method"] not in ("GET", "OPTIONS"):
            problem, receive = await bounded_body(scope, receive)
        if problem is not None:
            await refused(Request(scope), problem)(scope, receive, send_guarded)
            return
        try:
            await self.app(scope, receive, send_guarded)
        except Exception as exc:
            if started:
                raise
            await server_error(Request(scope), exc)(scope, receive, send_guarded)


def body_limit(path: str) -> int:
    if UPLOAD_PATHS.match(path):
        from mieruka.workflow import evidence, workbook

        return max(workbook.MAX_BYTES, evidence.max_bytes()) + 64 * 1024
    return MAX_FORM_BODY


async def bounded_body(scope: Scope, receive: Receive) -> tuple[RequestRefused | None, Receive]:
    """The request's body read here up to the path's limit (a declared length past it refused unread), then given
    to the app as it came; a 413 past the limit, so no route reads an unbounded body."""
    path = scope.get("path", "")
    limit = body_limit(path)
    # an upload route's body is mostly its file: say how large a file may be, not to shorten a form's text
    too_large = (RequestRefused(413, "upload_too_large", limit=limit // 2**20) if UPLOAD_PATHS.match(path)
                 else RequestRefused(413, "body_too_large", limit=limit // 1024))
    declared = dict(scope.get("headers", [])).get(b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return too_large, receive
    messages, size = [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if size > limit:
            return too_large, receive
        if not message.get("more_body", False):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return None, replay


def document_bounds(spec: dict, schemes: list[str]) -> dict:
    """Write into the OpenAPI document what check_query enforces on every parameter (no control character, at most
    MAX_VALUE_CHARS characters), that /api/ paths refuse control characters (400), and the rating schemes
    a `scheme` parameter may name (those of the scheme files and the stored ratings)."""
    for ops in spec.get("paths", {}).values():
        for op in ops.values():
            for param in op.get("parameters", []):
                schema = param.get("schema", {})
                strings = [x for x in [schema, *schema.get("anyOf", [])] if x.get("type") == "string"]
                for x in strings:
                    x.setdefault("pattern", VALUE_PATTERN)
                    x.setdefault("maxLength", MAX_VALUE_CHARS)
                if param["name"] == "scheme" and strings:
                    strings[0]["enum"] = list(schemes)
            if op.get("responses", {}).get("422"):
                op["responses"].setdefault("400", {**op["responses"]["422"],
                                                   "description": "a control character in the path"})
    return spec


DEFAULT_HOSTS = ("localhost", "127.0.0.1")


def allowed_hosts(extra: Iterable[str] = ()) -> list[str]:
    """Host names the app answers: $MIERUKA_ALLOWED_HOSTS (comma- or space-separated, "*" for any), else the
    loopback names; plus any given (the address `mieruka serve --host` listens on)."""
    configured = os.environ.get("MIERUKA_ALLOWED_HOSTS", "").replace(",", " ").split()
    hosts = configured or list(DEFAULT_HOSTS)
    hosts += [h for h in extra if h and h not in ("0.0.0.0", "::", "") and h not in hosts]
    return hosts


def finite_amount(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and abs(value) <= MAX_AMOUNT
