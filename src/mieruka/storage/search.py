"""Japanese full-text search over national measures and advanced cases: SQLite FTS5 with the trigram tokenizer,
PostgreSQL with pg_trgm (or plain ILIKE where the extension cannot be created), written by the writers of the rows."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, selectinload

from mieruka.jp import normalise_text
from mieruka.storage import models as m

KINDS = ("measure", "case")
# A trigram index cannot find a term shorter than this; such terms fall back to a substring scan.
TRIGRAM = 3
_SNIPPET_CHARS = 40
# Bounds on what one query may ask: every term is one more condition over the whole index.
MAX_QUERY_CHARS = 200
MAX_TERMS = 16


class SearchQueryError(ValueError):
    """A query the search refuses to run; `key` and `fields` name the message (web/templates/i18n/messages.toml)."""

    def __init__(self, key: str, **fields):
        self.key, self.fields = key, fields
        super().__init__(f"{key}: {fields}")


@dataclass
class Hit:
    kind: str
    ref: int
    title: str
    snippet: str


def _joined(parts) -> str:
    """Indexed text: each part NFKC-folded like the queries (full-width digits and letters match ASCII ones)."""
    return " / ".join(normalise_text(p) for p in parts if p)


def _terms(query: str) -> list[str]:
    """The query's terms; SearchQueryError when it is longer than MAX_QUERY_CHARS or has more than MAX_TERMS terms."""
    query = query or ""
    if len(query) > MAX_QUERY_CHARS:
        raise SearchQueryError("search.too_long", limit=MAX_QUERY_CHARS, length=len(query))
    # Split before normalising: normalise_text glues Japanese words a space separates, and here a space means AND.
    terms = [t for t in (normalise_text(w) for w in query.split()) if t]
    if len(terms) > MAX_TERMS:
        raise SearchQueryError("search.too_many_terms", limit=MAX_TERMS, count=len(terms))
    return terms


def _measure_entries(session: Session, ids: list[int] | None = None) -> list[tuple[str, int, str, str]]:
    q = select(m.Measure).options(selectinload(m.Measure.ministries).selectinload(m.MeasureMinistry.organisation))
    rows = session.scalars(q if ids is None else q.where(m.Measure.id.in_(ids))).all()
    out = []
    for x in rows:
        parts = [x.name, x.code, x.kpi_progress, x.kpi_effect, x.overview, x.pillar, x.timing, x.support,
                 x.budget_programme, *(mm.organisation.name for mm in x.ministries)]
        out.append(("measure", x.id, normalise_text(x.name), _joined(parts)))
    return out


def _case_entries(session: Session, ids: list[int] | None = None) -> list[tuple[str, int, str, str]]:
    q = select(m.AdvancedCase).options(selectinload(m.AdvancedCase.effects))
    rows = session.scalars(q if ids is None else q.where(m.AdvancedCase.id.in_(ids))).all()
    out = []
    for c in rows:
        parts = [c.title, c.theme, c.summary, *(c.municipalities or []), *(e.text for e in c.effects)]
        out.append(("case", c.id, normalise_text(c.title), _joined(parts)))
    return out


def _fingerprint(session: Session, exclude: dict[str, list[int]] | None = None) -> str:
    """Changes whenever measures or cases are added or removed (rows are never edited in place after ingest);
    `exclude` gives it as it was before the rows of those ids were written."""
    parts = []
    for kind, model in (("measure", m.Measure), ("case", m.AdvancedCase)):
        q = select(func.count(model.id), func.max(model.id), func.sum(model.id))
        left_out = (exclude or {}).get(kind)
        if left_out:
            q = q.where(model.id.not_in(left_out))
        n, top, total = session.execute(q).one()
        parts.append(f"{n}:{top}:{total}")
    return "|".join(parts)


class _Backend:
    """What differs between SQLite and PostgreSQL: creating the index table and matching terms."""

    def __init__(self, session: Session):
        self.s = session

    def create(self) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        self.s.execute(text("DELETE FROM search_entries"))

    def insert(self, entries: list[tuple[str, int, str, str]]) -> None:
        if entries:
            self.s.execute(text("INSERT INTO search_entries (kind, ref, title, body) VALUES (:kind, :ref, :title, :body)"),
                           [{"kind": k, "ref": r, "title": t, "body": b} for k, r, t, b in entries])

    def conditions(self, terms: list[str], kinds: tuple[str, ...]) -> tuple[str, dict, str]:
        """The WHERE clause, its parameters and the ORDER BY of a query for every term."""
        raise NotImplementedError

    def find(self, terms: list[str], kinds: tuple[str, ...], limit: int | None = None,
             offset: int = 0) -> list[tuple[str, int, str, str]]:
        where, params, order = self.conditions(terms, kinds)
        sql = f"SELECT kind, ref, title, body FROM search_entries WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += " LIMIT :limit OFFSET :offset"
            params = {**params, "limit": limit, "offset": offset}
        return [tuple(r) for r in self.s.execute(text(sql), params)]

    def count(self, terms: list[str], kinds: tuple[str, ...]) -> int:
        where, params, _ = self.conditions(terms, kinds)
        return self.s.execute(text(f"SELECT count(*) FROM search_entries WHERE {where}"), params).scalar()

    def exists(self) -> bool:
        raise NotImplementedError


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class _SQLite(_Backend):
    def exists(self) -> bool:
        return self.s.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'search_entries'")).first() is not None

    def create(self) -> None:
        self.s.execute(text("CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT)"))
        self.s.execute(text("CREATE VIRTUAL TABLE IF NOT EXISTS search_entries USING fts5("
                            "kind UNINDEXED, ref UNINDEXED, title, body, tokenize='trigram')"))

    def conditions(self, terms, kinds):
        # Terms of three or more characters go through the trigram index (ranked by bm25); shorter ones,
        # common in Japanese (窓口, 税), are matched as substrings of the indexed text. The ESCAPE clause also
        # keeps FTS5 from taking the LIKE over: its trigram LIKE finds no row for a pattern under 3 characters.
        long_terms = [t for t in terms if len(t) >= TRIGRAM]
        short_terms = [t for t in terms if len(t) < TRIGRAM]
        where = [f"kind IN ({', '.join(f':k{i}' for i in range(len(kinds)))})"]
        params: dict = {f"k{i}": k for i, k in enumerate(kinds)}
        if long_terms:
            where.append("search_entries MATCH :match")
            params["match"] = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
        for i, t in enumerate(short_terms):
            where.append(f"body LIKE :s{i} ESCAPE '\\'")
            params[f"s{i}"] = _like(t)
        order = "bm25(search_entries), kind, ref" if long_terms else "kind, ref"
        return " AND ".join(where), params, order


class _Postgres(_Backend):
    def exists(self) -> bool:
        return self.s.execute(text("SELECT to_regclass('search_entries') IS NOT NULL")).scalar()

    def create(self) -> None:
        self.s.execute(text("CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT)"))
        self.s.execute(text("CREATE TABLE IF NOT EXISTS search_entries "
                            "(kind TEXT NOT NULL, ref INTEGER NOT NULL, title TEXT, body TEXT, PRIMARY KEY (kind, ref))"))
        schema = self.trigram_schema()
        if schema is not None:
            quoted = '"' + schema.replace('"', '""') + '"'
            self.s.execute(text("CREATE INDEX IF NOT EXISTS search_entries_body_trgm "
                                f"ON search_entries USING gin (body {quoted}.gin_trgm_ops)"))

    def trigram_schema(self) -> str | None:
        """The schema pg_trgm lives in, creating the extension if this role may; None without it (ILIKE still
        finds every match, only unindexed). The operator class is named with its schema: the extension may sit
        in a schema outside the search path."""
        find = text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                    "WHERE e.extname = 'pg_trgm'")
        schema = self.s.execute(find).scalar()
        if schema is not None:
            return schema
        # In public when there is one: created in the first schema of the search path, the extension would go
        # when that schema is dropped, taking every other schema's trigram index with it.
        for statement in ("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public", "CREATE EXTENSION IF NOT EXISTS pg_trgm"):
            try:
                with self.s.begin_nested():
                    self.s.execute(text(statement))
                break
            except DBAPIError:
                continue
        return self.s.execute(find).scalar()

    def conditions(self, terms, kinds):
        where = ["kind = ANY(:kinds)"]
        params: dict = {"kinds": list(kinds)}
        for i, t in enumerate(terms):
            where.append(f"body ILIKE :s{i} ESCAPE '\\'")
            params[f"s{i}"] = _like(t)
        return " AND ".join(where), params, "kind, ref"


def _backend(session: Session) -> _Backend:
    return _Postgres(session) if session.get_bind().dialect.name == "postgresql" else _SQLite(session)


def _store_fingerprint(session: Session, value: str) -> None:
    # An upsert: two ingests committing together must not both insert the row (the second would fail).
    session.execute(text("INSERT INTO search_meta (key, value) VALUES ('fingerprint', :v) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), {"v": value})


def _stored_fingerprint(session: Session) -> str | None:
    return session.execute(text("SELECT value FROM search_meta WHERE key = 'fingerprint'")).scalar()


def ensure_search_index(session: Session) -> bool:
    """Create the index tables if missing and rebuild the entries when they do not follow the tables; True if rebuilt.

    Writers call it (through index_written) and `mieruka serve` at start-up, for a database written before the
    index existed or by a tool that bypassed storage; requests never do."""
    backend = _backend(session)
    backend.create()
    current = _fingerprint(session)
    if _stored_fingerprint(session) == current:
        return False
    backend.clear()
    backend.insert(_measure_entries(session) + _case_entries(session))
    _store_fingerprint(session, current)
    session.flush()
    return True


def index_written(session: Session, measure_ids: list[int], case_ids: list[int]) -> None:
    """Add the entries of measures and cases just written, in the writer's transaction: the cost follows the
    new rows, not the whole index. An index that did not follow the tables before them is rebuilt instead."""
    if not measure_ids and not case_ids:
        return
    session.flush()
    backend = _backend(session)
    if not backend.exists():  # no DDL on the usual path: on PostgreSQL it would queue every writer behind another
        ensure_search_index(session)
        return
    before = _fingerprint(session, exclude={"measure": measure_ids, "case": case_ids})
    if _stored_fingerprint(session) != before:
        ensure_search_index(session)
        return
    backend.insert(_measure_entries(session, measure_ids) + _case_entries(session, case_ids))
    _store_fingerprint(session, _fingerprint(session))
    session.flush()


def _snippet(body: str, terms: list[str]) -> str:
    low = body.casefold()
    at = min((i for i in (low.find(t.casefold()) for t in terms) if i >= 0), default=0)
    start = max(0, at - _SNIPPET_CHARS)
    end = min(len(body), at + _SNIPPET_CHARS * 2)
    return ("…" if start else "") + body[start:end] + ("…" if end < len(body) else "")


def search(session: Session, query: str, kinds: tuple[str, ...] = KINDS, limit: int | None = None,
           offset: int = 0) -> list[Hit]:
    """Entries containing every whitespace-separated term of the query, best first (`limit` of them from
    `offset` when given); empty query, no hits. SearchQueryError when the query is too long."""
    terms = _terms(query)
    backend = _backend(session)
    if not terms or not backend.exists():  # no index yet: no measure or case was ever written through storage
        return []
    return [Hit(kind, int(ref), title, _snippet(body, terms))
            for kind, ref, title, body in backend.find(terms, kinds, limit, offset)]


def search_count(session: Session, query: str, kinds: tuple[str, ...] = KINDS) -> int:
    """How many entries `search` finds for the query."""
    terms = _terms(query)
    backend = _backend(session)
    if not terms or not backend.exists():
        return 0
    return backend.count(terms, kinds)


def search_ids(session: Session, query: str, kind: str) -> list[int]:
    """Ids of the measures (kind "measure") or cases ("case") matching the query, best first."""
    return [h.ref for h in search(session, query, (kind,))]
