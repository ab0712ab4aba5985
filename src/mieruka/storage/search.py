"""Japanese full-text search over KPIs, national measures, advanced cases, documents and local bodies: SQLite FTS5
with the trigram tokenizer, PostgreSQL with pg_trgm (or plain ILIKE where the extension cannot be created), written by
the writers of the rows. Each entry keeps the katakana reading of its names beside its text, so kana find kanji."""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, selectinload

from mieruka.jp import normalise_text
from mieruka.jp.readings import reading, to_katakana
from mieruka.storage import models as m

# In this order when two entries match as well: a place or a KPI named by the words before what mentions them.
KINDS = ("body", "kpi", "measure", "case", "document")
# A trigram index cannot find a term shorter than this; such terms fall back to a substring scan.
TRIGRAM = 3
_SNIPPET_CHARS = 40
# Bounds on what one query may ask: every term is one more condition over the whole index.
MAX_QUERY_CHARS = 200
MAX_TERMS = 16
# How many entries one term of a ranked search may bring (each term is one indexed query).
MAX_PER_TERM = 500
# Written into search_meta with the fingerprint: an index built by another layout of entries is rebuilt.
# 3: on SQLite each entry's rowid is made of its kind and its ref (see _rowid).
_LAYOUT = "3"
# On SQLite an entry's rowid is its kind's place in the kinds' alphabetical order × _KIND_ROWS + its ref: rowid order
# is (kind, ref) order, the order ties in rank take, a kind is a range of rowids, and an entry is found by rowid, all
# without reading the rows' text (which FTS5 keeps apart; reading it for 1,500 hits was half a search's time).
_KIND_ROWS = 1 << 40
_ROWID_KINDS = tuple(sorted(KINDS))
# How many totals of queries each database keeps (see search_count).
MAX_TOTALS = 512


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
    matched: int = 0  # in a ranked search: how many of the query's words the entry holds

    @property
    def key(self) -> str:
        """The entry's id as its page names it: a local body's six-digit code, any other row's number."""
        return f"{self.ref:06d}" if self.kind == "body" else str(self.ref)


Entry = tuple[str, int, str, str, str, str]  # kind, ref, title, body, reading of the title, readings of other names


def _joined(parts) -> str:
    """Indexed text: each part NFKC-folded like the queries (full-width digits and letters match ASCII ones)."""
    return " / ".join(normalise_text(p) for p in parts if p)


def _readings(names) -> str:
    return " / ".join(r for r in (reading(normalise_text(n)) for n in names if n) if r)


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


def _measure_entries(session: Session, ids=None) -> list[Entry]:
    q = select(m.Measure).options(selectinload(m.Measure.ministries).selectinload(m.MeasureMinistry.organisation))
    rows = session.scalars(q if ids is None else q.where(m.Measure.id.in_(ids))).all()
    out = []
    for x in rows:
        ministries = [mm.organisation.name for mm in x.ministries]
        parts = [x.name, x.code, x.kpi_progress, x.kpi_effect, x.overview, x.pillar, x.timing, x.support,
                 x.budget_programme, *ministries]
        out.append(("measure", x.id, normalise_text(x.name), _joined(parts), _readings([x.name]), _readings(ministries)))
    return out


def _case_entries(session: Session, ids=None) -> list[Entry]:
    q = select(m.AdvancedCase).options(selectinload(m.AdvancedCase.effects))
    rows = session.scalars(q if ids is None else q.where(m.AdvancedCase.id.in_(ids))).all()
    out = []
    for c in rows:
        parts = [c.title, c.theme, c.summary, *(c.municipalities or []), *(e.text for e in c.effects)]
        out.append(("case", c.id, normalise_text(c.title), _joined(parts), _readings([c.title]),
                    _readings([c.theme, *(c.municipalities or [])])))
    return out


def _kpi_entries(session: Session, ids=None) -> list[Entry]:
    q = select(m.Kpi).options(selectinload(m.Kpi.reform_item), selectinload(m.Kpi.organisation))
    rows = session.scalars(q if ids is None else q.where(m.Kpi.id.in_(ids))).all()
    wordings: dict[int, set[str]] = {}
    aq = select(m.KpiAppearance.kpi_id, m.KpiAppearance.name_as_written)
    for kpi_id, written in session.execute(aq if ids is None else aq.where(m.KpiAppearance.kpi_id.in_(ids))):
        wordings.setdefault(kpi_id, set()).add(written)
    out = []
    for k in rows:
        item = k.reform_item.name if k.reform_item else None
        ministry = k.organisation.name if k.organisation else None
        parts = [k.name, *sorted(wordings.get(k.id, set()) - {k.name}), item, ministry, k.unit]
        out.append(("kpi", k.id, normalise_text(k.name), _joined(parts), _readings([k.name]),
                    _readings([item, ministry])))
    return out


def _document_entries(session: Session, ids=None) -> list[Entry]:
    q = select(m.Document.id, m.Document.title, m.Document.file_name, m.Document.family, m.Document.doc_date)
    out = []
    for doc_id, title, file_name, family, doc_date in session.execute(q if ids is None else q.where(m.Document.id.in_(ids))):
        parts = [title, file_name, family, doc_date.isoformat() if doc_date else None]
        out.append(("document", doc_id, normalise_text(title or file_name), _joined(parts), _readings([title]), ""))
    return out


def _body_entries(session: Session, ids=None) -> list[Entry]:
    q = select(m.LocalBody.code, m.LocalBody.prefecture, m.LocalBody.name, m.LocalBody.kana, m.LocalBody.kind)
    if ids is not None:
        q = q.where(m.LocalBody.code.in_([f"{i:06d}" for i in ids]))
    out = []
    for code, prefecture, name, kana, kind in session.execute(q):
        shown = name if name == prefecture else f"{name}（{prefecture}）"
        parts = [name, prefecture + name if name != prefecture else None, code, kind]
        # the registry's own kana (the dictionary may read a rare place name otherwise)
        out.append(("body", int(code), normalise_text(shown), _joined(parts),
                    to_katakana(kana) if kana else _readings([name]), _readings([prefecture])))
    return out


_SOURCES = {"kpi": (m.Kpi, _kpi_entries), "measure": (m.Measure, _measure_entries),
            "case": (m.AdvancedCase, _case_entries), "document": (m.Document, _document_entries),
            "body": (m.LocalBody, _body_entries)}


def _ids(session: Session, kind: str) -> set[int]:
    model = _SOURCES[kind][0]
    if kind == "body":
        return {int(c) for c in session.scalars(select(m.LocalBody.code))}
    return set(session.scalars(select(model.id)))


def _fingerprint(session: Session) -> str:
    """Changes whenever rows of any kind are added or removed (rows are never edited in place after ingest)."""
    parts = [_LAYOUT]
    for kind in KINDS:
        model = _SOURCES[kind][0]
        if kind == "body":
            parts.append(str(session.scalar(select(func.count()).select_from(model))))
            continue
        n, top, total = session.execute(select(func.count(model.id), func.max(model.id), func.sum(model.id))).one()
        parts.append(f"{n}:{top}:{total}")
    return "|".join(parts)


class _Backend:
    """What differs between SQLite and PostgreSQL: creating the index table and matching terms."""

    columns = "kind, ref, title, body, reading, names"

    def __init__(self, session: Session):
        self.s = session

    def create(self) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        self.s.execute(text("DELETE FROM search_entries"))

    def indexed(self, kind: str) -> set[int]:
        return {int(r) for r in self.s.scalars(text("SELECT ref FROM search_entries WHERE kind = :k"), {"k": kind})}

    def remove(self, kind: str, refs) -> None:
        for ref in refs:
            self.s.execute(text("DELETE FROM search_entries WHERE kind = :k AND ref = :r"), {"k": kind, "r": ref})

    def insert(self, entries: list[Entry]) -> None:
        if entries:
            self.s.execute(text("INSERT INTO search_entries (kind, ref, title, body, reading, names) "
                                "VALUES (:kind, :ref, :title, :body, :reading, :names)"),
                           [{"kind": k, "ref": r, "title": t, "body": b, "reading": rd, "names": n}
                            for k, r, t, b, rd, n in entries])

    def conditions(self, terms: list[str], kinds: tuple[str, ...]) -> tuple[str, dict, str]:
        """The WHERE clause, its parameters and the ORDER BY of a query for every term."""
        raise NotImplementedError

    def find(self, terms: list[str], kinds: tuple[str, ...], limit: int | None = None,
             offset: int = 0) -> list[tuple]:
        where, params, order = self.conditions(terms, kinds)
        sql = f"SELECT kind, ref, title, body, reading FROM search_entries WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += " LIMIT :limit OFFSET :offset"
            params = {**params, "limit": limit, "offset": offset}
        return [tuple(r) for r in self.s.execute(text(sql), params)]

    def count(self, terms: list[str], kinds: tuple[str, ...]) -> tuple[str | None, int]:
        """The stored fingerprint and how many entries match, read in one statement: the count is that of the index
        the fingerprint names, even with a writer committing in between."""
        where, params, _ = self.conditions(terms, kinds)
        fingerprint, n = self.s.execute(text(
            "SELECT (SELECT value FROM search_meta WHERE key = 'fingerprint'), count(*) "
            f"FROM search_entries WHERE {where}"), params).one()
        return fingerprint, n

    def exists(self) -> bool:
        raise NotImplementedError

    def analyse(self) -> None:
        """Statistics for the planner after the index was (re)built; SQLite's FTS5 needs none."""


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _kana(term: str) -> str:
    """The form a term takes in the readings: katakana."""
    return to_katakana(term)


def _rowid(kind: str, ref: int) -> int:
    return _ROWID_KINDS.index(kind) * _KIND_ROWS + int(ref)


class _SQLite(_Backend):
    def exists(self) -> bool:
        return self.s.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'search_entries'")).first() is not None

    def create(self) -> None:
        self.s.execute(text("CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT)"))
        self.s.execute(text("CREATE VIRTUAL TABLE IF NOT EXISTS search_entries USING fts5("
                            "kind UNINDEXED, ref UNINDEXED, title, body, reading, names, tokenize='trigram')"))

    def indexed(self, kind: str) -> set[int]:
        low = _rowid(kind, 0)
        rows = self.s.scalars(text("SELECT rowid FROM search_entries WHERE rowid >= :lo AND rowid < :hi"),
                              {"lo": low, "hi": low + _KIND_ROWS})
        return {int(r) - low for r in rows}

    def remove(self, kind: str, refs) -> None:
        refs = list(refs)
        if refs:
            self.s.execute(text("DELETE FROM search_entries WHERE rowid = :r"), [{"r": _rowid(kind, x)} for x in refs])

    def insert(self, entries: list[Entry]) -> None:
        if entries:
            self.s.execute(text("INSERT INTO search_entries (rowid, kind, ref, title, body, reading, names) "
                                "VALUES (:rowid, :kind, :ref, :title, :body, :reading, :names)"),
                           [{"rowid": _rowid(k, r), "kind": k, "ref": r, "title": t, "body": b, "reading": rd,
                             "names": n} for k, r, t, b, rd, n in entries])

    def conditions(self, terms, kinds):
        # Terms of three or more characters go through the trigram index (ranked by bm25), in the text or, as
        # katakana, in the readings; shorter ones, common in Japanese (窓口, 税), are matched as substrings. The ESCAPE
        # clause also keeps FTS5 from taking the LIKE over: its trigram LIKE finds no row for a pattern under 3 characters.
        # The kinds are rowid ranges: no entry's text is read to tell its kind.
        where, params = [], {}
        if set(kinds) != set(KINDS):
            ranges = []
            for i, k in enumerate(kinds):
                ranges.append(f"(rowid >= :lo{i} AND rowid < :hi{i})")
                params[f"lo{i}"], params[f"hi{i}"] = _rowid(k, 0), _rowid(k, 0) + _KIND_ROWS
            where.append("(" + " OR ".join(ranges) + ")" if len(ranges) > 1 else ranges[0])
        matches = []
        for i, t in enumerate(terms):
            kana = _kana(t)
            if len(t) >= TRIGRAM:
                quoted = {'"' + x.replace('"', '""') + '"' for x in (t, kana)}
                matches.append("(" + " OR ".join(sorted(quoted)) + ")" if len(quoted) > 1 else quoted.pop())
            else:
                where.append(f"(body LIKE :s{i} ESCAPE '\\' OR reading LIKE :r{i} ESCAPE '\\' "
                             f"OR names LIKE :r{i} ESCAPE '\\')")
                params[f"s{i}"], params[f"r{i}"] = _like(t), _like(kana)
        if matches:
            where.append("search_entries MATCH :match")
            params["match"] = " AND ".join(matches)
        # rowid order is (kind, ref) order: the ties need no entry's text read either
        order = "bm25(search_entries), rowid" if matches else "rowid"
        return " AND ".join(where) or "1 = 1", params, order


class _Postgres(_Backend):
    def exists(self) -> bool:
        return self.s.execute(text("SELECT to_regclass('search_entries') IS NOT NULL")).scalar()

    def create(self) -> None:
        self.s.execute(text("CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT)"))
        self.s.execute(text("CREATE TABLE IF NOT EXISTS search_entries (kind TEXT NOT NULL, ref INTEGER NOT NULL, "
                            "title TEXT, body TEXT, reading TEXT, names TEXT, PRIMARY KEY (kind, ref))"))
        schema = self.trigram_schema()
        if schema is not None:
            quoted = '"' + schema.replace('"', '""') + '"'
            for column in ("body", "reading", "names"):
                self.s.execute(text(f"CREATE INDEX IF NOT EXISTS search_entries_{column}_trgm "
                                    f"ON search_entries USING gin ({column} {quoted}.gin_trgm_ops)"))

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
        # every kind: no condition on it, which the planner took for the way in (the primary key, then every row's
        # text through ILIKE) instead of the trigram indexes
        where, params = ([], {}) if set(kinds) == set(KINDS) else (["kind = ANY(:kinds)"], {"kinds": list(kinds)})
        for i, t in enumerate(terms):
            kana = _kana(t)
            # a term without letter case (kana, kanji, digits) is matched by LIKE: the same rows as ILIKE, without
            # folding the case of every candidate's text (a third of the time of 「クラウド」's count)
            op = "LIKE" if t.lower() == t.upper() and kana.lower() == kana.upper() else "ILIKE"
            where.append(f"(body {op} :s{i} ESCAPE '\\' OR reading {op} :r{i} ESCAPE '\\' "
                         f"OR names {op} :r{i} ESCAPE '\\')")
            params[f"s{i}"], params[f"r{i}"] = _like(t), _like(kana)
        return " AND ".join(where) or "TRUE", params, "kind, ref"

    def analyse(self) -> None:
        # the planner's counts of the entries: without them it reads every entry's text rather than the trigram
        # indexes (310 ms instead of 33 for 「クラウド」 over the national benchmark's 14,000 entries)
        self.s.execute(text("ANALYZE search_entries"))


def _backend(session: Session) -> _Backend:
    return _Postgres(session) if session.get_bind().dialect.name == "postgresql" else _SQLite(session)


def _store_fingerprint(session: Session, value: str) -> None:
    # An upsert: two ingests committing together must not both insert the row (the second would fail).
    session.execute(text("INSERT INTO search_meta (key, value) VALUES ('fingerprint', :v) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), {"v": value})


def _stored_fingerprint(session: Session) -> str | None:
    return session.execute(text("SELECT value FROM search_meta WHERE key = 'fingerprint'")).scalar()


def _catch_up(session: Session, backend: _Backend) -> bool:
    """Index the rows the index lacks and drop the entries of rows gone, kind by kind: the cost follows what changed."""
    changed = False
    for kind in KINDS:
        have, indexed = _ids(session, kind), backend.indexed(kind)
        missing, gone = sorted(have - indexed), sorted(indexed - have)
        if gone:
            backend.remove(kind, gone)
        for start in range(0, len(missing), 500):
            backend.insert(_SOURCES[kind][1](session, missing[start:start + 500]))
        changed = changed or bool(missing or gone)
    return changed


def search_index_current(session: Session) -> bool:
    """The index tables exist and their entries are in step with the tables: reads only, so a start-up that finds
    it so writes nothing and waits for no writer."""
    return _backend(session).exists() and _stored_fingerprint(session) == _fingerprint(session)


def ensure_search_index(session: Session) -> bool:
    """Create the index tables if missing and bring the entries in step with the tables; True if anything changed.

    Writers call it (through index_written) and `mieruka serve` at start-up, for a database written before the
    index existed or by a tool that bypassed storage; requests never do."""
    backend = _backend(session)
    backend.create()
    current = _fingerprint(session)
    stored = _stored_fingerprint(session)
    if stored == current:
        return False
    if stored is None or stored.split("|", 1)[0] != _LAYOUT:
        backend.clear()  # built by another layout of entries: every entry again
    _catch_up(session, backend)
    _store_fingerprint(session, current)
    session.flush()
    backend.analyse()
    return True


def index_written(session: Session, new: dict[str, list[int]] | None = None) -> None:
    """Add the entries of rows just written (KPIs, measures, cases, documents, local bodies), in the writer's
    transaction. `new` names the rows this writer added, by kind ("kpi": [ids], ...): only those are indexed and the
    stored fingerprint moves by exactly them, so the cost follows the new rows, not the whole index or table (an
    index that was behind stays behind by as much, for start-up's ensure_search_index to catch up). Without `new`,
    every kind is compared with its table."""
    session.flush()
    backend = _backend(session)
    if not backend.exists():  # no DDL on the usual path: on PostgreSQL it would queue every writer behind another
        ensure_search_index(session)
        return
    stored = _stored_fingerprint(session)
    if stored is None or stored.split("|", 1)[0] != _LAYOUT:
        ensure_search_index(session)  # another layout: built again whole
        return
    # No DDL here: on PostgreSQL it would queue every writer behind another. A concurrent writer's rows are not
    # seen until it commits, and it indexes them itself; the fingerprint row is where the second one waits.
    if new is not None:
        for kind, ids in new.items():
            ids = sorted(set(ids))
            for start in range(0, len(ids), 500):
                backend.insert(_SOURCES[kind][1](session, ids[start:start + 500]))
        _store_fingerprint(session, _moved(stored, new))
        session.flush()
        return
    current = _fingerprint(session)
    if stored == current:
        return
    _catch_up(session, backend)
    _store_fingerprint(session, current)
    session.flush()


def _moved(fingerprint: str, new: dict[str, list[int]]) -> str:
    """The fingerprint once the rows `new` names are added: each kind's count, highest id and sum of ids moved by
    them (a local body's part is its count)."""
    layout, *parts = fingerprint.split("|")
    out = [layout]
    for kind, part in zip(KINDS, parts):
        ids = set(new.get(kind, ()))
        if kind == "body":
            out.append(str(int(part) + len(ids)))
            continue
        n, top, total = part.split(":")  # "0:None:None" for an empty table, as the database's aggregates say
        if ids:
            top = str(max(ids) if top == "None" else max(int(top), *ids))
            total = str(sum(ids) + (0 if total == "None" else int(total)))
        out.append(f"{int(n) + len(ids)}:{top}:{total}")
    return "|".join(out)


def _snippet(body: str, terms: list[str]) -> str:
    low = body.casefold()
    at = min((i for i in (low.find(t.casefold()) for t in terms) if i >= 0), default=0)
    start = max(0, at - _SNIPPET_CHARS)
    end = min(len(body), at + _SNIPPET_CHARS * 2)
    return ("…" if start else "") + body[start:end] + ("…" if end < len(body) else "")


def search(session: Session, query: str, kinds: tuple[str, ...] = KINDS, limit: int | None = None,
           offset: int = 0) -> list[Hit]:
    """Entries containing every whitespace-separated term of the query (in their text, or as kana in the readings of
    their names), best first (`limit` of them from `offset` when given); empty query, no hits. SearchQueryError when
    the query is too long."""
    terms = _terms(query)
    backend = _backend(session)
    if not terms or not backend.exists():  # no index yet: nothing was ever written through storage
        return []
    return [Hit(kind, int(ref), title, _snippet(body, terms), len(terms))
            for kind, ref, title, body, _ in backend.find(terms, kinds, limit, offset)]


def ranked_search(session: Session, query: str, kinds: tuple[str, ...] = KINDS) -> list[Hit]:
    """Entries holding all the query's words first, then those holding fewer, fewest last; among equals, those whose
    name (or its reading) holds more of the words, then local bodies, KPIs, measures, cases, documents. Each word is
    one indexed query of at most MAX_PER_TERM entries."""
    terms = _terms(query)
    backend = _backend(session)
    if not terms or not backend.exists():
        return []
    found: dict[tuple[str, int], list] = {}
    for term in dict.fromkeys(terms):
        for kind, ref, title, body, title_reading in backend.find([term], kinds, MAX_PER_TERM):
            entry = found.setdefault((kind, int(ref)), [0, 0, 0, title, body])
            entry[0] += 1
            word, kana, name, read = term.casefold(), _kana(term).casefold(), title.casefold(), (title_reading or "").casefold()
            if word in name or (read and kana in read):
                entry[1] += 1
            if name.startswith(word) or (read and read.startswith(kana)):
                entry[2] += 1  # the name begins with the word: 「しょむ」 is 庶務 before ロッカショムラ (六ヶ所村)
    order = {k: i for i, k in enumerate(KINDS)}
    # then the shorter name, then the older row: the same order on SQLite and PostgreSQL
    ranked = sorted(found.items(), key=lambda x: (-x[1][0], -x[1][1], -x[1][2], order[x[0][0]], len(x[1][3]),
                                                  x[0][1]))
    return [Hit(kind, ref, title, _snippet(body, terms), matched)
            for (kind, ref), (matched, _, _, title, body) in ranked]


class _Totals:
    """The totals of queries counted over each database's index, by the index's fingerprint: a count of a common term
    reads every entry holding it (1,500 of the national benchmark's 14,000 for 「クラウド」, two thirds of the answer's
    time on PostgreSQL), and the entries change only with the fingerprint. Kept per engine (a URL, with its schema),
    gone with it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_engine: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, bind, key) -> int | None:
        with self.lock:
            kept = self.by_engine.get(bind)
            if kept is None or key not in kept:
                return None
            kept.move_to_end(key)
            return kept[key]

    def put(self, bind, key, total: int) -> None:
        with self.lock:
            try:
                kept = self.by_engine.setdefault(bind, OrderedDict())
            except TypeError:  # a bind that cannot be referred to weakly: nothing kept
                return
            kept[key] = total
            while len(kept) > MAX_TOTALS:
                kept.popitem(last=False)


_totals = _Totals()


def search_count(session: Session, query: str, kinds: tuple[str, ...] = KINDS) -> int:
    """How many entries `search` finds for the query; counted once per state of the index (its stored fingerprint)."""
    terms = _terms(query)
    backend = _backend(session)
    if not terms or not backend.exists():
        return 0
    return _count(session, backend, terms, kinds)


def search_page(session: Session, query: str, kinds: tuple[str, ...] = KINDS, limit: int = 100,
                offset: int = 0) -> tuple[list[Hit], int]:
    """`search`'s hits from offset (limit of them) and how many there are in all, as search_count says: counted only
    when the page does not tell (it is full, or empty past the first)."""
    terms = _terms(query)
    backend = _backend(session)
    if not terms or not backend.exists():
        return [], 0
    hits = [Hit(kind, int(ref), title, _snippet(body, terms), len(terms))
            for kind, ref, title, body, _ in backend.find(terms, kinds, limit, offset)]
    if len(hits) < limit and (hits or not offset):
        return hits, offset + len(hits)
    return hits, _count(session, backend, terms, kinds)


def _count(session: Session, backend: _Backend, terms: list[str], kinds: tuple[str, ...]) -> int:
    bind = session.get_bind()
    # a reader's only: a writer's count may see entries it has not committed yet (and may never commit); on
    # PostgreSQL storage also marks any transaction that wrote (db.count_changes)
    keep = (isinstance(bind, Engine) and not bind.get_execution_options().get("writer")
            and not session.connection().info.get("wrote"))
    asked = (tuple(terms), tuple(kinds))
    fingerprint = _stored_fingerprint(session) if keep else None
    if fingerprint is not None:
        kept = _totals.get(bind, (fingerprint, *asked))
        if kept is not None:
            return kept
    fingerprint, total = backend.count(terms, kinds)
    if keep and fingerprint is not None:
        _totals.put(bind, (fingerprint, *asked), total)
    return total


def search_ids(session: Session, query: str, kind: str) -> list[int]:
    """Ids of the rows of one kind ("measure", "case", "kpi", "document") matching the query, best first."""
    return [h.ref for h in search(session, query, (kind,))]
