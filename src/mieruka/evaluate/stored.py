"""Ratings and audit findings computed when data changes and stored, so pages and the API only read them.
A pass over the database reads KPIs a chunk at a time (plain tuples), in bounded memory."""
from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.pool import Pool
from operator import itemgetter
from pathlib import Path
from typing import Iterator

from sqlalchemy.orm import Session

from mieruka.evaluate import audit_columns
from mieruka.evaluate.audit import (KINDS, RULES, Finding, audit, count_mismatches, office_conflicts, recompute_requests,
                                    rollup_compare, rollup_members, text_count_mismatches)
from mieruka.evaluate.fast import loaded_observations, rate_chunk, rate_requests
from mieruka.evaluate.rate import GroupResult, RatingResult, group_keys, roll_up_group
from mieruka.evaluate.schemes import Scheme, available, load
from mieruka.evaluate.series import DocDates
from mieruka.processes.workers import helper_started
from mieruka.storage.queries import (audit_observation_columns, document_date_facts, document_file_names,
                                     count_kpis, kpi_ids_of, kpi_row_chunks, observation_dicts, observation_rows, read_ahead,
                                     superseded_observations)
from mieruka.storage.ratings import (AUDIT_KIND_SPAN, AUDIT_LATE, AUDIT_TAIL, add_audit_findings, audit_data_key,
                                     hold_audit_run,
                                     audited_dates, begin_audit, count_text_rows, documents_upto,
                                     drop_audit_findings,
                                     item_first_kpis, kpis_changed_since, latest_audit_run, policy_result_rows,
                                     MAX_RATING_DATES, rating_runs, reader_dates, record_rating_run, replace_computed,
                                     rollup_kpis, set_audit_key, stale_kpis, stored_audit_page,
                                     stored_audit_rows, audit_stored, stored_date_sets)
from mieruka.storage.summaries import ensure_summaries, kpi_versions

CHUNK = 200


@contextmanager
def bulk_pass() -> Iterator[None]:
    """Around a pass over every KPI: the collector of reference cycles paused, the objects from before the pass set aside
    (gc.freeze), and one collection at the end. A chunk's hundred thousand observation dicts made it run over and over
    (measured: 40 % of reading them on the national database); they hold no cycles, so their memory goes as each chunk
    is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.collect()
        if enabled:
            gc.enable()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def scheme_file(scheme: Scheme) -> Path | None:
    return available().get(scheme.name)


def document_dates_of(session: Session) -> DocDates:
    """evaluate.series.document_dates over the whole database, without reading every KPI."""
    stated, inferred = document_date_facts(session)
    out = DocDates(stated)
    out.update(inferred)
    out.inferred.update(inferred)
    return out


@dataclass
class Evaluation:
    """What one pass of a scheme gave: a result per KPI (without its series) and the roll-up groups."""

    scheme: str
    as_of: date
    results: list[RatingResult] = field(default_factory=list)
    groups: list[GroupResult] = field(default_factory=list)


def _stored(r: RatingResult, version: int | None) -> dict:
    return {"kpi_id": r.kpi_id, "code": r.code, "explanation": r.explanation, "explanation_en": r.explanation_en,
            "as_of": r.as_of, "details": r.details(), "data_version": version}


def evaluate(session: Session, scheme: Scheme, as_of: date, kpi_ids: list[int] | None = None, store: bool = True,
             policies: dict | None = None) -> Evaluation:
    """Rate the KPIs (all when kpi_ids is None) under scheme as of a date, a chunk at a time by the bulk rater
    (evaluate.fast); with store, replace their computed ratings, each marked with the data version it was computed
    from. Results keep no series (memory)."""
    with bulk_pass():
        return _evaluate(session, scheme, as_of, kpi_ids, store, policies)


def _evaluate(session: Session, scheme: Scheme, as_of: date, kpi_ids: list[int] | None, store: bool,
              policies: dict | None) -> Evaluation:
    dates = document_dates_of(session)
    out = Evaluation(scheme.name, as_of)
    grouped: dict = {}
    for kpis in kpi_row_chunks(session, CHUNK, observations=False, kpi_ids=kpi_ids):
        versions = kpi_versions(session, [k["id"] for k in kpis])
        results = rate_chunk(session, kpis, scheme, as_of, dates)
        if store:
            replace_computed(session, scheme.name, [_stored(r, versions.get(r.kpi_id)) for r in results],
                             [k["id"] for k in kpis], as_of=as_of)
        for res, kpi in zip(results, kpis):
            if scheme.rollup is not None:
                for key, name in group_keys(kpi, scheme):
                    grouped.setdefault(key, ((policies or {}).get(key, name), []))[1].append(res)
            res.series = None  # the actuals of a KPI are the bulk of its memory; nothing after this reads them
        out.results.extend(results)
    if scheme.rollup is not None:
        out.groups = [roll_up_group(name, key, members, scheme.rollup) for key, (name, members) in grouped.items()]
    return out


def evaluate_and_record(session: Session, scheme: Scheme, as_of: date, sha256: str | None = None,
                        policies: dict | None = None) -> Evaluation:
    """`mieruka evaluate`: rate every KPI, store the ratings and remember the date and scheme file, so that later
    changes to the data (or to the file) re-rate what they affect."""
    ensure_summaries(session)  # a database from before kept list rows: give every KPI a data version to rate against
    result = evaluate(session, scheme, as_of, policies=policies)
    path = scheme_file(scheme)
    sha256 = sha256 or (file_sha256(path) if path else "")
    record_rating_run(session, scheme.name, sha256, as_of)
    rate_reader_dates(session, scheme, sha256)  # the editions' and published rounds' dates, for the pages' date menu
    return result


def rate_changes(session: Session, scheme: Scheme, as_of: date) -> list[int] | None:
    """Keep a scheme's stored ratings current as of a date after a write: only the KPIs whose data changed since they
    were rated when the scheme's ratings are kept as of that date from the same file (returns them); else every KPI,
    as `mieruka evaluate` does (returns None)."""
    path = scheme_file(scheme)
    sha = file_sha256(path) if path else ""
    run = next((r for r in rating_runs(session) if r["scheme"] == scheme.name and r["as_of"] == as_of), None)
    if run is None or path is None or run["sha256"] != sha:
        evaluate_and_record(session, scheme, as_of, sha)
        return None
    ids = stale_kpis(session, scheme.name, as_of)
    if ids:
        evaluate(session, scheme, as_of, ids)
    return ids


def refresh_ratings(session: Session) -> dict[str, int]:
    """Re-rate, for each scheme and evaluation date whose ratings are kept, the KPIs whose data changed since (all of
    them when the scheme file changed), and rate each such scheme as of the dates a reader needs that it has no ratings
    for yet (an edition's date, a published round's: storage.ratings.reader_dates); returns how many KPI ratings each
    scheme made."""
    ensure_summaries(session)
    done: dict[str, int] = {}
    runs = rating_runs(session)
    files, needed = {}, reader_dates(session)
    for run in runs:
        path = available().get(run["scheme"])
        if path is None:
            continue  # a scheme given as a file outside the scheme folders: re-rated only by `mieruka evaluate`
        if run["scheme"] not in files:
            files[run["scheme"]] = (file_sha256(path), load(path))
        sha, scheme = files[run["scheme"]]
        ids = None if sha != run["sha256"] else stale_kpis(session, scheme.name, run["as_of"])
        if ids == []:
            continue
        result = evaluate(session, scheme, run["as_of"], ids)
        record_rating_run(session, scheme.name, sha, run["as_of"])
        done[scheme.name] = done.get(scheme.name, 0) + len(result.results)
    for name, (sha, scheme) in files.items():
        have = {r["as_of"] for r in runs if r["scheme"] == name}
        for when in needed[-MAX_RATING_DATES:]:
            if when not in have:
                result = evaluate(session, scheme, when)
                record_rating_run(session, name, sha, when)
                done[name] = done.get(name, 0) + len(result.results)
    return done


def rate_reader_dates(session: Session, scheme: Scheme, sha256: str | None = None) -> list[date]:
    """Rate scheme as of each date a reader needs (reader_dates) it has no stored ratings for; returns those dates."""
    have = {r["as_of"] for r in rating_runs(session) if r["scheme"] == scheme.name}
    path = scheme_file(scheme)
    sha = sha256 or (file_sha256(path) if path else "")
    added = [d for d in reader_dates(session)[-MAX_RATING_DATES:] if d not in have]
    for when in added:
        evaluate(session, scheme, when)
        record_rating_run(session, scheme.name, sha, when)
    return added


def all_schemes() -> list[Scheme]:
    return [load(name) for name in sorted(available())]


class _Placer:
    """Positions of findings in the order of evaluate.audit.audit over every KPI at once (by kind, then KPI; see
    storage.ratings.AUDIT_KIND_SPAN), numbered as they come."""

    def __init__(self):
        self.rank = {k: i for i, k in enumerate(KINDS)}
        self.seq = {"early": 0, "late": 0}

    def __call__(self, found: list[Finding]) -> list[tuple[int, Finding]]:
        out = []
        for f in sorted(found, key=lambda f: (self.rank[f.kind], f.kpi_id or 0)):
            part = "late" if f.kpi_id else "early"
            self.seq[part] += 1
            out.append((self.rank[f.kind] * AUDIT_KIND_SPAN + (AUDIT_LATE if f.kpi_id else 0) + self.seq[part], f))
        return out


# a chunk whose observations print more texts than this that a check reads is read whole, as dicts
TEXTS_READ = 2000


def audit_chunks(session: Session, dates: dict, kpi_ids: list[int] | None = None, ahead: bool = False,
                 size: int | None = None) -> Iterator[tuple[list[dict], audit_columns.Columns]]:
    """kpi_row_chunks for an audit: each chunk's KPIs with, as dicts, only the observations a check reads one by one
    (audit_columns.text_is_read, needs_observations), and every observation as columns. ahead: the next chunk's
    columns are read in a thread while this one is audited (storage.queries.read_ahead): only for a session that has
    not written what it reads (`mieruka audit`; not a refresh after a write in the same transaction)."""
    names = document_file_names(session)
    superseded = superseded_observations(session)

    def fetch(ids: list[int]) -> dict:
        return observation_rows(session, ids)

    def columns_of(reader: Session, ids: list[int]) -> list[tuple]:
        return audit_observation_columns(reader, ids, superseded, audit_columns.READ_MARKS)

    chunks = kpi_row_chunks(session, size or CHUNK, observations=False, kpi_ids=kpi_ids)
    with read_ahead(session, columns_of, thread=ahead) as read:
        kpis = next(chunks, None)
        pending = read([k["id"] for k in kpis]) if kpis else None
        while kpis:
            ids = [k["id"] for k in kpis]
            following = next(chunks, None)
            rows = pending.result()
            # the next chunk's columns are read while this one is audited
            pending = read([k["id"] for k in following]) if following else None
            texts = sorted(t for t in set(map(itemgetter(-1), rows)) - {None} if audit_columns.text_is_read(t))
            if len(texts) > TEXTS_READ:
                observations = observation_dicts(session, ids, names=names)
            else:
                observations = observation_dicts(session, ids, texts=texts, names=names)
                whole = [k["id"] for k in kpis if audit_columns.needs_observations(k)]
                observations.update(observation_dicts(session, whole, names=names) if whole else {})
            for k in kpis:
                k["observations"] = observations.get(k["id"], [])
            cols = audit_columns.columns(rows, dates, names, fetch)
            del rows  # a hundred thousand tuples, not kept while the chunk is audited
            yield kpis, cols
            kpis = following


def _recomputed(session: Session, kpis: list[dict], schemes: list[Scheme], dates: dict, as_of: date,
                cols: audit_columns.Columns | None = None) -> dict:
    """The published ratings of these KPIs rated again on their own documents' numbers, in bulk (see audit.audit)."""
    recomputed = {}
    loaded = None if cols is None else cols.observations  # the chunk's observations as arrays, once for every scheme
    for scheme in schemes:
        if scheme.official:
            asked = recompute_requests(kpis, scheme, dates, as_of)
            if asked and loaded is None:
                loaded = loaded_observations(kpis, dates)
            for (_, rating, _, _), res in zip(asked, rate_requests(
                    session, [(k, when, doc) for k, _, when, doc in asked], scheme, dates, loaded=loaded or True)):
                recomputed[(scheme.name, id(rating))] = res
    return recomputed


class _Rollups:
    """The published overall result of each sheet against the roll-up of its indicators: the rated members gathered
    as chunks of KPIs pass, compared at the end."""

    def __init__(self, schemes: list[Scheme], dates: dict, as_of: date, policy: list[dict]):
        self.schemes, self.dates, self.as_of, self.policy = [s for s in schemes if s.official], dates, as_of, policy
        self.members: dict[str, dict] = {s.name: defaultdict(list) for s in self.schemes}

    def add(self, kpis: list[dict], recomputed: dict) -> None:
        self.merge(self.members_of(kpis, recomputed))

    def members_of(self, kpis: list[dict], recomputed: dict) -> dict:
        """Scheme name -> sheet -> these KPIs' rated members (what merge adds; a helper process sends them back)."""
        out: dict = {}
        for scheme in self.schemes:
            for doc, rated in rollup_members(kpis, scheme, self.dates, self.policy, self.as_of, recomputed).items():
                for r in rated:
                    r.series = None
                out.setdefault(scheme.name, {}).setdefault(doc, []).extend(rated)
        return out

    def merge(self, members: dict) -> None:
        for name, sheets in members.items():
            for doc, rated in sheets.items():
                self.members[name][doc].extend(rated)

    def findings(self) -> list[Finding]:
        return [f for s in self.schemes for f in rollup_compare(self.members[s.name], s, self.policy)]


def _bottom_up(session: Session) -> list[tuple[int, Finding]]:
    from mieruka.evaluate.bottom_up import findings as bottom_up_findings

    return [(AUDIT_TAIL + i, Finding(kind=f["kind"], kpi_id=f["kpi_id"], kpi=f["kpi"], message=f["message"],
                                     message_en=f["message_en"], sources=f["sources"]))
            for i, f in enumerate(bottom_up_findings(session))]


# a database of more KPIs than this is audited by two processes at once when the caller allows it (audit_stream's
# ahead): starting the helper costs about a second
HELPED_FROM = 4 * CHUNK


def _audited(session: Session, kpi_ids: list[int] | None, schemes: list[Scheme], dates: DocDates, as_of: date,
             rollups: "_Rollups", ahead: bool, size: int) -> Iterator[tuple[list[Finding], dict]]:
    """Each chunk's findings (in audit.audit's order) and its members of the sheets' roll-ups."""
    for kpis, cols in audit_chunks(session, dates, kpi_ids, ahead=ahead, size=size):
        recomputed = _recomputed(session, kpis, schemes, dates, as_of, cols)
        yield (audit(kpis, schemes, as_of, None, dates=dates, recomputed=recomputed, columns=cols),
               rollups.members_of(kpis, recomputed))


def _audit_part(url: str, kpi_ids: list[int], schemes: list[Scheme], dates: DocDates, as_of: date,
                policy: list[dict], size: int) -> list[tuple[list[Finding], dict]]:
    """The second half of a two-process audit, in a process of its own with a connection of its own (it reads only
    what is committed: see audit_stream), in chunks of the same size (a finding's position counts the chunks)."""
    from mieruka import storage

    with storage.session_scope(url) as session, bulk_pass():
        return list(_audited(session, kpi_ids, schemes, dates, as_of, _Rollups(schemes, dates, as_of, policy), True,
                             size))


@contextmanager
def _helper(session: Session, ahead: bool) -> Iterator[Pool | None]:
    """The process that audits a large database's second half (see audit_stream), started now so that its imports
    (about a second) pass while this one reads what the audit needs first; None for a small or in-memory database,
    or when the session may have written what the audit reads. It leaves Ctrl-C to this process, which stops it on
    any error (the pool's exit terminates it)."""
    url = session.get_bind().url
    if not ahead or url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:") or \
            count_kpis(session) <= HELPED_FROM:
        yield None
        return
    with multiprocessing.get_context("spawn").Pool(1, initializer=helper_started, initargs=(os.getpid(),)) as pool:
        pool.apply_async(_warm)
        yield pool


def _warm() -> None:
    """Nothing: unpickling it imports this module and what it imports in the helper process."""


def audit_stream(session: Session, as_of: date, schemes: list[Scheme] | None = None,
                 dates: DocDates | None = None, ahead: bool = False,
                 helper: Pool | None = None) -> Iterator[list[tuple[int, Finding]]]:
    """Every audit finding over the database, a chunk of KPIs at a time, each with its position in the order of
    evaluate.audit.audit over every KPI at once (by kind, then KPI), the bottom-up survey mismatches last.
    ahead: the session has not written what the audit reads, so it may be read through other connections, which see
    what is committed: each next chunk is read in a thread while one is audited, and a database of more than
    HELPED_FROM KPIs on a file or server has its second half audited by a spawned process at the same time (helper:
    one started already by _helper)."""
    if ahead and helper is None:
        with _helper(session, ahead) as helper:
            yield from _audit_stream(session, as_of, schemes, dates, ahead, helper)
        return
    yield from _audit_stream(session, as_of, schemes, dates, ahead, helper)


def _audit_stream(session: Session, as_of: date, schemes: list[Scheme] | None, dates: DocDates | None,
                  ahead: bool, helper: Pool | None) -> Iterator[list[tuple[int, Finding]]]:
    schemes = schemes or all_schemes()
    dates = dates if dates is not None else document_dates_of(session)
    placed = _Placer()
    policy = policy_result_rows(session)
    rollups = _Rollups(schemes, dates, as_of, policy)
    ids = kpi_ids_of(session)
    half = (len(ids) // 2 // CHUNK) * CHUNK if helper else len(ids)
    # the helper audits the second half while this process does the first
    second = helper.apply_async(_audit_part, (session.get_bind().url.render_as_string(hide_password=False),
                                              ids[half:], schemes, dates, as_of, policy, CHUNK)) if helper else None
    for found, members in _audited(session, ids[:half], schemes, dates, as_of, rollups, ahead, CHUNK):
        yield placed(found)
        rollups.merge(members)
    for found, members in (second.get() if second is not None else []):
        yield placed(found)
        rollups.merge(members)
    yield placed(rollups.findings() + text_count_mismatches(count_text_rows(session)))
    yield _bottom_up(session)


def audit_bulk(session: Session, as_of: date, schemes: list[Scheme] | None = None) -> list[Finding]:
    """Every audit finding over the database in the audit's order (all in memory: see audit_and_store for large ones)."""
    with bulk_pass():
        found = [pf for batch in audit_stream(session, as_of, schemes) for pf in batch]
    return [f for _, f in sorted(found, key=lambda pf: pf[0])]


def _key(session: Session, schemes: list[Scheme]) -> str:
    files = [available().get(s.name) for s in schemes]
    read_with = ",".join(f"{s.name}:{file_sha256(p)[:12] if p else '-'}" for s, p in zip(schemes, files)) + \
        "|" + _rules_version()
    # the schemes named while they are few; a digest of them when there are so many that the key would not fit its
    # column (400 characters: PostgreSQL refused to store the audit with a dozen scheme files of one's own)
    if len(read_with) > _SCHEMES_NAMED:
        read_with = "schemes:" + hashlib.sha256(read_with.encode("utf-8")).hexdigest()[:32]
    return audit_data_key(session) + "|" + read_with


_SCHEMES_NAMED = 200


def _rules_version() -> str:
    """The version of the audit's rules and wording (evaluate.audit.RULES): an audit stored under another is audited
    again, not shown with the rules and wording it was made with."""
    return f"rules:{RULES}"


def _as_dicts(findings: list[Finding]) -> list[dict]:
    return [{"kind": f.kind, "kpi_id": f.kpi_id, "kpi": f.kpi, "message": f.message, "message_en": f.message_en,
             "sources": f.sources} for f in findings]


def _dates_key(dates: dict, upto: int | None = None) -> str:
    """A digest of the documents' dates (of those with an id up to upto): an audit reads every KPI's findings against
    them, so a stored audit is audited again incrementally only when the dates of the documents it read are the same."""
    items = sorted((str(d), str(v)) for d, v in dates.items() if upto is None or not isinstance(d, int) or d <= upto)
    return hashlib.sha256(repr(items).encode()).hexdigest()[:16]


def _write(session: Session, run_id: int, batch: list[tuple[int, Finding]]) -> int:
    add_audit_findings(session, run_id, [{"position": pos, **d} for (pos, _), d in
                                         zip(batch, _as_dicts([f for _, f in batch]))])
    return len(batch)


def audit_and_store(session: Session, as_of: date, schemes: list[Scheme] | None = None,
                    ahead: bool = False) -> int | list[dict]:
    """Audit as of a date and keep the findings, written a chunk at a time (bounded memory); returns how many.
    A set of schemes other than all of them is audited but not kept: then the findings themselves are returned.
    ahead: read each next chunk while one is audited, for a session that has not written the data (audit_chunks)."""
    every = all_schemes()
    if schemes is not None and [s.name for s in schemes] != [s.name for s in every]:
        return _as_dicts(audit_bulk(session, as_of, schemes))
    return audit_into_run(session, as_of, ahead)[1]


def audit_into_run(session: Session, as_of: date, ahead: bool = False) -> tuple[int, int]:
    """audit_and_store under every scheme: (the stored audit's run id, how many findings). Read it back by that id
    (iter_stored_findings(…, run_id=)): on PostgreSQL a write committed meanwhile changes the data's key, and the
    audit stored under the key it started from would be found no more."""
    every = all_schemes()
    with _helper(session, ahead) as helper:
        ensure_summaries(session)
        dates = document_dates_of(session)
        run_id = begin_audit(session, as_of, _key(session, every) + "#" + _dates_key(dates))
        with bulk_pass():
            return run_id, sum(_write(session, run_id, batch)
                               for batch in audit_stream(session, as_of, every, dates, ahead, helper))


def audit_changes(session: Session, as_of: date, run_id: int, stored_key: str,
                  schemes: list[Scheme] | None = None) -> list[int] | None:
    """Bring a stored audit up to date by auditing again only what changed since it was stored: the findings of the
    KPIs whose data changed (or whose reform item a newer document wrote about), the findings about reform items and
    sheets' roll-ups, and the bottom-up survey mismatches; every other KPI's findings stay as stored. Returns the KPIs
    audited again, or None (nothing done) when it cannot: a scheme file changed, a document was removed, or a
    document's date moved (then every KPI is audited again, by audit_and_store)."""
    schemes = schemes or all_schemes()
    base, _, old_dates = stored_key.partition("#")
    key = _key(session, schemes)
    old, new = base.split("|"), key.split("|")
    if not old_dates or len(old) != len(new) or old[5:] != new[5:]:
        return None
    count, _, top = old[1].partition(":")
    top_document = int(top) if top.isdigit() else 0
    if documents_upto(session, top_document) != int(count):
        return None
    dates = document_dates_of(session)
    if _dates_key(dates, top_document) != old_dates:
        return None
    if not hold_audit_run(session, run_id):
        return None  # a whole audit of its date replaced it meanwhile: audited whole again, over the data as it is now
    changed = kpis_changed_since(session, int(old[0]), top_document)
    drop_audit_findings(session, run_id, changed)
    placed = _Placer()
    for kpis, cols in audit_chunks(session, dates, changed):
        recomputed = _recomputed(session, kpis, schemes, dates, as_of, cols)
        _write(session, run_id, placed([f for f in audit(kpis, schemes, as_of, None, dates=dates, recomputed=recomputed,
                                                         columns=cols) if f.kpi_id is not None]))
    # findings about a reform item are made from its first KPI's row: again for every item, from its texts only
    for firsts in kpi_row_chunks(session, CHUNK, observations=False, kpi_ids=item_first_kpis(session)):
        items = [{**k, "observations": [], "targets": [], "appearances": []} for k in firsts]
        _write(session, run_id, placed([f for f in office_conflicts(items) + count_mismatches(items)
                                        if f.kpi_id is None]))
    rollups = _Rollups(schemes, dates, as_of, policy_result_rows(session))
    for kpis in kpi_row_chunks(session, CHUNK, kpi_ids=rollup_kpis(session)):
        rollups.add(kpis, _recomputed(session, kpis, schemes, dates, as_of))
    _write(session, run_id, placed(rollups.findings() + text_count_mismatches(count_text_rows(session))))
    _write(session, run_id, _bottom_up(session))
    set_audit_key(session, run_id, key + "#" + _dates_key(dates))
    return changed


def stored_findings(session: Session, as_of: date, limit: int | None = None, offset: int = 0, kind: str | None = None,
                    kpi_id: int | None = None) -> tuple[int, list[dict]]:
    """The audit as of a date as stored for the current data (how many findings match kind and KPI, and those from
    offset); audited and stored now only when it is not."""
    key = _key(session, all_schemes())
    found = stored_audit_page(session, as_of, key, limit, offset, kind, kpi_id)
    if found is None:
        audit_and_store(session, as_of)
        found = stored_audit_page(session, as_of, key, limit, offset, kind, kpi_id)
    return found


def iter_stored_findings(session: Session, as_of: date, page: int = 2000, lang: str | None = None,
                         run_id: int | None = None) -> Iterator[dict]:
    """Every finding of the audit stored as of a date for the current data (or of the stored audit run_id), in the
    audit's order, a page at a time (the data key worked out once, not per page); nothing when none is stored.
    lang: only that language's message."""
    return stored_audit_rows(session, as_of, None if run_id is not None else _key(session, all_schemes()), page, lang,
                             run_id)


def refresh_audits(session: Session) -> list[date]:
    """Bring each audit kept (one per date) up to date when the data or a scheme file changed since: incrementally,
    for what changed (audit_changes), or whole when that cannot be done."""
    redone = []
    schemes = all_schemes()
    key = _key(session, schemes)
    for when in audited_dates(session):
        run = latest_audit_run(session, when)
        if run is not None and run[1].split("#", 1)[0] == key:
            continue
        if run is None or audit_changes(session, when, run[0], run[1], schemes) is None:
            audit_and_store(session, when)
        redone.append(when)
    return redone


def refresh(session: Session) -> dict:
    """After a write (ingest, survey import, a scheme file changing): re-rate and re-audit what it affected."""
    return {"ratings": refresh_ratings(session), "audits": [d.isoformat() for d in refresh_audits(session)]}


# --- what pages read: stored evaluations only, never computed on a request -------------------------------------------

def stored_dates(session: Session, scheme: str | None = None) -> list[dict]:
    """The evaluation dates something is stored as of, oldest first: {"as_of", "ratings": the scheme's computed ratings
    (any scheme's when None) were made as of it, "audit": an audit over the current data is kept for it}. Reads only."""
    rated, audited = stored_date_sets(session, scheme)
    if audited:  # the data's key only when some audit is stored (a statement and every scheme file's hash)
        key = _key(session, all_schemes())
        audited = {d for d in audited if audit_stored(session, d, key)}
    return [{"as_of": d, "ratings": d in rated, "audit": d in audited} for d in sorted(rated | audited)]


def stored_findings_only(session: Session, as_of: date, limit: int | None = None, offset: int = 0,
                         kind: str | None = None, kpi_id: int | None = None) -> tuple[int, list[dict]] | None:
    """The audit as of a date as stored for the current data, as stored_findings gives it; None when none is stored
    (a page then says so: it never audits on a request)."""
    return stored_audit_page(session, as_of, _key(session, all_schemes()), limit, offset, kind, kpi_id)
