"""The national measure list in SQL: facet filters, facet counts (each given the other facets), paging.
Full-text hits (storage.search) narrow the list and give its order when a search ran."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import case, false, func, select
from sqlalchemy.orm import Session

from mieruka.storage import models as m
from mieruka.storage.queries import measure_rows

EFFECTS = ("efficiency", "economy", "convenience", "safety")
FACETS = ("pillar", "effect", "ministry", "lead", "timing")
M, MM, O = m.Measure, m.MeasureMinistry, m.Organisation


def _named(value: str, lead: bool = False):
    """Measures naming that ministry (as the lead one): a set computed once, not a lookup per measure."""
    cond = [O.name == value]
    if lead:
        cond.append(MM.lead.is_(True))
    return M.id.in_(select(MM.measure_id).join(O, O.id == MM.organisation_id).where(*cond))


def _conditions(chosen: dict[str, str | None], hits: list[int] | None, skip: str | None = None) -> list:
    out = [] if hits is None else [M.id.in_(hits)]
    for name, value in chosen.items():
        if not value or name == skip:
            continue
        if name == "pillar":
            out.append(M.pillar == value)
        elif name == "timing":
            out.append(M.timing == value)
        elif name == "effect":
            out.append(getattr(M, f"effect_{value}").is_(True) if value in EFFECTS else false())
        elif name == "ministry":
            out.append(_named(value))
        elif name == "lead":
            out.append(_named(value, lead=True))
    return out


def measure_total(session: Session, chosen: dict, hits: list[int] | None = None) -> int:
    return session.scalar(select(func.count()).select_from(M).where(*_conditions(chosen, hits)))


def measure_page_ids(session: Session, chosen: dict, hits: list[int] | None, limit: int | None,
                     offset: int = 0) -> list[int]:
    """Ids of the measures passing every facet, in catalogue order (no, id) or, after a search, best hit first."""
    q = select(M.id).where(*_conditions(chosen, hits))
    if hits is None:
        q = q.order_by(M.no, M.id).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        return list(session.scalars(q))
    passing = set(session.scalars(q))
    ranked = [i for i in hits if i in passing]
    return ranked[offset:None if limit is None else offset + limit]


def measure_page(session: Session, chosen: dict, hits: list[int] | None, limit: int | None,
                 offset: int = 0) -> tuple[int, list[dict]]:
    total = measure_total(session, chosen, hits)
    return total, measure_rows(session, measure_page_ids(session, chosen, hits, limit, offset)) if total else []


def iter_measures(session: Session, chosen: dict, hits: list[int] | None, batch: int = 500) -> Iterator[dict]:
    ids = measure_page_ids(session, chosen, hits, None)
    for start in range(0, len(ids), batch):
        yield from measure_rows(session, ids[start:start + batch])


def measure_facets(session: Session, chosen: dict, hits: list[int] | None = None) -> dict[str, list[tuple[str, int]]]:
    """Per facet, how many measures each value would leave given the other facets chosen; pillars and timings in the
    catalogue's own order (the number of the first measure under each), ministries with the most measures first."""
    universe = [] if hits is None else [M.id.in_(hits)]
    facets = {}
    for name in ("pillar", "timing"):
        col = getattr(M, name)
        first_no = dict(session.execute(select(col, func.min(func.coalesce(M.no, 0)))
                                        .where(col.is_not(None), col != "", *universe).group_by(col)).all())
        counts = dict(session.execute(select(col, func.count()).where(col.is_not(None), col != "",
                                                                      *_conditions(chosen, hits, name)).group_by(col)).all())
        facets[name] = [(v, counts[v]) for v in sorted(counts, key=lambda v: (first_no.get(v, 0), v)) if counts[v]]
    sums = session.execute(select(*(func.sum(case((getattr(M, f"effect_{e}").is_(True), 1), else_=0)) for e in EFFECTS))
                           .where(*_conditions(chosen, hits, "effect"))).one()
    facets["effect"] = [(e, int(n)) for e, n in zip(EFFECTS, sums) if n]
    for name in ("ministry", "lead"):
        q = (select(O.name, func.count()).select_from(MM).join(O, O.id == MM.organisation_id).join(M, M.id == MM.measure_id)
             .where(*_conditions(chosen, hits, name)).group_by(O.name))
        if name == "lead":
            q = q.where(MM.lead.is_(True))
        counts = dict(session.execute(q).all())
        facets[name] = [(v, counts[v]) for v in sorted(counts, key=lambda v: (-counts[v], v)) if counts[v]]
    return {name: facets[name] for name in FACETS}

