"""Bottom-up KPIs: a count or rate of municipalities that adopted an initiative, from survey responses,
per prefecture and nationally (over all 1,741 municipalities), checked against the figure the documents published."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from mieruka.bodies import registry
from mieruka.evaluate.explain import num_en
from mieruka.jp import format_value
from mieruka.storage import local_bodies as store

MEASURES = ("count", "rate")
UNITS = {"count": "団体", "rate": "%"}
# Units the documents use for a number of municipalities: any of them compares with a count.
COUNT_UNITS = {"団体", "自治体", "市区町村", "市町村", None}
# Published rates are rounded to 0.1 point, so smaller differences are rounding, not disagreement.
RATE_TOLERANCE = 0.05


@dataclass(frozen=True)
class Figure:
    """The KPI for one area: `adopted` of `denominator` municipalities (`answered` said yes or no)."""

    prefecture_code: str | None
    adopted: int
    answered: int
    denominator: int
    value: float
    unit: str


@dataclass
class Snapshot:
    """The KPI computed from one survey import."""

    initiative: str
    measure: str
    import_id: int
    as_of: date
    file_name: str
    national: Figure
    prefectures: dict[str, Figure] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["prefectures"] = [asdict(f) for f in self.prefectures.values()]
        return out


def municipality_counts() -> Counter:
    """Municipalities per prefecture code: the denominators of per-prefecture rates (1,741 in all)."""
    return Counter(b.prefecture_code for b in registry.municipalities())


def figure(prefecture_code: str | None, adopted: int, answered: int, denominator: int, measure: str) -> Figure:
    if measure not in MEASURES:
        raise ValueError(f"measure is one of {', '.join(MEASURES)}, got {measure!r}")
    value = float(adopted) if measure == "count" else adopted / denominator * 100
    return Figure(prefecture_code, adopted, answered, denominator, value, UNITS[measure])


def aggregate(counts: list[dict], initiative: str, measure: str) -> list[Snapshot]:
    """Snapshots from per-import, per-prefecture counts (storage.local_bodies.adoption_counts), oldest first.

    A municipality that did not answer counts as not adopted: the documents' rates are over all 1,741."""
    denominators = municipality_counts()
    by_import: dict[int, list[dict]] = defaultdict(list)
    for row in counts:
        by_import[row["import_id"]].append(row)
    snapshots = []
    for import_id, rows in by_import.items():
        prefectures = {r["prefecture_code"]: figure(r["prefecture_code"], r["adopted"], r["answered"],
                                                    denominators[r["prefecture_code"]], measure) for r in rows}
        national = figure(None, sum(r["adopted"] for r in rows), sum(r["answered"] for r in rows),
                          registry.MUNICIPALITY_COUNT, measure)
        snapshots.append(Snapshot(initiative, measure, import_id, rows[0]["as_of"], rows[0]["file_name"],
                                  national, prefectures))
    return sorted(snapshots, key=lambda s: (s.as_of, s.import_id))


def compare(snapshot: Snapshot, published: list[dict], kpi: dict) -> dict | None:
    """An audit finding when a figure the documents published for the same date differs from the survey's.

    `published` are the KPI's observations from documents (value, unit, as_of, source)."""
    limit = 0 if snapshot.measure == "count" else RATE_TOLERANCE
    differing = [p for p in published if p["as_of"] == snapshot.as_of and p["value"] is not None
                 and _comparable(p["unit"], snapshot.measure) and abs(snapshot.national.value - p["value"]) > limit]
    if not differing:
        return None
    # Documents may repeat one figure or publish two for the same date (948 and 950 団体): one finding per
    # survey names every differing value and cites every document that gave one.
    values = list(dict.fromkeys(p["value"] for p in differing))
    unit = snapshot.national.unit
    against = "、".join(f"公表値 {format_value(v, unit)} と {format_value(abs(snapshot.national.value - v), unit)}"
                       for v in values)
    message = (f"調査の集計 {format_value(snapshot.national.value, unit)}"
               f"({snapshot.national.adopted:,}/{snapshot.national.denominator:,}団体, {snapshot.as_of.isoformat()}現在)は"
               f"{against} 異なる")
    against_en = ", ".join(f"the published {num_en(v, unit)} by {num_en(abs(snapshot.national.value - v), unit)}"
                           for v in values)
    message_en = (f"the survey total {num_en(snapshot.national.value, unit)} ({snapshot.national.adopted:,} of "
                  f"{snapshot.national.denominator:,} bodies, as of {snapshot.as_of.isoformat()}) differs from {against_en}")
    return {
        "kind": "bottom_up_mismatch", "kpi_id": kpi["kpi_id"], "kpi": kpi["kpi"], "message": message,
        "message_en": message_en,
        "as_of": snapshot.as_of, "published": values[0], "published_values": values,
        "computed": snapshot.national.value, "difference": snapshot.national.value - values[0],
        "sources": [p["source"] for v in values for p in differing if p["value"] == v]
                   + [{"document": snapshot.file_name, "survey_import_id": snapshot.import_id, "line": None}],
    }


def published_by_date(published: list[dict]) -> dict[date, list[dict]]:
    """Date → the distinct figures the documents published for it (value, unit, every source), in the order
    first seen: documents repeat a figure, and two may give different ones for one date (948 and 950 団体)."""
    by_date: dict[date, dict] = {}
    for p in published:
        figures = by_date.setdefault(p["as_of"], {})
        figure = figures.setdefault((p["value"], p["unit"]), {"value": p["value"], "unit": p["unit"], "sources": []})
        figure["sources"].append(p["source"])
    return {when: list(figures.values()) for when, figures in by_date.items()}


def _comparable(unit: str | None, measure: str) -> bool:
    return unit in COUNT_UNITS if measure == "count" else unit in ("%", None)


def kpi_report(session: Session, kpi_id: int) -> dict | None:
    """A bottom-up KPI with every snapshot and the findings against its published figures."""
    found = store.survey_kpis(session, kpi_id)
    if not found:
        return None
    definition = found[0]
    snapshots = aggregate(store.adoption_counts(session, definition["initiative"]),
                          definition["initiative"], definition["measure"])
    published = store.published_observations(session, kpi_id)
    findings = [f for f in (compare(s, published, definition) for s in snapshots) if f]
    return {**definition, "snapshots": snapshots, "published": published, "findings": findings}


def findings(session: Session) -> list[dict]:
    """Every bottom-up mismatch over all defined bottom-up KPIs, for the audit."""
    out = []
    for definition in store.survey_kpis(session):
        out.extend(kpi_report(session, definition["kpi_id"])["findings"])
    return out


def observations(session: Session, kpi_id: int) -> list[dict]:
    """The national values of a bottom-up KPI shaped like the observations of storage.queries.kpi_rows,
    for pages and ratings that want to show or rate them beside the published ones."""
    report = kpi_report(session, kpi_id)
    if report is None:
        return []
    return [{"value": s.national.value, "unit": s.national.unit, "as_of": s.as_of, "status": "bottom-up",
             "text": f"{s.national.adopted:,}/{s.national.denominator:,}団体 (調査 {s.file_name})",
             "source": {"document": s.file_name, "survey_import_id": s.import_id, "line": None}}
            for s in report["snapshots"]]
