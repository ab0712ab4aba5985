"""The audit of many KPIs with their observations read as columns (numpy arrays) instead of one dict per observation:
value_conflict and stale worked out on the arrays, with evaluate.audit's rules and messages to the character; the
checks that read an observation's text (count_mismatch, percent_mismatch) or every observation of one KPI
(rating_conflict, a target relative to a named fiscal year) are given as dicts only the observations they can use.
A national database holds a million observations: a dict each cost more than the audit itself."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import date
from typing import Callable

import numpy as np

from mieruka.evaluate.audit import (Finding, _PERCENT_SIGN, _cite, _counts_in, _cuts_in, _involved, approximate_figure,
                                    at, at_en, code_key, conflict_message, conflict_parts, conflicting_value,
                                    overdue_announcements, stale_finding)
from mieruka.evaluate.fast import Observations, _doc_days
from mieruka.evaluate.series import doc_key
from mieruka.jp.printed import COUNT_MARKS, CUT_MARKS
from mieruka.storage.queries import NO_LINE, STATUS_CODES

_FINAL, _PRELIMINARY, _FORECAST = STATUS_CODES["final"], STATUS_CODES["preliminary"], STATUS_CODES["forecast"]


# a text holding none of these characters is read by no check (text_is_read): storage reads only the others
READ_MARKS = CUT_MARKS + COUNT_MARKS


def text_is_read(text: str | None) -> bool:
    """Whether an observation's text can give a finding of its own: it prints a cut as a share (percent_mismatch) or
    counts something two ways that disagree (count_mismatch). Every other text is read by no check, and most texts
    (「45.2% (2014年度)」) are told apart by their characters alone, never prepared."""
    return bool(text) and any(c in text for c in READ_MARKS) and _read(text)


@lru_cache(maxsize=1 << 17)  # a national database's chunks share most of their texts
def _read(text: str) -> bool:
    cut = _PERCENT_SIGN.search(text) and any(c in text for c in CUT_MARKS)
    return bool(cut and _cuts_in(text)[1]) or any(not c.agrees for c in _counts_in(text))


def needs_observations(kpi: dict) -> bool:
    """Whether a check reads this KPI's observations one by one: a target relative to a named fiscal year's value
    (audit._statements), or two documents rating one observation with different codes (rating_conflict)."""
    if any((t.get("relative") or {}).get("base_fiscal_year") for t in kpi.get("targets", [])):
        return True
    groups: dict = {}
    for r in kpi.get("ratings", []):
        if r.get("official") and r.get("as_of") is not None:
            groups.setdefault((r["scheme"], r["as_of"]), []).append(r)
    return any(len({code_key(r["code"]) for r in rows}) > 1 and len({doc_key(r.get("source")) for r in rows}) > 1
               for rows in groups.values())


@dataclass
class Columns:
    """A chunk's observations (storage.queries.audit_observation_columns' rows) as arrays in the order (KPI, date, id);
    rows(ids) reads given observations as dicts (storage.queries.observation_rows)."""

    observations: Observations  # for the bulk re-rating of the published ratings (fast.rate_requests' loaded)
    approx: np.ndarray
    status: np.ndarray
    names: dict  # document id -> file name
    rows: Callable[[list[int]], dict]
    start: dict  # KPI id -> (first row, end)
    unit_code: np.ndarray  # each row's unit as an index into unit_values (None and "" apart)
    unit_values: list
    line_code: np.ndarray  # each row's line, NO_LINE for none

    def __post_init__(self):
        self._sources: dict = {}

    # what evaluate.audit.audit asks of the columns it is given (it names no module above its own)
    def value_conflicts(self, kpis: list[dict]) -> list[Finding]:
        return value_conflicts(kpis, self)

    def stale(self, kpis: list[dict], dates: dict, as_of: date) -> list[Finding]:
        return stale(kpis, self, dates, as_of)

    def source(self, doc: int, line: int) -> dict | None:
        """The source dict of a row (one per document and line, as storage.queries.kpi_rows shares them)."""
        if doc < 0:
            return None
        line = None if line == NO_LINE else line
        got = self._sources.get((doc, line))
        if got is None:
            got = self._sources[(doc, line)] = {"document": self.names.get(doc), "document_id": doc, "line": line}
        return got



def columns(rows: list[tuple], dates: dict, names: dict, fetch: Callable[[list[int]], dict]) -> Columns:
    """The arrays of audit_observation_columns' rows: each column taken whole, and each distinct unit turned into its
    code once (a chunk holds a hundred thousand rows and a few units)."""
    n = len(rows)
    oid, kid, value, unit, day, status, doc, line, approx_text = list(zip(*rows))[:9] if rows else ((),) * 9
    # the database gives the text of a row only where it writes 約: each such value read as the dicts' path reads it
    approx = [t is not None and approximate_figure(None if v is None else float(v), t)
              for v, t in zip(value, approx_text)]

    units = {u: i for i, u in enumerate(dict.fromkeys(unit))}  # None and "" apart, as a message writes them
    unit_code = np.fromiter(map(units.__getitem__, unit), dtype=np.int64, count=n)
    named = {}  # fast.Observations' codes: only a unit that is written, numbered as it first comes
    for u in units:
        if u:
            named[u] = len(named)
    obs_unit = np.array([named.get(u, -1) if u else -1 for u in units] or [0], dtype=np.int64)[unit_code]
    docs = np.fromiter(doc, dtype=np.int64, count=n)
    status_code = np.fromiter(status, dtype=np.int64, count=n)
    obs = Observations(np.array(oid, dtype=np.int64), np.array(kid, dtype=np.int64), np.array(value, dtype=float),
                       obs_unit, named, np.fromiter(day, dtype=np.int64, count=n), status_code == _FORECAST, docs,
                       _doc_days(docs, dates))
    start = {}
    if n:
        k = obs.kid
        cut = np.nonzero(np.r_[True, k[1:] != k[:-1]])[0].tolist() + [n]
        start = {int(k[a]): (a, b) for a, b in zip(cut, cut[1:])}
    line_code = np.fromiter(line, dtype=np.int64, count=n)
    return Columns(obs, np.array(approx, dtype=bool), status_code, names, fetch, start, unit_code, list(units),
                   line_code)


def value_conflicts(kpis: list[dict], cols: Columns) -> list[Finding]:
    """audit.value_conflicts over the columns. The dates of a KPI whose values are positive, exact and of one unit (no
    baseline among them) are worked out for the whole chunk at once on the arrays (audit._involved's rule: a row
    conflicts when it differs from the smallest or the largest), their messages built a run of equal values at a time;
    any other date row by row, by audit._involved itself."""
    o = cols.observations
    keep = ~np.isnan(o.value) & (o.day > 0) & (cols.status != _FORECAST)
    idx = np.nonzero(keep)[0]
    kid, day, value = o.kid[idx], o.day[idx], o.value[idx]
    # groups: one KPI and date (rows come in the order KPI, date, id)
    first = np.r_[True, (kid[1:] != kid[:-1]) | (day[1:] != day[:-1])] if len(idx) else np.zeros(0, dtype=bool)
    starts = np.nonzero(first)[0]
    group = np.cumsum(first) - 1
    unit = np.where(o.unit[idx] >= 0, o.unit[idx], np.iinfo(np.int64).max)
    lo, hi = np.minimum.reduceat(value, starts) if len(idx) else value, np.maximum.reduceat(value, starts) \
        if len(idx) else value
    size = np.diff(np.r_[starts, len(idx)])
    umin = np.minimum.reduceat(unit, starts) if len(idx) else unit
    unit0 = np.where(o.unit[idx] >= 0, o.unit[idx], -1)
    umax = np.maximum.reduceat(unit0, starts) if len(idx) else unit0
    approx = np.add.reduceat(cols.approx[idx].astype(np.int64), starts) if len(idx) else unit
    st = cols.status[idx]
    final = np.add.reduceat((st == _FINAL).astype(np.int64), starts) if len(idx) else unit
    prelim = np.add.reduceat((st == _PRELIMINARY).astype(np.int64), starts) if len(idx) else unit
    fast = (lo > 0) & (approx == 0) & ((umax < 0) | (umin == umax)) & ~((final > 0) & (prelim > 0))
    g_lo, g_hi = lo[group], hi[group]
    differs = (np.abs(value - g_lo) > 1e-9 * np.maximum(np.abs(value), np.abs(g_lo))) | \
              (np.abs(value - g_hi) > 1e-9 * np.maximum(np.abs(value), np.abs(g_hi)))
    # (KPI, date) -> the group's index, its rows
    where = {(int(k), int(d)): (g, int(a), int(a + c)) for g, (k, d, a, c) in
             enumerate(zip(kid[starts].tolist(), day[starts].tolist(), starts.tolist(), size.tolist()))}

    cited: dict = {}  # id(source) -> (place, in English)

    def source_of(j: int):
        return cols.source(int(o.doc[j]), int(cols.line_code[j]))

    def place(source: dict | None) -> tuple[str, str]:
        got = cited.get(id(source))
        if got is None:  # at() reads only its document and line; every source object stays alive in this call
            got = cited[id(source)] = (at(source), at_en(source))
        return got

    as_written = conflicting_value

    def row(j: int) -> dict:
        return {"value": float(o.value[j]), "unit": cols.unit_values[int(cols.unit_code[j])], "status": _status_name(int(cols.status[j])),
                "approx": bool(cols.approx[j]), "source": source_of(j)}

    def finding(kpi: dict, when: int, values: dict, involved_sources: list) -> Finding:
        # a line's rows share one source object: each once, in the order they first come, before _cite reads them
        involved_sources = list({id(s_): s_ for s_ in involved_sources}.values())
        return _finding(kpi, when, *conflict_parts(values), involved_sources)

    made = _fast_findings(kpis, cols, idx, group, fast & (size >= 2), differs, as_written, place)
    out = []
    for kpi in kpis:
        base_days: dict = {}
        for x in kpi.get("baselines") or ([kpi["baseline"]] if kpi.get("baseline") else []):
            if x.get("value") is not None and x.get("as_of") is not None:
                base_days.setdefault(x["as_of"].toordinal(), []).append(x)
        a, b = cols.start.get(kpi["id"], (0, 0))
        own = np.unique(o.day[a:b][keep[a:b]]).tolist() if b > a else []
        for when in sorted(set(own) | set(base_days)):
            g, ga, gb = where.get((kpi["id"], when), (None, 0, 0))
            extra = base_days.get(when, [])
            if gb - ga + len(extra) < 2:
                continue  # one value conflicts with nothing
            if g is not None and not extra and fast[g]:
                if g in made:
                    out.append(made[g])
                continue
            group_rows = [row(j) for j in idx[ga:gb].tolist()] + extra
            involved = _involved(group_rows)
            if not involved:
                continue
            values: dict = {}  # as written -> (the English of its first row, its rows' places)
            for r in involved:
                ja, en = as_written(float(r["value"]), r.get("unit"))
                entry = values.get(ja)
                if entry is None:
                    entry = values[ja] = (en, [])
                entry[1].append(place(r.get("source")))
            out.append(finding(kpi, when, values, [r.get("source") for r in involved]))
    return out


def _finding(kpi: dict, when: int, parts: list[str], parts_en: list[str], one_place: bool, sources: list) -> Finding:
    return Finding("value_conflict", kpi["id"], kpi["name"],
                   *conflict_message(date.fromordinal(when), parts, parts_en, one_place), _cite(*sources))


def _fast_findings(kpis, cols: Columns, idx, group, fast, differs, as_written, place) -> dict:
    """The findings of the groups audit._involved decides by their smallest and largest values, for the whole chunk at
    once: group index -> its Finding. Its rows are put in runs of one value as written, the runs in the order their
    values first come in the group and each run's rows in their own order: the message's order."""
    o = cols.observations
    rows = np.nonzero(fast[group] & differs)[0]  # positions in idx of every involved row
    if not len(rows):
        return {}
    at_ = idx[rows]
    g = group[rows]
    # each (value, unit) once, as written; each value as written numbered
    # (np.unique over two rows at once sorts them as opaque records: several times slower than numbering each)
    values, value_of = np.unique(o.value[at_], return_inverse=True)
    units = len(cols.unit_values)
    pairs, pair_of = np.unique(value_of.reshape(-1) * units + cols.unit_code[at_], return_inverse=True)
    pair_of = pair_of.reshape(-1)
    words = [as_written(v, cols.unit_values[u]) for v, u in
             zip(values[pairs // units].tolist(), (pairs % units).tolist())]
    number: dict = {}
    written_id = np.array([number.setdefault(w[0], len(number)) for w in words], dtype=np.int64)[pair_of]
    # each (document, line) once
    lines, line_of = np.unique(cols.line_code[at_], return_inverse=True)
    docs, doc_of = np.unique(o.doc[at_], return_inverse=True)
    places, place_of = np.unique(doc_of.reshape(-1) * len(lines) + line_of.reshape(-1), return_inverse=True)
    place_of = place_of.reshape(-1)
    source = [cols.source(d, ln) for d, ln in
              zip(docs[places // len(lines)].tolist(), lines[places % len(lines)].tolist())]
    said = [place(s_) for s_ in source]
    order = np.lexsort((rows, written_id, g))
    sg, sw = g[order], written_id[order]
    start = np.nonzero(np.r_[True, (sg[1:] != sg[:-1]) | (sw[1:] != sw[:-1])])[0]
    stop = np.r_[start[1:], len(order)]
    run_order = np.lexsort((rows[order][start], sg[start]))
    in_order = place_of[order]
    # a run whose rows all cite one place (a line printing several bodies' values); a group whose runs all cite the same
    # one place is written as one bracket after all its values (the usual national group: fifty values, one line)
    first_place = in_order[start]
    one_place = ~np.logical_or.reduceat(in_order != np.repeat(first_place, stop - start), start)
    word = pair_of[order][start][run_order].tolist()
    run_place = first_place[run_order]
    run_group = sg[start][run_order]
    # the runs of each group follow each other in run_order: one finding per stretch
    edges = np.r_[np.nonzero(np.r_[True, run_group[1:] != run_group[:-1]])[0], len(run_group)]
    heads = edges[:-1]
    alike = np.logical_and.reduceat(one_place[run_order], heads) & \
        (np.minimum.reduceat(run_place, heads) == np.maximum.reduceat(run_place, heads))
    edges, alike, run_place = edges.tolist(), alike.tolist(), run_place.tolist()
    words_ja, words_en = [w[0] for w in words], [w[1] for w in words]
    in_list = in_order.tolist()
    run_rows = [(int(start[r]), int(stop[r])) for r in run_order.tolist()] if not all(alike) else []

    def parts_of(a: int, b: int, same: bool) -> tuple[list[str], list[str], bool]:
        if same:
            p = said[run_place[a]]
            return (["・".join(map(words_ja.__getitem__, word[a:b])) + "（" + p[0] + "）"],
                    [", ".join(map(words_en.__getitem__, word[a:b])) + " (" + p[1] + ")"], True)
        return conflict_parts({words_ja[word[i]]: (words_en[word[i]], [said[q] for q in in_list[slice(*run_rows[i])]])
                               for i in range(a, b)})

    # each group's sources: its places in the order they first come
    cut = np.r_[0, np.nonzero(np.diff(g))[0] + 1]
    cited, first = np.unique(g * len(source) + place_of, return_index=True)  # each (group, place) once
    sources_of: dict = {}
    for gi, p in zip((cited // len(source))[np.argsort(first, kind="stable")].tolist(),
                     (cited % len(source))[np.argsort(first, kind="stable")].tolist()):
        sources_of.setdefault(gi, []).append(source[p])
    first_row = {gi: int(at_[c]) for gi, c in zip(g[cut].tolist(), cut.tolist())}
    kpi_of = {k["id"]: k for k in kpis}
    out = {}
    for gi, a, b, same in zip(sg[start][run_order][edges[:-1]].tolist(), edges, edges[1:], alike):
        j = first_row[gi]
        out[gi] = _finding(kpi_of[int(o.kid[j])], int(o.day[j]), *parts_of(a, b, same), sources_of[gi])
    return out


def _status_name(code: int) -> str | None:
    return {_FINAL: "final", _PRELIMINARY: "preliminary", _FORECAST: "forecast"}.get(code)


def stale(kpis: list[dict], cols: Columns, dates: dict, as_of: date) -> list[Finding]:
    """audit.stale over the columns: only the latest actual of a KPI with an overdue announcement is read as a dict."""
    o = cols.observations
    overdue_of = []
    for kpi in kpis:
        due_at = overdue_announcements(kpi, as_of)
        if not due_at:
            continue
        a_, b_ = cols.start.get(kpi["id"], (0, 0))
        # (day, observation) of each actual: an undated actual counts as of its document's date
        day = np.where(o.day[a_:b_] > 0, o.day[a_:b_], o.doc_day[a_:b_])
        actual = ~np.isnan(o.value[a_:b_]) & (cols.status[a_:b_] != _FORECAST) & (day > 0)
        rows = np.nonzero(actual)[0] + a_
        day, doc, final = day[actual], o.doc[rows], cols.status[rows] == _FINAL
        overdue = []
        for due, a in due_at:
            key = doc_key(a.get("source"))
            own = doc == (-1 if key is None else key)
            if not _any_newer(day, final, own, dates.get(key)):
                overdue.append((due, a))
        if overdue:
            overdue_of.append((kpi, overdue, int(rows[np.argmax(day)]) if len(rows) else None))
    fetched = cols.rows(sorted({int(o.oid[j]) for _, _, j in overdue_of if j is not None}))
    out = []
    for kpi, overdue, j in overdue_of:
        latest = fetched[int(o.oid[j])] if j is not None else None
        day = (latest.get("as_of") or dates.get(doc_key(latest.get("source")))) if latest else None
        out.append(stale_finding(kpi, overdue, latest, day, as_of))
    return out


def _any_newer(day: np.ndarray, final: np.ndarray, own: np.ndarray, doc_date: date | None) -> bool:
    """audit._any_newer on a KPI's actuals as arrays (their days as ordinals, whether each is a 確報値, whether the
    announcing document reported it)."""
    if not own.any():
        return bool(len(day)) and (doc_date is None or bool((day > doc_date.toordinal()).any()))
    last = day[own].max()
    final_at_last = bool((final & own & (day == last)).any())
    return bool(((day > last) | ((day == last) & final & (not final_at_last))).any())
