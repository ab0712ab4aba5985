"""Write one document and everything a reader extracted from it, inside the caller's transaction.
Canonical rows (themes, reform items, KPIs, organisations) are shared; every appearance keeps its own source."""
from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mieruka.records import extraction as r
from mieruka.records.canonical import alias_of, canonical_name, is_after_the_fact, key_for, kpi_key
from mieruka.jp import strip_markers
from mieruka.storage import models as m
from mieruka.storage.summaries import refresh_summaries
from mieruka.storage.search import index_written


class _Registry:
    """get-or-create for shared rows, cached for the length of one load, safe against a concurrent load creating
    the same row: the insert runs in a savepoint, and a unique-key violation means the other load committed it
    first (PostgreSQL waits on the key until it does), so the row is read back instead."""

    def __init__(self, session: Session):
        self.s = session
        self.cache: dict[tuple, object] = {}
        self.created: dict[str, list] = {}  # the rows this load made, by model name

    def get(self, model, lookup: dict, create: Callable[[], object]):
        ck = (model.__name__, *sorted(lookup.items()))
        if ck in self.cache:
            return self.cache[ck]
        obj = self.s.scalars(select(model).filter_by(**lookup)).first()
        if obj is None:
            try:
                with self.s.begin_nested():
                    obj = create()
                    self.s.add(obj)
                self.created.setdefault(model.__name__, []).append(obj)
            except IntegrityError:
                obj = self.s.scalars(select(model).filter_by(**lookup)).one()
        self.cache[ck] = obj
        return obj


def find_document(session: Session, sha256: str) -> m.Document | None:
    return session.scalars(select(m.Document).where(m.Document.sha256 == sha256)).first()


def add_document(session: Session, **fields) -> m.Document:
    doc = m.Document(**fields)
    session.add(doc)
    session.flush()
    return doc


def _prov(doc: m.Document, src: r.Source) -> dict:
    return {"document_id": doc.id, "line_start": src.line, "line_end": src.line_end or src.line, "source_text": src.text}


def store_extraction(session: Session, doc: m.Document, ex: r.Extraction) -> dict[str, int]:
    """Store the records of one Extraction; returns how many rows of each kind were written."""
    r.with_date_precisions(ex)  # a date stored without its precision would be shown as a day
    reg = _Registry(session)
    written = {"items": 0, "steps": 0, "schedules": 0, "kpis_new": 0, "appearances": 0, "targets": 0,
               "observations": 0, "ratings": 0, "measures": 0, "cases": 0, "budgets": 0, "results": 0}

    def theme(name: str | None) -> m.Theme | None:
        if not name:
            return None
        key = key_for("theme", name)
        return reg.get(m.Theme, {"key": key}, lambda: m.Theme(key=key, name=name))

    def item(name: str | None, number: str | None = None, theme_name: str | None = None) -> m.ReformItem | None:
        if not name:
            return None
        key = key_for("item", name)
        obj = reg.get(m.ReformItem, {"key": key}, lambda: m.ReformItem(key=key, name=name, number=number))
        if number and not obj.number:
            obj.number = number
        t = theme(theme_name)
        if t is not None and obj.theme_id is None:
            obj.theme_id = t.id
        return obj

    def edition(name: str | None, published) -> m.Edition | None:
        if not name:
            return None
        plan_name = name.split(" ")[0].split("(")[0]
        plan = reg.get(m.Plan, {"name": plan_name}, lambda: m.Plan(name=plan_name))
        return reg.get(m.Edition, {"plan_id": plan.id, "published": published},
                       lambda: m.Edition(plan_id=plan.id, name=name, published=published))

    def organisation(name: str | None) -> m.Organisation | None:
        if not name:
            return None
        name = canonical_name("organisation", name)
        return reg.get(m.Organisation, {"name": name}, lambda: m.Organisation(name=name))

    editions_by_name: dict[str, m.Edition] = {}
    scheduled: set[int] = set()  # reform items given schedule rows: their 《主担当府省庁等》 may change
    for it in ex.items:
        ri = item(it.name, it.number, it.theme)
        written["items"] += 1
        for st in it.steps:
            session.add(m.ProcessStep(reform_item_id=ri.id, step=st.step, progress=st.progress, outlook=st.outlook,
                                      status_word=st.status_word, **_prov(doc, st.source)))
            written["steps"] += 1
        for sc in it.schedules:
            ed = edition(sc.edition, sc.edition_date)
            if ed is not None:
                editions_by_name[sc.edition] = ed
            session.add(m.ScheduleEntry(reform_item_id=ri.id, edition_id=ed.id if ed else None, period=sc.period,
                                        text=sc.text, offices=sc.offices, **_prov(doc, sc.source)))
            scheduled.add(ri.id)
            written["schedules"] += 1

    kpis_by_name: dict[str, m.Kpi] = {}
    for k in ex.kpis:
        key = kpi_key(k.name, k.reform_item)
        if not key:
            continue
        clean = alias_of("kpi", k.name) or strip_markers(k.name)[0]

        def make(k=k, key=key, clean=clean) -> m.Kpi:
            return m.Kpi(key=key, name=clean, tier=k.tier, unit=k.unit, direction=k.direction or "up",
                         after_the_fact=k.after_the_fact or is_after_the_fact(k.name))

        kpi = reg.get(m.Kpi, {"key": key}, make)
        if kpi.tier is None and k.tier is not None:
            kpi.tier = k.tier
        if kpi.unit is None and k.unit:
            kpi.unit = k.unit
        if k.direction == "down":  # "up" is only the default; any document saying "down" is evidence
            kpi.direction = "down"
        ri = item(k.reform_item)
        if ri is not None and kpi.reform_item_id is None and "再掲" not in k.markers:
            kpi.reform_item_id = ri.id
        org = organisation(k.organisation)
        if org is not None and (kpi.organisation_id is None or kpi.organisation_inferred):
            kpi.organisation_id, kpi.organisation_inferred = org.id, False  # a document's word beats an inference
        kpis_by_name[k.name] = kpi
        session.add(m.KpiAppearance(kpi_id=kpi.id, name_as_written=k.name, markers=k.markers,
                                    tier_as_written=str(k.tier) if k.tier else None,
                                    next_measurement=k.next_measurement, next_measurement_date=k.next_measurement_date,
                                    next_measurement_precision=k.next_measurement_precision,
                                    policy_text=k.policy_text, **_prov(doc, k.source)))
        written["appearances"] += 1
        if k.baseline is not None:
            b = k.baseline
            session.add(m.Baseline(kpi_id=kpi.id, value=b.value, unit=b.unit, as_of=b.as_of, text=b.text,
                                   as_of_precision=b.as_of_precision, **_prov(doc, b.source)))
        for t in k.targets:
            ed = editions_by_name.get(t.edition) if t.edition else None
            session.add(m.Target(kpi_id=kpi.id, edition_id=ed.id if ed else None, value=t.value, unit=t.unit,
                                 deadline=t.deadline, comparator=t.comparator, relative_factor=t.relative_factor,
                                 relative_kind=t.relative_kind, relative_base_year=t.relative_base_year,
                                 relative_base_value=t.relative_base_value, promised_by=t.promised_by, unset=t.unset,
                                 interim=t.interim, text=t.text, deadline_precision=t.deadline_precision,
                                 promised_by_precision=t.promised_by_precision, **_prov(doc, t.source)))
            written["targets"] += 1
        for o in k.observations:
            session.add(m.Observation(kpi_id=kpi.id, value=o.value, unit=o.unit, as_of=o.as_of, status=o.status,
                                      text=o.text, as_of_precision=o.as_of_precision, **_prov(doc, o.source)))
            written["observations"] += 1
        first_obs = next((o for o in k.observations if o.as_of), None)
        for rt in k.ratings:
            session.add(m.Rating(kpi_id=kpi.id, scheme=rt.scheme, code=rt.code, official=True,
                                 as_of=first_obs.as_of if first_obs else None, document_id=doc.id,
                                 line_start=rt.source.line, line_end=rt.source.line_end or rt.source.line,
                                 source_text=rt.source.text))
            written["ratings"] += 1
    for k in ex.kpis:
        if k.parent and k.name in kpis_by_name:
            parent = kpis_by_name.get(k.parent)
            if parent is None:
                pkey = key_for("kpi", k.parent)
                parent = session.scalars(select(m.Kpi).where(m.Kpi.key == pkey)).first()
            child = kpis_by_name[k.name]
            if parent is not None and parent.id != child.id and child.parent_id is None:
                child.parent_id = parent.id

    measures: list[m.Measure] = []
    cases: list[m.AdvancedCase] = []
    for ms in ex.measures:
        measure = m.Measure(no=ms.no, code=ms.code, name=ms.name, kpi_progress=ms.kpi_progress, kpi_effect=ms.kpi_effect,
                            overview=ms.overview, pillar=canonical_name("pillar", ms.pillar), timing=ms.timing,
                            effect_efficiency=ms.effects.get("efficiency", False),
                            effect_economy=ms.effects.get("economy", False),
                            effect_convenience=ms.effects.get("convenience", False),
                            effect_safety=ms.effects.get("safety", False),
                            support=ms.support, budget_programme=ms.budget_programme, urls=ms.urls, **_prov(doc, ms.source))
        for pos, mn in enumerate(ms.ministries):
            measure.ministries.append(m.MeasureMinistry(organisation_id=organisation(mn.name).id, lead=mn.lead, position=pos))
        session.add(measure)
        measures.append(measure)
        written["measures"] += 1
        for k in ms.kpi_statements:
            linked = _link_statement(session, doc, k, kpis_by_name, reg)
            if linked is not None:
                kpis_by_name[f"{k.name}@{ms.no}"] = linked
                written["kpi_links"] = written.get("kpi_links", 0) + 1

    for c in ex.cases:
        case = m.AdvancedCase(title=c.title, theme=c.theme, summary=c.summary, municipalities=c.municipalities,
                              **_prov(doc, c.source))
        for pos, e in enumerate(c.effects):
            case.effects.append(m.CaseEffect(position=pos, label=e.label, amount_yen=e.amount_yen,
                                             change_percent=e.change_percent, period_years=e.period_years, text=e.text))
        session.add(case)
        cases.append(case)
        written["cases"] += 1

    for b in ex.budgets:
        session.add(m.BudgetLine(policy=b.policy, fiscal_year=b.fiscal_year, category=b.category, amount_yen=b.amount_yen,
                                 **_prov(doc, b.source)))
        written["budgets"] += 1
    for res in ex.results:
        session.add(m.PolicyResult(policy=res.policy, result=res.result, **_prov(doc, res.source)))
        written["results"] += 1
    session.flush()
    new_kpis = [k.id for k in reg.created.get("Kpi", [])]
    written["kpis_new"] = len(new_kpis)
    # Only the reform items this document gave schedule rows or KPIs can change whose ministry is inferred: the
    # cost follows the document, not every item stored before it.
    touched = scheduled | {k.reform_item_id for k in kpis_by_name.values() if k.reform_item_id is not None}
    inferred = infer_ministries(session, organisation, touched)
    written["ministries_inferred"] = len(inferred)
    refresh_summaries(session, {k.id for k in kpis_by_name.values()} | set(inferred))
    index_written(session, {"kpi": new_kpis, "measure": [x.id for x in measures], "case": [c.id for c in cases],
                            "document": [doc.id]})
    return written


def _known_kpi(session: Session, name: str, known: dict[str, m.Kpi]) -> m.Kpi | None:
    key = kpi_key(name)
    return next((x for x in known.values() if x.key == key), None) or \
        session.scalars(select(m.Kpi).where(m.Kpi.key == key)).first()


def _link_statement(session: Session, doc: m.Document, k: r.KpiRecord, known: dict[str, m.Kpi], reg) -> m.Kpi | None:
    """A catalogue's KPI statement that names a KPI mieruka already knows is that KPI's statement from a later
    document: its target and an appearance are stored on that KPI (a KPI it does not know is not made). A part of a
    known KPI's target (「…、うち自治体クラウド導入団体は約1,100団体」) is that KPI's second measure, made as its child."""
    kpi = _known_kpi(session, k.name, known)
    parent = _known_kpi(session, k.parent, known) if kpi is None and k.parent else None
    if parent is not None:
        key = kpi_key(k.name)
        name = alias_of("kpi", k.name) or strip_markers(k.name)[0]
        kpi = reg.get(m.Kpi, {"key": key}, lambda: m.Kpi(key=key, name=name, tier=parent.tier, unit=k.unit,
                                                          direction=k.direction or parent.direction or "up",
                                                          after_the_fact=False))
        kpi.parent_id = kpi.parent_id or parent.id
        kpi.reform_item_id = kpi.reform_item_id or parent.reform_item_id
        if kpi.organisation_id is None and parent.organisation_id is not None:  # a part of its count: the same office
            kpi.organisation_id, kpi.organisation_inferred = parent.organisation_id, parent.organisation_inferred
    if kpi is None:
        return None
    session.add(m.KpiAppearance(kpi_id=kpi.id, name_as_written=k.name, markers=[], **_prov(doc, k.source)))
    for t in k.targets:
        session.add(m.Target(kpi_id=kpi.id, value=t.value, unit=t.unit, deadline=t.deadline, comparator=t.comparator,
                             relative_factor=t.relative_factor, relative_kind=t.relative_kind,
                             relative_base_year=t.relative_base_year, relative_base_value=t.relative_base_value,
                             promised_by=t.promised_by, unset=t.unset, interim=t.interim, text=t.text,
                             deadline_precision=t.deadline_precision, promised_by_precision=t.promised_by_precision,
                             **_prov(doc, t.source)))
    return kpi


def record_observation(session: Session, kpi_id: int, document_id: int, value: float | None, as_of, text: str,
                       unit: str | None = None, status: str | None = None, line: int | None = None) -> int:
    """Add one observation of a KPI with its source (a correction is a new row, never an edit of a published one);
    the KPI's list row and data version follow. Returns the new data version."""
    session.add(m.Observation(kpi_id=kpi_id, document_id=document_id, value=value, as_of=as_of, text=text, unit=unit,
                              status=status, line_start=line, line_end=line, source_text=text))
    return refresh_summaries(session, [kpi_id])


# The schedule column printed with 《主担当府省庁等》: the first one, 2014・2015年度 or ～2016年度.
_FIRST_PERIODS = ("2014・2015年度", "～2016年度")


def lead_offices(session: Session, item_ids: Iterable[int] | None = None) -> dict[int, str]:
    """Each reform item's 《主担当府省庁等》 (of the given items only, when given): the office named in the first column
    of its first schedule row, from the newest edition that names one. The database picks the one row per item."""
    S, E = m.ScheduleEntry, m.Edition
    where = [S.reform_item_id.is_not(None), or_(*(S.period.startswith(p, autoescape=True) for p in _FIRST_PERIODS)),
             S.offices.is_not(None), cast(S.offices, String).not_in(["null", "[]"])]
    if item_ids is not None:
        item_ids = sorted(set(item_ids))
        if not item_ids:
            return {}
        where.append(S.reform_item_id.in_(item_ids))
    rn = func.row_number().over(partition_by=S.reform_item_id,
                                order_by=[E.published.is_(None), E.published.desc(), S.document_id,
                                          func.coalesce(S.line_start, 0), S.id]).label("rn")
    ranked = (select(S.reform_item_id, S.offices, rn).outerjoin(E, E.id == S.edition_id).where(*where)).subquery()
    rows = session.execute(select(ranked.c.reform_item_id, ranked.c.offices).where(ranked.c.rn == 1))
    return {item_id: offices[0] for item_id, offices in rows if offices}


def infer_ministries(session: Session, organisation: Callable[[str], m.Organisation],
                     item_ids: Iterable[int] | None = None) -> list[int]:
    """KPIs no document gives a ministry take their reform item's 《主担当府省庁等》, marked as inferred (never over a
    ministry a document names); only the KPIs of item_ids when given. Returns the ids of the KPIs whose ministry
    changed."""
    leads = lead_offices(session, item_ids)
    if not leads:
        return []
    kpis = session.scalars(select(m.Kpi).where(m.Kpi.reform_item_id.in_(sorted(leads)),
                                               (m.Kpi.organisation_id.is_(None)) | m.Kpi.organisation_inferred)).all()
    changed = []
    for k in kpis:
        lead = organisation(leads[k.reform_item_id]).id
        if k.organisation_id != lead or not k.organisation_inferred:
            k.organisation_id, k.organisation_inferred = lead, True
            changed.append(k.id)
    session.flush()
    return changed
