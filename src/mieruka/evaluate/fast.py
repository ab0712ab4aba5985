"""The bulk rater behind `mieruka evaluate` and the stored ratings: rate_kpi's results for a chunk of KPIs, with their
observations read as numpy arrays (filtering, de-duplication and the forecast's fit done at once for the chunk).

Only the few observations a result names (the latest actual, a first actual standing in for a missing baseline, newer
forecasts, the printed forecast) become Point objects; the rules, the forecast's reading and the explanation are
rate.py's own, per KPI. A KPI whose target is relative to a named fiscal year's value reads its actuals one by one and
is rated by rate_kpi. tests/test_evaluate_fast.py checks every result against rate_kpi's, field by field."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from mieruka.evaluate import rate as _rate
from mieruka.evaluate.bulk import weighted_fit
from mieruka.evaluate.forecast import Line, from_line
from mieruka.evaluate.rate import RatingResult
from mieruka.evaluate.schemes import Scheme
from mieruka.evaluate.series import Series, _choose_target, _direction, _point, pick_baseline
from mieruka.storage.queries import kpi_rows, observation_columns, observation_rows

_EPOCH = date(1970, 1, 1).toordinal()


def _needs_actuals(kpi: dict) -> bool:
    """A target relative to a named fiscal year's value (平成26年度値以上) finds that value among the actuals."""
    for t in kpi.get("targets", []):
        rel = t.get("relative") or {}
        if rel.get("factor") is not None and rel.get("base_value") is None and rel.get("base_fiscal_year"):
            return True
    return False


def rate_chunk(session: Session, kpis: list[dict], scheme: Scheme, as_of: date, dates: dict) -> list[RatingResult]:
    """rate_kpi(kpi, scheme, as_of, dates) for each of kpis (kpi_rows dicts read without their observations), in that
    order. A result's series holds only its latest actual among the observations."""
    return rate_requests(session, [(k, as_of, None) for k in kpis], scheme, dates)


def rate_requests(session: Session, requests: list[tuple[dict, date, object]], scheme: Scheme,
                  dates: dict, loaded: "bool | Observations" = False) -> list[RatingResult]:
    """rate_kpi(kpi, scheme, as_of, dates, document=document) for each (kpi, as_of, document) of requests, in that
    order (kpi: a kpi_rows dict, a KPI may come more than once). Its observations are read from the database, or
    with loaded, taken from the dicts (kpi_rows read them already), or given as loaded_observations of them (made once
    for several schemes)."""
    slow = {i for i, (k, _, doc) in enumerate(requests) if _needs_actuals(k) or not (doc is None or isinstance(doc, int))}
    out: dict[int, RatingResult] = {}
    if slow:
        full = {k["id"]: k for k in kpi_rows(session, [requests[i][0]["id"] for i in slow])}
        for i in slow:
            kpi, when, doc = requests[i]
            out[i] = _rate.rate_kpi(full[kpi["id"]], scheme, when, dates, document=doc)
    fast = [i for i in range(len(requests)) if i not in slow]
    for i, res in zip(fast, _rate_arrays(session, [requests[i] for i in fast], scheme, dates, loaded)):
        out[i] = res
    return [out[i] for i in range(len(requests))]


def _ordinal(d: date | None) -> int:
    return d.toordinal() if d else 0


def _firsts(key: np.ndarray) -> np.ndarray:
    """Where a run of equal keys starts, in a sorted array."""
    start = np.ones(len(key), dtype=bool)
    start[1:] = key[1:] != key[:-1]
    return start


@dataclass
class Observations:
    """Observations as arrays, in kpi_rows' order (KPI, date, id): oid names each for the rows it becomes a Point from
    (by_id, else observation_rows), unit is a code of units (-1 none), day the date's ordinal (0 undated), doc the
    document id (-1 none) and doc_day that document's date (stated or inferred) as an ordinal."""

    oid: np.ndarray
    kid: np.ndarray
    value: np.ndarray
    unit: np.ndarray
    units: dict[str, int]
    day: np.ndarray
    forecast: np.ndarray
    doc: np.ndarray
    doc_day: np.ndarray
    by_id: list[dict] | None = None

    def only(self, ids: np.ndarray) -> "Observations":
        """The observations of the KPIs in ids (sorted)."""
        keep = np.isin(self.kid, ids)
        if keep.all():
            return self
        return Observations(self.oid[keep], self.kid[keep], self.value[keep], self.unit[keep], self.units,
                            self.day[keep], self.forecast[keep], self.doc[keep], self.doc_day[keep], self.by_id)


def _doc_days(doc: np.ndarray, dates: dict) -> np.ndarray:
    """Each observation's document's date as an ordinal (0 when it has none), looked up once per document."""
    if not len(doc):
        return np.zeros(0, dtype=np.int64)
    low, high = int(doc.min()), int(doc.max())
    if low >= -1 and high < max(len(doc), 4096):  # a table by document id instead of sorting the rows
        return np.array([_ordinal(dates.get(None if d < 0 else d)) for d in range(-1, high + 1)],
                        dtype=np.int64)[doc + 1]
    known, at = np.unique(doc, return_inverse=True)
    return np.array([_ordinal(dates.get(None if d < 0 else d)) for d in known.tolist()], dtype=np.int64)[at]


def _from_columns(rows: list[tuple], dates: dict) -> Observations:
    """observation_columns' rows (dates as text) as arrays."""
    oid, kid, value, unit, day, status, doc = zip(*rows) if rows else ((),) * 7
    units: dict[str, int] = {}
    stamped = np.array([d or "NaT" for d in day], dtype="datetime64[D]")
    docs = np.array([-1 if d is None else d for d in doc], dtype=np.int64)
    return Observations(np.array(oid, dtype=np.int64), np.array(kid, dtype=np.int64),
                        np.array(value, dtype=float),  # None becomes NaN
                        np.array([units.setdefault(u, len(units)) if u else -1 for u in unit], dtype=np.int64), units,
                        np.where(np.isnat(stamped), 0, stamped.astype(np.int64) + _EPOCH),
                        np.array([s == "forecast" for s in status], dtype=bool), docs, _doc_days(docs, dates))


def loaded_observations(kpis: list[dict], dates: dict) -> Observations:
    """The observations of kpi_rows dicts read with them (KPIs in id order, each once) as arrays, built once for every
    scheme that rates them (rate_requests' loaded)."""
    obs = [o for k in kpis for o in k["observations"]]
    kid = np.repeat(np.array([k["id"] for k in kpis], dtype=np.int64),
                    np.array([len(k["observations"]) for k in kpis], dtype=np.int64))
    units: dict[str, int] = {}
    sources = [o.get("source") for o in obs]
    docs = np.array([-1 if not src or src.get("document_id") is None else src["document_id"] for src in sources],
                    dtype=np.int64)
    return Observations(np.arange(len(obs), dtype=np.int64), kid, np.array([o.get("value") for o in obs], dtype=float),
                        np.array([units.setdefault(u, len(units)) if u else -1 for u in (o.get("unit") for o in obs)],
                                 dtype=np.int64), units,
                        np.array([d.toordinal() if d else 0 for d in (o.get("as_of") for o in obs)], dtype=np.int64),
                        np.array([o.get("status") == "forecast" for o in obs], dtype=bool), docs, _doc_days(docs, dates),
                        obs)


class _Chunk:
    """The observations of each request's KPI as arrays, request by request in kpi_rows' order (KPI, date, id)."""

    def __init__(self, cols: Observations, ids: np.ndarray, wanted: np.ndarray, as_of: np.ndarray):
        kidx = np.searchsorted(ids, cols.kid)
        take = None
        if len(wanted) != len(ids) or (wanted != np.arange(len(ids))).any():  # a KPI asked for twice, or not in order
            count = np.bincount(kidx, minlength=len(ids))
            start = np.cumsum(count) - count
            take = np.concatenate([np.arange(start[u], start[u] + count[u]) for u in wanted.tolist()] or [[]]).astype(
                np.int64)
            kidx = np.repeat(np.arange(len(wanted)), count[wanted])
        pick = (lambda a: a) if take is None else (lambda a: a[take])
        self.kidx = kidx
        self.oid = pick(cols.oid)
        self.value = pick(cols.value)
        self.units = cols.units
        self.unit = pick(cols.unit)
        own = pick(cols.day)
        self.forecast = pick(cols.forecast)
        self.doc = pick(cols.doc)
        self.doc_day = pick(cols.doc_day)
        self.day = np.where(own > 0, own, self.doc_day)  # an undated value counts as of its document's date
        self.as_of = as_of[self.kidx]

    def dedupe(self, mask: np.ndarray) -> np.ndarray:
        """series._dedupe per KPI: indices of the selected observations sorted by date (then order), the first of
        each (date, value) kept."""
        idx = np.nonzero(mask)[0]
        s = idx[np.lexsort((idx, self.value[idx], self.day[idx], self.kidx[idx]))]
        first = _firsts(self.kidx[s]) | _firsts(self.day[s]) | _firsts(self.value[s])
        kept = s[first]
        return kept[np.lexsort((kept, self.day[kept], self.kidx[kept]))]


def _rate_arrays(session: Session, requests: list[tuple[dict, date, int | None]], scheme: Scheme,
                 dates: dict, loaded: "bool | Observations" = False) -> list[RatingResult]:
    if not requests:
        return []
    n = len(requests)
    kpis = [k for k, _, _ in requests]
    ids = np.array(sorted({k["id"] for k in kpis}), dtype=np.int64)
    wanted = np.searchsorted(ids, np.array([k["id"] for k in kpis], dtype=np.int64))
    as_of = np.array([when.toordinal() for _, when, _ in requests], dtype=np.int64)
    document = np.array([-1 if doc is None else doc for _, _, doc in requests], dtype=np.int64)
    if isinstance(loaded, Observations):
        cols = loaded.only(ids)
    elif loaded:
        cols = loaded_observations(sorted({k["id"]: k for k in kpis}.values(), key=lambda k: k["id"]), dates)
    else:
        cols = _from_columns(observation_columns(session, ids.tolist()), dates)
    by_id = cols.by_id
    x = _Chunk(cols, ids, wanted, as_of)

    # per KPI: what does not depend on the actuals (a target read from them goes to rate_kpi)
    picked = []
    target_unit = np.full(n, -1, dtype=np.int64)  # -1 none; -2 a unit no observation has
    target = np.full(n, np.nan)
    deadline = np.zeros(n, dtype=np.int64)
    direction = np.ones(n, dtype=np.int64)
    for i, (kpi, when, doc) in enumerate(requests):
        baseline = pick_baseline(kpi, when)
        goal, unset, comparator, unresolved = _choose_target(kpi, when, dates, doc, [], baseline)
        d = _direction(kpi, baseline, goal, comparator)
        picked.append((baseline, goal, unset, unresolved, d))
        if goal is not None and goal.unit:
            target_unit[i] = x.units.get(goal.unit, -2)
        if goal is not None and goal.value is not None:
            target[i] = goal.value
            deadline[i] = _ordinal(goal.deadline)
        direction[i] = d

    k = x.kidx
    valid = ~np.isnan(x.value) & (x.day > 0) & (x.day <= x.as_of)
    # with a document: that document's numbers, when it gave any
    own = x.doc == document[k]
    gave = np.bincount(k[valid & own], minlength=n) > 0
    valid &= ~gave[k] | own
    other_unit = (target_unit[k] != -1) & (x.unit >= 0) & (x.unit != target_unit[k])
    keep = valid & ~other_unit
    actual = keep & ~x.forecast
    has_actual = np.bincount(k[actual], minlength=n) > 0
    has_kept = np.bincount(k[keep], minlength=n) > 0
    obs = x.dedupe(np.where(has_actual[k], actual, keep))
    latest = np.zeros(n, dtype=np.int64)
    np.maximum.at(latest, k[actual], x.day[actual])
    unused = x.dedupe(keep & x.forecast & has_actual[k] & (x.day > latest[k]))
    names = {code: u for u, code in x.units.items()}
    excluded: dict[int, list[str]] = {}
    for i, u in set(zip(k[valid & other_unit].tolist(), x.unit[valid & other_unit].tolist())):
        excluded.setdefault(i, []).append(names[u])
    excluded = {i: sorted(units) for i, units in excluded.items()}
    # series._printed_forecast: a 見込み for the target's deadline, from a document dated by as_of
    printed_at = ~np.isnan(x.value) & x.forecast & (deadline[k] > 0) & (x.day == deadline[k]) & ~(x.doc_day > x.as_of) \
        & ((document[k] < 0) | own)
    candidates: dict[int, list[int]] = {}
    for j in np.nonzero(printed_at)[0].tolist():  # the latest document's; of its several, the last printed (below)
        candidates.setdefault(int(k[j]), []).append(j)

    count = np.bincount(k[obs], minlength=n)
    start = np.cumsum(count) - count
    shifted = np.zeros(n, dtype=bool)
    if scheme.missing_baseline == "first_observation":
        shifted = np.array([p[0] is None for p in picked], dtype=bool) & (count >= 2)

    line = _fit(x, obs, picked, n, scheme.half_life_years)
    # met_on: the first actual (after a first one standing in for the baseline) at or past the target
    first_of = np.zeros(len(obs), dtype=bool)
    first_of[start[shifted]] = True
    ko = k[obs]
    reach = ~np.isnan(target[ko]) & (direction[ko] * (x.value[obs] - target[ko]) >= 0) & ~first_of
    met_on: dict[int, int] = {}
    for i, j in zip(ko[reach].tolist(), x.day[obs][reach].tolist()):
        met_on.setdefault(i, j)

    wanted = {int(x.oid[j]) for j in obs[start[count > 0] + count[count > 0] - 1]}
    wanted.update(int(x.oid[j]) for j in obs[start[shifted]])
    wanted.update(int(x.oid[j]) for j in unused)
    wanted.update(int(x.oid[j]) for js in candidates.values() for j in js)
    rows = by_id if by_id is not None else observation_rows(session, sorted(wanted))
    printed = {i: max(js, key=lambda j: (int(x.doc_day[j]), (rows[int(x.oid[j])].get("source") or {}).get("line") or 0))
               for i, js in candidates.items()}
    unused_of: dict[int, list] = {}
    for j in unused.tolist():
        unused_of.setdefault(int(k[j]), []).append(_point(rows[int(x.oid[j])], dates))

    out = []
    for i, (kpi, when, _) in enumerate(requests):
        baseline, goal, unset, unresolved, d = picked[i]
        last = _point(rows[int(x.oid[obs[start[i] + count[i] - 1]])], dates) if count[i] else None
        series = Series(
            kpi_id=kpi.get("id"), name=kpi.get("name") or "", unit=kpi.get("unit") or (goal.unit if goal else None),
            direction=d, after_the_fact=bool(kpi.get("after_the_fact")), as_of=when, baseline=baseline, target=goal,
            unset=unset, observations=[last] if last is not None else [],
            forecasts_only=bool(not has_actual[i] and has_kept[i]), unused_forecasts=unused_of.get(i, []),
            excluded_units=excluded.get(i, []),
            printed_forecast=_point(rows[int(x.oid[printed[i]])], dates) if i in printed else None,
            unresolved_target=unresolved)
        if shifted[i]:
            series = replace(series, baseline=_point(rows[int(x.oid[obs[start[i]]])], dates),
                             baseline_from_observation=True)
        reached = met_on.get(i)
        fc = from_line(line.get(i), goal.value if goal else None, goal.deadline if goal else None, d,
                       date.fromordinal(reached) if reached else None)
        out.append(_rate.rate_series(series, scheme, fc))
    return out


def _fit(x: _Chunk, obs: np.ndarray, picked: list, n: int, half_life: float) -> dict[int, Line]:
    """forecast.fit of every KPI's points (a dated stated baseline first, then its de-duplicated actuals), summed in
    the same order as fit sums them, so the lines are the same to the last bit."""
    base = [(i, p[0].day.toordinal(), p[0].value) for i, p in enumerate(picked) if p[0] is not None and p[0].day]
    seg = np.concatenate([np.array([b[0] for b in base], dtype=np.int64), x.kidx[obs]])
    day = np.concatenate([np.array([b[1] for b in base], dtype=np.int64), x.day[obs]])
    val = np.concatenate([np.array([b[2] for b in base], dtype=float), x.value[obs]])
    rank = np.concatenate([np.zeros(len(base), dtype=np.int64), np.arange(1, len(obs) + 1)])
    order = np.lexsort((rank, seg))
    seg, day, val = seg[order], day[order], val[order]
    last, count, mx, my, sxx, sxy = weighted_fit(seg, day, val, n, half_life, exact=True)
    return {i: Line(float(mx[i]), float(my[i]), float(sxy[i] / sxx[i]), int(last[i]), int(count[i]))
            for i in np.nonzero((count >= 2) & (sxx != 0))[0].tolist()}
