"""Database reads and writes for local bodies: the registry table, survey imports and responses, attributes,
bottom-up KPI definitions and the link from advanced cases to bodies. Plain dicts out, as in queries.py."""
from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from mieruka.bodies import names, registry
from mieruka.jp import strip_invisible
from mieruka.storage import models as m
from mieruka.storage.queries import case_rows

_REGISTRY_FIELDS = ("prefecture_code", "prefecture", "name", "kana", "kind", "designated_city")
_RESPONSE_FIELDS = ("adopted", "year_started", "cost_before", "cost_after", "population")


def _insert_new(session: Session, model):
    """INSERT that skips rows whose key another transaction has committed meanwhile (two imports at once)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert
    else:
        return insert(model)
    return upsert(model).on_conflict_do_nothing()


def sync_registry(session: Session) -> dict[str, int]:
    """Make local_bodies hold every body of the registry; idempotent, and it keeps imported attributes.

    Returns how many rows were added and updated (both 0 when the table was already in step)."""
    current = {row.code: row for row in session.execute(select(m.LocalBody.code, *[
        getattr(m.LocalBody, f) for f in _REGISTRY_FIELDS]))}
    added, changed = [], []
    for body in registry.all_bodies():
        values = {"code": body.code, **{f: getattr(body, f) for f in _REGISTRY_FIELDS}}
        row = current.get(body.code)
        if row is None:
            added.append(values)
        elif any(getattr(row, f) != values[f] for f in _REGISTRY_FIELDS):
            changed.append(values)
    if added:
        session.execute(_insert_new(session, m.LocalBody), added)
    if changed:
        session.execute(update(m.LocalBody), changed)
    session.flush()
    if added:
        from mieruka.storage.search import index_written

        index_written(session)  # a body is found by its name and its kana from the moment it is there
    return {"added": len(added), "updated": len(changed), "total": len(current) + len(added)}


def registry_complete(session: Session) -> bool:
    """Whether the table holds every body (one count query): ensure_registry then writes nothing."""
    return session.scalar(select(func.count()).select_from(m.LocalBody)) == len(registry.all_bodies())


def ensure_registry(session: Session) -> None:
    """sync_registry only when the table does not hold every body: one count query on the usual path."""
    if not registry_complete(session):
        sync_registry(session)


def link_cases(session: Session, document_id: int | None = None) -> list[dict]:
    """Fill AdvancedCase.body_codes by resolving each case's municipality names; returns what did not resolve.

    With `document_id`, only that document's cases (what an ingest adds: its cost follows the new document, not
    every case stored before). A name that is ambiguous or unknown is left out of body_codes and reported, never
    guessed."""
    ensure_registry(session)
    unresolved = []
    q = select(m.AdvancedCase)
    if document_id is not None:
        q = q.where(m.AdvancedCase.document_id == document_id)
    for c in session.scalars(q):
        codes: list[str] = []
        for written in c.municipalities or []:
            try:
                bodies = names.resolve_many(written)
            except LookupError as exc:
                unresolved.append({"case_id": c.id, "name": written, "error": str(exc)})
                continue
            codes.extend(b.code for b in bodies if b.code not in codes)
        if c.body_codes != codes:
            c.body_codes = codes
    session.flush()
    return unresolved


# --- survey imports ---------------------------------------------------------------------------

def find_import(session: Session, initiative: str, as_of: date) -> m.SurveyImport | None:
    initiative = strip_invisible(initiative)  # a zero-width space must not make a second initiative
    from mieruka.storage.survey_round_models import SurveyRequest

    # a round's survey (answers approved one by one) is not a file's, and a file imported later does not replace it
    made_by_rounds = select(SurveyRequest.import_id).where(SurveyRequest.import_id.is_not(None))
    return session.scalars(select(m.SurveyImport).where(
        m.SurveyImport.initiative == initiative, m.SurveyImport.as_of == as_of,
        m.SurveyImport.id.not_in(made_by_rounds)).order_by(m.SurveyImport.id.desc())).first()


def store_survey(session: Session, *, file_name: str, raw: bytes, initiative: str, as_of: date,
                 rows: list[dict], report: dict) -> dict:
    """Write one survey import and its responses; an earlier import of the same initiative and date is replaced.

    `rows` hold body_code, line and the answer fields. The same file imported again for the same
    initiative and date changes nothing. Bodies' populations follow the newest survey that gives one."""
    initiative = strip_invisible(initiative)
    sync_registry(session)
    sha = hashlib.sha256(raw).hexdigest()
    previous = find_import(session, initiative, as_of)
    if previous is not None and previous.sha256 == sha:
        return {"status": "unchanged", "import_id": previous.id, "replaced": None}
    replaced = None
    if previous is not None:
        replaced = previous.id
        session.execute(delete(m.SurveyResponse).where(m.SurveyResponse.import_id == previous.id))
        session.delete(previous)
        session.flush()
    record = m.SurveyImport(file_name=file_name, sha256=sha, initiative=initiative, as_of=as_of, raw=raw, report=report)
    session.add(record)
    session.flush()
    session.execute(insert(m.SurveyResponse), [
        {"import_id": record.id, "body_code": r["body_code"], "line": r["line"], **{f: r.get(f) for f in _RESPONSE_FIELDS}}
        for r in rows])
    _update_populations(session, {r["body_code"]: r["population"] for r in rows if r.get("population")}, as_of)
    session.flush()
    return {"status": "loaded", "import_id": record.id, "replaced": replaced}


def _update_populations(session: Session, populations: dict[str, int], as_of: date) -> None:
    if not populations:
        return
    stamp = as_of.isoformat()
    changes = []
    for code, attributes in session.execute(select(m.LocalBody.code, m.LocalBody.attributes).where(
            m.LocalBody.code.in_(list(populations)))):
        attributes = dict(attributes or {})
        if attributes.get("population_as_of", "") > stamp:
            continue
        attributes["population_as_of"] = stamp
        changes.append({"code": code, "population": populations[code], "attributes": attributes})
    if changes:
        session.execute(update(m.LocalBody), changes)


def store_attributes(session: Session, rows: list[dict], as_of: date | None = None) -> int:
    """Set population, industry class and other attributes (city_class, shares) of the bodies in `rows`.

    Each row holds body_code and any of population, industry and extra attribute keys; None leaves a value as it is."""
    sync_registry(session)
    current = dict(session.execute(select(m.LocalBody.code, m.LocalBody.attributes).where(
        m.LocalBody.code.in_([r["body_code"] for r in rows]))).all())
    changes = []
    for r in rows:
        attributes = dict(current.get(r["body_code"]) or {})
        change = {"code": r["body_code"]}
        for key, value in r.items():
            if key in ("body_code", "line") or value is None:
                continue
            if key in ("population", "industry"):
                change[key] = value
            else:
                attributes[key] = value
        if "population" in change and as_of is not None:
            attributes["population_as_of"] = as_of.isoformat()
        change["attributes"] = attributes
        changes.append(change)
    if changes:
        session.execute(update(m.LocalBody), changes)
    session.flush()
    return len(changes)


def imports(session: Session, initiative: str | None = None) -> list[dict]:
    initiative = strip_invisible(initiative) if initiative is not None else None
    q = select(m.SurveyImport.id, m.SurveyImport.file_name, m.SurveyImport.initiative, m.SurveyImport.as_of,
               m.SurveyImport.sha256, m.SurveyImport.imported_at, m.SurveyImport.report,
               func.count(m.SurveyResponse.id).label("responses")).outerjoin(
        m.SurveyResponse, m.SurveyResponse.import_id == m.SurveyImport.id).group_by(m.SurveyImport.id)
    if initiative is not None:
        q = q.where(m.SurveyImport.initiative == initiative)
    q = q.order_by(m.SurveyImport.initiative, m.SurveyImport.as_of, m.SurveyImport.id)
    return [{"id": r.id, "file_name": r.file_name, "initiative": r.initiative, "as_of": r.as_of, "sha256": r.sha256,
             "imported_at": r.imported_at, "responses": r.responses,
             "rejected": (r.report or {}).get("rejected", len((r.report or {}).get("errors", [])))} for r in session.execute(q)]


def adoption_counts(session: Session, initiative: str) -> list[dict]:
    """Per import of the initiative and per prefecture: how many municipalities answered and how many adopted."""
    initiative = strip_invisible(initiative)
    adopted = func.sum(case((m.SurveyResponse.adopted.is_(True), 1), else_=0))
    answered = func.sum(case((m.SurveyResponse.adopted.is_not(None), 1), else_=0))
    q = (select(m.SurveyImport.id, m.SurveyImport.as_of, m.SurveyImport.file_name, m.LocalBody.prefecture_code,
                adopted.label("adopted"), answered.label("answered"))
         .join(m.SurveyResponse, m.SurveyResponse.import_id == m.SurveyImport.id)
         .join(m.LocalBody, m.LocalBody.code == m.SurveyResponse.body_code)
         .where(m.SurveyImport.initiative == initiative)
         .group_by(m.SurveyImport.id, m.SurveyImport.as_of, m.SurveyImport.file_name, m.LocalBody.prefecture_code)
         .order_by(m.SurveyImport.as_of, m.LocalBody.prefecture_code))
    return [{"import_id": r.id, "as_of": r.as_of, "file_name": r.file_name, "prefecture_code": r.prefecture_code,
             "adopted": int(r.adopted or 0), "answered": int(r.answered or 0)} for r in session.execute(q)]


def latest_import(session: Session, initiative: str, as_of: date | None = None) -> m.SurveyImport | None:
    initiative = strip_invisible(initiative)
    q = select(m.SurveyImport).where(m.SurveyImport.initiative == initiative)
    if as_of is not None:
        q = q.where(m.SurveyImport.as_of <= as_of)
    return session.scalars(q.order_by(m.SurveyImport.as_of.desc(), m.SurveyImport.id.desc())).first()


def body_facts(session: Session, initiative: str | None = None, as_of: date | None = None) -> list[dict]:
    """Every municipality with its attributes and, when an initiative is given, its answer in the latest import
    of that initiative (on or before `as_of`). A population from the survey wins over the stored one."""
    imp = latest_import(session, initiative, as_of) if initiative else None
    cols = [m.LocalBody.code, m.LocalBody.prefecture_code, m.LocalBody.prefecture, m.LocalBody.name,
            m.LocalBody.kind, m.LocalBody.designated_city, m.LocalBody.population, m.LocalBody.industry,
            m.LocalBody.attributes]
    response_cols = [getattr(m.SurveyResponse, f).label(f"r_{f}") for f in _RESPONSE_FIELDS]
    q = select(*cols, *response_cols).where(m.LocalBody.kind != registry.PREFECTURE).outerjoin(
        m.SurveyResponse, and_(m.SurveyResponse.body_code == m.LocalBody.code,
                               m.SurveyResponse.import_id == (imp.id if imp else -1))).order_by(m.LocalBody.code)
    facts = []
    for r in session.execute(q):
        attributes = r.attributes or {}
        facts.append({
            "code": r.code, "prefecture_code": r.prefecture_code, "prefecture": r.prefecture, "name": r.name,
            "kind": r.kind, "designated_city": r.designated_city, "population": r.r_population or r.population,
            "industry": r.industry, "city_class": attributes.get("city_class"),
            "answered": r.r_adopted is not None or r.r_cost_before is not None or r.r_cost_after is not None,
            "adopted": r.r_adopted, "year_started": r.r_year_started,
            "cost_before": r.r_cost_before, "cost_after": r.r_cost_after,
        })
    return facts


def import_info(session: Session, initiative: str, as_of: date | None = None) -> dict | None:
    imp = latest_import(session, initiative, as_of)
    if imp is None:
        return None
    return {"id": imp.id, "file_name": imp.file_name, "initiative": imp.initiative, "as_of": imp.as_of,
            "imported_at": imp.imported_at}


# --- bodies and cases -------------------------------------------------------------------------

def body(session: Session, code: str) -> dict | None:
    row = session.get(m.LocalBody, code)
    return None if row is None else _body_dict(row)


def bodies(session: Session) -> dict[str, dict]:
    """Every body as body() gives it, by code: the pages of all bodies from one read."""
    return {row.code: _body_dict(row) for row in session.execute(select(*_BODY_COLUMNS).order_by(m.LocalBody.code))}


_BODY_COLUMNS = (m.LocalBody.code, m.LocalBody.prefecture_code, m.LocalBody.prefecture, m.LocalBody.name,
                 m.LocalBody.kana, m.LocalBody.kind, m.LocalBody.designated_city, m.LocalBody.population,
                 m.LocalBody.industry, m.LocalBody.attributes)


def _body_dict(row) -> dict:
    return {"code": row.code, "prefecture_code": row.prefecture_code, "prefecture": row.prefecture, "name": row.name,
            "kana": row.kana, "kind": row.kind, "designated_city": row.designated_city, "population": row.population,
            "industry": row.industry, "attributes": row.attributes or {}}


def cases_of_body(session: Session, code: str) -> list[dict]:
    """The advanced cases linked (by link_cases) to this body; the case list is short, so it is filtered here."""
    return cases_by_body(session).get(code, [])


def cases_by_body(session: Session) -> dict[str, list[dict]]:
    """The advanced cases linked to each body (code → cases, in case_rows' order): all bodies' pages from one read."""
    out: dict[str, list[dict]] = {}
    for c in case_rows(session):
        for code in dict.fromkeys(c["body_codes"] or ()):
            out.setdefault(code, []).append(c)
    return out


def population_of(session: Session, codes: list[str]) -> int | None:
    """The residents of the bodies a case names together: a joint effort (岡崎市・豊橋市) serves them all,
    so its cut per resident is over their sum; None unless every body's population is known."""
    if not codes:
        return None
    known = dict(session.execute(select(m.LocalBody.code, m.LocalBody.population).where(m.LocalBody.code.in_(codes))).all())
    populations = [known.get(code) for code in dict.fromkeys(codes)]
    return None if any(not p for p in populations) else sum(populations)


MUNICIPAL_UNITS = ("団体", "自治体", "市区町村", "市町村")
PREFECTURE_UNITS = ("都道府県",)


def _counted_in(prefecture: bool):
    """The KPIs counted in bodies of a kind: unit 団体, 自治体, 市区町村, 市町村; 都道府県 for prefectures."""
    return m.Kpi.unit.in_(PREFECTURE_UNITS if prefecture else MUNICIPAL_UNITS)


def count_counting_kpis(session: Session, prefecture: bool = False) -> int:
    return session.scalar(select(func.count()).select_from(m.Kpi).where(_counted_in(prefecture))) or 0


def kpis_counting_bodies(session: Session, prefecture: bool = False) -> dict:
    """What a body's page says of the KPIs counted in bodies of its kind (_counted_in): how many there are, and the
    survey KPIs that count municipalities (few, each with its survey). The KPIs themselves are listed by
    counting_kpi_page, one page for all bodies of a kind: named on every body's page, a renamed KPI changed 3,482
    pages of a published site."""
    surveyed = [] if prefecture else [{"kpi_id": k["kpi_id"], "name": k["kpi"], "survey": k["initiative"]}
                                      for k in survey_kpis(session)]
    return {"total": count_counting_kpis(session, prefecture), "surveyed": surveyed}


def counting_kpi_page(session: Session, prefecture: bool, offset: int, limit: int) -> list[dict]:
    """One page of the KPIs counted in bodies of a kind, in id order, each with the survey that counts it, if any."""
    rows = session.execute(select(m.Kpi.id, m.Kpi.name, m.Kpi.unit).where(_counted_in(prefecture))
                           .order_by(m.Kpi.id).offset(offset).limit(limit)).all()
    surveys = {} if prefecture else {k["kpi_id"]: k["initiative"] for k in survey_kpis(session)}
    return [{"kpi_id": r.id, "name": r.name, "unit": r.unit, "survey": surveys.get(r.id)} for r in rows]


def find_cases(session: Session, name: str) -> list[dict]:
    """Cases whose municipality list or title mentions `name` (e.g. 海老名市), with their effects."""
    return [c for c in case_rows(session) if any(name in written for written in c["municipalities"]) or name in c["title"]]


# --- bottom-up KPI definitions ------------------------------------------------------------------

def define_survey_kpi(session: Session, initiative: str, measure: str, kpi: str | None = None,
                      name: str | None = None) -> dict:
    """Attach a count or rate over the survey of `initiative` to a KPI: an existing one (id or key),
    whose published observations it will be compared with, or a new one named `name`."""
    initiative = strip_invisible(initiative)
    name = strip_invisible(name) if name else name
    if kpi is not None:
        target = _find_kpi(session, kpi)
        if target is None:
            raise LookupError(f"no KPI with id or key {kpi!r}")
    else:
        key = f"survey:{initiative}:{measure}"
        target = session.scalars(select(m.Kpi).where(m.Kpi.key == key)).first()
        if target is None:
            target = m.Kpi(key=key, name=name or f"{initiative} ({measure})", unit="団体" if measure == "count" else "%",
                           direction="up")
            session.add(target)
            session.flush()
            from mieruka.storage.search import index_written

            index_written(session, {"kpi": [target.id]})  # found by the search box from the moment it exists
    definition = session.scalars(select(m.SurveyKpi).where(m.SurveyKpi.kpi_id == target.id)).first()
    if definition is None:
        definition = m.SurveyKpi(kpi_id=target.id, initiative=initiative, measure=measure)
        session.add(definition)
    else:
        definition.initiative, definition.measure = initiative, measure
    session.flush()
    return {"id": definition.id, "kpi_id": target.id, "kpi": target.name, "unit": target.unit,
            "initiative": initiative, "measure": measure}


def _find_kpi(session: Session, ref: str) -> m.Kpi | None:
    if ref.isdigit():
        found = session.get(m.Kpi, int(ref))
        if found is not None:
            return found
    return session.scalars(select(m.Kpi).where(m.Kpi.key == ref)).first()


def survey_kpis(session: Session, kpi_id: int | None = None) -> list[dict]:
    q = select(m.SurveyKpi, m.Kpi).join(m.Kpi, m.Kpi.id == m.SurveyKpi.kpi_id).order_by(m.SurveyKpi.id)
    if kpi_id is not None:
        q = q.where(m.SurveyKpi.kpi_id == kpi_id)
    return [{"id": d.id, "kpi_id": k.id, "kpi": k.name, "key": k.key, "unit": k.unit, "initiative": d.initiative,
             "measure": d.measure} for d, k in session.execute(q)]


def published_observations(session: Session, kpi_id: int) -> list[dict]:
    """The KPI's observations as the documents published them, with document and line."""
    q = (select(m.Observation, m.Document.file_name).join(m.Document, m.Document.id == m.Observation.document_id)
         .where(m.Observation.kpi_id == kpi_id).order_by(m.Observation.as_of, m.Observation.id))
    return [{"value": o.value, "unit": o.unit, "as_of": o.as_of, "status": o.status, "text": o.text,
             "source": {"document": file_name, "document_id": o.document_id, "line": o.line_start}}
            for o, file_name in session.execute(q)]

