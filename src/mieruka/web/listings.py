"""The tables behind the list pages, the API and the downloads: their filters, row shapes and columns, and in Python the
KPI and measure filtering that the database runs (storage.summaries, storage.measure_lists; tests compare the two)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from mieruka.export.shapes import cited, cited_files
from mieruka.storage.summaries import RATING_BASES, KpiQuery
from mieruka.jp import normalise_text

PAGE_SIZE = 50
EFFECTS = ("efficiency", "economy", "convenience", "safety")


def _fold(s: str | None) -> str:
    return normalise_text(s or "").casefold()


def matches_text(query: str | None, *texts: str | None) -> bool:
    """Every whitespace-separated term of the query occurs in one of the texts (NFKC, case-insensitive)."""
    terms = [_fold(t) for t in (query or "").split() if t]
    hay = " ".join(_fold(t) for t in texts if t)
    return all(t in hay for t in terms)


def _latest(items: list[dict], key: str) -> dict | None:
    """The item with the latest date under key; on a tie (or no dates) the last one listed."""
    best = None
    for x in items:
        if best is None or (x[key] or date.min) >= (best[key] or date.min):
            best = x
    return best


def rating_under(kpi: dict, scheme: str, official: bool, as_of: date | None = None) -> dict | None:
    """The latest rating under scheme; as of a date, a published one dated by then (or undated), a computed one made as
    of that date (as storage.summaries.KpiQuery reads them)."""
    return _latest([r for r in kpi["ratings"] if r["scheme"] == scheme and r["official"] == official
                    and (as_of is None or (r["as_of"] is None or r["as_of"] <= as_of if official else r["as_of"] == as_of))],
                   "as_of")


def final_target(kpi: dict) -> dict | None:
    """The target the KPI is held to: not a yearly interim one, from the newest edition that states one."""
    targets = [t for t in kpi["targets"] if not t["interim"]] or kpi["targets"]
    return _latest(targets, "edition_date") if targets else None


def latest_observation(kpi: dict) -> dict | None:
    with_value = [o for o in kpi["observations"] if o["value"] is not None] or kpi["observations"]
    return _latest(with_value, "as_of") if with_value else None


def next_measurement(kpi: dict) -> dict | None:
    said = [a for a in kpi["appearances"] if a["next_measurement"] or a["next_measurement_date"]]
    return _latest(said, "next_measurement_date") if said else None


def kpi_summary(kpi: dict, scheme: str, basis: str | None = None, as_of: date | None = None) -> dict:
    """One flat row per KPI: what the list page, its downloads and the overview counts use. "rating" is the published
    rating with basis "official", mieruka's recomputation with "computed", else the published one, else the computed
    one; "rating_basis" says which it is."""
    computed = rating_under(kpi, scheme, False, as_of)
    official = rating_under(kpi, scheme, True, as_of)
    b, t, o, nm = kpi["baseline"], final_target(kpi), latest_observation(kpi), next_measurement(kpi)
    effective = {"official": official, "computed": computed}.get(basis) if basis in RATING_BASES else official or computed
    return {
        "id": kpi["id"], "name": kpi["name"], "tier": kpi["tier"],
        "reform_item_id": kpi["reform_item_id"], "reform_item_number": kpi["reform_item_number"],
        "reform_item": kpi["reform_item"], "ministry": kpi["organisation"], "unit": kpi["unit"],
        "ministry_inferred": bool(kpi.get("organisation_inferred")),
        "direction": kpi["direction"], "after_the_fact": kpi["after_the_fact"],
        "baseline_value": b["value"] if b else None, "baseline_as_of": b["as_of"] if b else None,
        "baseline_text": b["text"] if b else None, "baseline_unit": b["unit"] if b else None,
        "latest_unit": o["unit"] if o else None, "latest_value": o["value"] if o else None, "latest_as_of": o["as_of"] if o else None,
        "latest_status": o["status"] if o else None, "latest_text": o["text"] if o else None,
        "target_value": t["value"] if t else None, "target_deadline": t["deadline"] if t else None,
        "target_unset": t["unset"] if t else None, "target_text": t["text"] if t else None,
        "scheme": scheme, "evaluation_date": as_of,
        "rating": effective["code"] if effective else None,
        "rating_basis": None if effective is None else ("official" if effective["official"] else "computed"),
        "rating_computed": computed["code"] if computed else None,
        "rating_official": official["code"] if official else None,
        "next_measurement": nm["next_measurement"] if nm else None,
        "next_measurement_date": nm["next_measurement_date"] if nm else None,
        "baseline_as_of_precision": b.get("as_of_precision") if b else None,
        "latest_as_of_precision": o.get("as_of_precision") if o else None,
        "target_deadline_precision": t.get("deadline_precision") if t else None,
        "search_text": " ".join([kpi["name"], kpi["reform_item"] or "", kpi["organisation"] or "",
                                 *(a["name"] for a in kpi["appearances"])]),
    }


# every download says which rating is which: rating_basis names the one in "rating" (official = published by the
# documents, computed = mieruka's recomputation), and evaluation_date the date the ratings are as of
# and each date how precisely the document gave it (a fiscal year's value is stored at its 31 March)
KPI_COLUMNS = ["id", "name", "tier", "reform_item_number", "reform_item", "ministry", "ministry_inferred", "unit",
               "baseline_value", "baseline_as_of", "baseline_as_of_precision", "latest_value", "latest_as_of",
               "latest_as_of_precision", "latest_status", "target_value", "target_deadline", "target_deadline_precision",
               "target_text", "scheme", "evaluation_date", "rating", "rating_basis",
               "rating_official", "rating_computed", "next_measurement", "next_measurement_date"]


_KPI_SORTS = {
    "id": lambda r: r["id"],
    "name": lambda r: _fold(r["name"]),
    "item": lambda r: (r["reform_item_id"] is None, r["reform_item_id"] or 0, r["id"]),
    "ministry": lambda r: (r["ministry"] is None, r["ministry"] or ""),
    "tier": lambda r: (r["tier"] is None, r["tier"] or 0),
    "rating": lambda r: (r["rating"] is None, r["rating"] or ""),
    "latest": lambda r: (r["latest_as_of"] is None, r["latest_as_of"] or date.min),
    "deadline": lambda r: (r["target_deadline"] is None, r["target_deadline"] or date.min),
}
KPI_SORTS = tuple(_KPI_SORTS)


def kpi_list_item(row: dict) -> dict:
    """A stored list row (storage.summaries) in the API's list shape (schemas.KpiListItem)."""
    return {
        "id": row["id"], "name": row["name"], "tier": row["tier"], "reform_item": row["reform_item"],
        "reform_item_id": row["reform_item_id"], "ministry": row["ministry"], "unit": row["unit"],
        "direction": row["direction"],
        "baseline": None if row["baseline_text"] is None and row["baseline_value"] is None else {
            "value": row["baseline_value"], "unit": row["baseline_unit"], "as_of": row["baseline_as_of"],
            "text": row["baseline_text"], "as_of_precision": row.get("baseline_as_of_precision")},
        "latest": None if row["latest_text"] is None and row["latest_value"] is None else {
            "value": row["latest_value"], "unit": row["latest_unit"], "as_of": row["latest_as_of"],
            "status": row["latest_status"], "text": row["latest_text"],
            "as_of_precision": row.get("latest_as_of_precision")},
        "target": None if row["target_text"] is None and row["target_value"] is None else {
            "value": row["target_value"], "deadline": row["target_deadline"], "unset": row["target_unset"],
            "text": row["target_text"], "deadline_precision": row.get("target_deadline_precision")},
        "ministry_inferred": bool(row.get("ministry_inferred")),
        "rating": {"scheme": row["scheme"], "code": row["rating"], "basis": row.get("rating_basis"),
                   "official": row["rating_official"], "computed": row["rating_computed"],
                   "as_of": row.get("evaluation_date")},
        "next_measurement": row["next_measurement"], "next_measurement_date": row["next_measurement_date"],
    }


def kpi_table(kpis: list[dict], f: KpiQuery) -> list[dict]:
    """What storage.summaries runs in the database, in Python (the tests compare the two)."""
    rows = [kpi_summary(k, f.scheme, f.basis, f.as_of) for k in kpis]
    rows = [r for r in rows
            if (f.item is None or r["reform_item_id"] == f.item)
            and (not f.ministry or r["ministry"] == f.ministry)
            and (f.tier is None or r["tier"] == f.tier)
            and (not f.rating or r["rating"] == f.rating)
            and matches_text(f.q, r["search_text"])]
    return sorted(rows, key=_KPI_SORTS.get(f.sort, _KPI_SORTS["id"]), reverse=f.desc)


def cross_counts(rows: list[dict], group: str, label: str | None = None) -> list[dict]:
    """Rating counts per value of one column (reform item, ministry): [{"key", "label", "total", "counts": {code: n}}].
    A row stands for r["n"] KPIs when it has that key (the database's counts), else for one."""
    out: dict = {}
    for r in rows:
        n = r.get("n", 1)
        entry = out.setdefault(r[group], {"key": r[group], "label": r[label or group], "total": 0, "counts": Counter()})
        entry["total"] += n
        entry["counts"][r["rating"]] += n
    return sorted(out.values(), key=lambda e: (e["key"] is None, str(e["key"] if e["key"] is not None else "")))


@dataclass
class MeasureFilter:
    pillar: str | None = None
    effect: str | None = None
    ministry: str | None = None
    lead: str | None = None
    timing: str | None = None
    q: str | None = None


def _measure_facets(m: dict) -> dict[str, list[str]]:
    return {
        "pillar": [m["pillar"]] if m["pillar"] else [],
        "effect": [e for e in EFFECTS if m["effects"].get(e)],
        "ministry": [x["name"] for x in m["ministries"]],
        "lead": [x["name"] for x in m["ministries"] if x["lead"]],
        "timing": [m["timing"]] if m["timing"] else [],
    }


MEASURE_FACETS = ("pillar", "effect", "ministry", "lead", "timing")


def measure_table(measures: list[dict], f: MeasureFilter, hit_ids: list[int] | None = None) -> tuple[list[dict], dict]:
    """Measures passing every facet (and the full-text hits, best first, when a search ran) and, per facet,
    how many measures each value would leave given the other facets."""
    if hit_ids is not None:
        rank = {mid: i for i, mid in enumerate(hit_ids)}
        measures = sorted((m for m in measures if m["id"] in rank), key=lambda m: rank[m["id"]])
    chosen = {name: getattr(f, name) for name in MEASURE_FACETS}
    facets_of = {m["id"]: _measure_facets(m) for m in measures}

    def passes(m: dict, skip: str | None = None) -> bool:
        return all(not value or value in facets_of[m["id"]][name] for name, value in chosen.items() if name != skip)

    rows = [m for m in measures if passes(m)]
    # Pillars and timings in the catalogue's own order (the number of the first measure under each), ministries
    # with the most measures first: a sort by code point would put その他 before every pillar.
    first_no = {}
    for m in measures:
        for name in ("pillar", "timing"):
            for v in facets_of[m["id"]][name]:
                first_no[(name, v)] = min(first_no.get((name, v), m["no"] or 0), m["no"] or 0)
    facets = {}
    for name in MEASURE_FACETS:
        counts = Counter(v for m in measures if passes(m, skip=name) for v in facets_of[m["id"]][name])
        if name == "effect":
            order = list(EFFECTS)
        elif name in ("pillar", "timing"):
            order = sorted(counts, key=lambda v: (first_no[(name, v)], v))
        else:
            order = sorted(counts, key=lambda v: (-counts[v], v))
        facets[name] = [(v, counts[v]) for v in order if counts[v]]
    return rows, facets


def measure_flat(m: dict, labels: dict[int, dict] | None = None) -> dict:
    """A measure as one row of a spreadsheet; labels (storage.queries.document_labels) name its source."""
    return {
        "id": m["id"], "no": m["no"], "code": m["code"], "name": m["name"], "pillar": m["pillar"], "timing": m["timing"],
        **{f"effect_{e}": m["effects"].get(e, False) for e in EFFECTS},
        "lead_ministry": "、".join(x["name"] for x in m["ministries"] if x["lead"]),
        "ministries": "、".join(x["name"] for x in m["ministries"]),
        "kpi_progress": m["kpi_progress"], "kpi_effect": m["kpi_effect"], "support": m["support"],
        "budget_programme": m["budget_programme"], "urls": " ".join(m["urls"]),
        **source_columns(m["source"], labels),
    }


def source_columns(src: dict | None, labels: dict[int, dict] | None) -> dict:
    """A cited source as download columns: the document by title and date, its file name and the line."""
    d = (labels or {}).get(src["document_id"]) if src else None
    return {"source_document": ((d or {}).get("title") or src["document"]) if src else None,
            "source_date": (d or {}).get("date"),
            "source_file": src["document"] if src else None,
            "source_line": src["line"] if src else None}


# The download columns, so that a filter matching nothing still gives a file with its header row.
SOURCE_COLUMNS = ["source_document", "source_date", "source_file", "source_line"]
MEASURE_COLUMNS = ["id", "no", "code", "name", "pillar", "timing", *(f"effect_{e}" for e in EFFECTS), "lead_ministry",
                   "ministries", "kpi_progress", "kpi_effect", "support", "budget_programme", "urls",
                   *SOURCE_COLUMNS]
CASE_COLUMNS = ["id", "title", "municipalities", "theme", *SOURCE_COLUMNS, "effect_label", "amount_yen",
                "change_percent", "period_years", "effect_text"]
DOCUMENT_COLUMNS = ["id", "file_name", "family", "title", "doc_date", "ingested_at", "encoding", "size_bytes", "sha256",
                    *(f"count_{k}" for k in ("items", "kpis", "observations", "measures", "cases", "unplaced"))]


def case_table(cases: list[dict], theme: str | None = None, hit_ids: list[int] | None = None) -> list[dict]:
    if hit_ids is not None:
        rank = {cid: i for i, cid in enumerate(hit_ids)}
        cases = sorted((c for c in cases if c["id"] in rank), key=lambda c: rank[c["id"]])
    return [c for c in cases if not theme or c["theme"] == theme]


def case_effect_rows(c: dict, labels: dict[int, dict] | None = None) -> list[dict]:
    """A case as spreadsheet rows: one per effect (a case with no stated effect still gets one row)."""
    base = {"id": c["id"], "title": c["title"], "municipalities": "、".join(c["municipalities"]), "theme": c["theme"],
            **source_columns(c["source"], labels)}
    empty = {"effect_label": None, "amount_yen": None, "change_percent": None, "period_years": None, "effect_text": None}
    if not c["effects"]:
        return [{**base, **empty}]
    return [{**base, "effect_label": e["label"], "amount_yen": e["amount_yen"], "change_percent": e["change_percent"],
             "period_years": e["period_years"], "effect_text": e["text"]} for e in c["effects"]]


def document_flat(d: dict) -> dict:
    counts = d["counts"] or {}
    return {"id": d["id"], "file_name": d["file_name"], "family": d["family"], "title": d["title"],
            "doc_date": d["doc_date"], "ingested_at": d["ingested_at"], "encoding": d["encoding"],
            "size_bytes": d["size_bytes"], "sha256": d["sha256"],
            **{f"count_{k}": counts.get(k) for k in ("items", "kpis", "observations", "measures", "cases", "unplaced")}}


AUDIT_COLUMNS = ["kind", "kpi_id", "kpi", "message", "sources", "source_files"]


def finding_flat(f: dict, labels: dict[str, dict] | None = None, lang: str = "ja") -> dict:
    """An audit finding as one spreadsheet row: its sources by title and date ("title date:line" joined by "; ",
    labels: export.shapes.labels_by_file), and by file name in source_files."""
    from mieruka.records.citation import named_sources

    return {"kind": f["kind"], "kpi_id": f.get("kpi_id"), "kpi": f.get("kpi"),
            "message": named_sources(f["message"], labels or {}, lang),
            "sources": cited(f["sources"], labels), "source_files": cited_files(f["sources"])}


@dataclass
class Page:
    rows: list
    total: int
    page: int
    pages: int


def page_bounds(total: int, page: int, size: int = PAGE_SIZE) -> tuple[int, int]:
    """The page actually shown (clamped to 1..pages) and the number of pages, for a list of total rows."""
    pages = max(1, -(-total // size))
    return min(max(1, page), pages), pages


def paginate(rows: list, page: int, size: int = PAGE_SIZE) -> Page:
    pages = max(1, -(-len(rows) // size))
    page = min(max(1, page), pages)
    return Page(rows[(page - 1) * size: page * size], len(rows), page, pages)
