"""The public shape of each listing (CLI --format json/csv, API, downloads), projected from storage.queries rows."""
from __future__ import annotations


def cited_files(sources: list[dict]) -> str:
    """Sources as one cell by file name, "000.txt:12; s.csv": a survey is cited as a whole file, having no line."""
    return "; ".join(s["document"] + (f":{s['line']}" if s.get("line") else "") for s in sources)


def named(document: str | None, labels: dict[str, dict] | None) -> tuple[str | None, object]:
    """(the name, the date) a download gives a document cited by file name: its title and date, as labels (file name
    -> storage.queries.document_labels' entry) hold them; a document printing no title (or a survey file) keeps its
    file name as its name."""
    d = (labels or {}).get(document) or {}
    return d.get("title") or document, d.get("date")


def cited(sources: list[dict], labels: dict[str, dict] | None = None) -> str:
    """Sources as one cell by name, "主要な政策に係る評価書 2019-08-01:43; 000.txt:12" (cited_files gives the files)."""
    out = []
    for s in sources:
        name, when = named(s["document"], labels)
        out.append(name + (f" {when.isoformat()}" if when else "") + (f":{s['line']}" if s.get("line") else ""))
    return "; ".join(out)


def labels_by_file(labels: dict[int, dict]) -> dict[str, dict]:
    """document_labels (by id) keyed by file name, the way findings cite documents (the newest of a name wins)."""
    return {d["file_name"]: d for _, d in sorted(labels.items())}


def _src(s: dict | None) -> dict | None:
    return None if s is None else {"document": s["document"], "line": s["line"]}


def kpi_listing(rows: list[dict]) -> list[dict]:
    out = []
    for k in rows:
        b = k["baseline"]
        out.append({
            "id": k["id"], "name": k["name"], "tier": k["tier"], "reform_item": k["reform_item"], "unit": k["unit"],
            "direction": k["direction"],
            "baseline": None if b is None else {"value": b["value"], "as_of": b["as_of"],
                                                "as_of_precision": b.get("as_of_precision")},
            "targets": [{"value": t["value"], "unit": t["unit"], "deadline": t["deadline"], "comparator": t["comparator"],
                         "relative": t["relative"], "unset": t["unset"], "promised_by": t["promised_by"],
                         "interim": t["interim"], "edition": t["edition"], "text": t["text"], "source": _src(t["source"]),
                         "deadline_precision": t.get("deadline_precision"),
                         "promised_by_precision": t.get("promised_by_precision")}
                        for t in k["targets"]],
            "observations": [{"value": o["value"], "unit": o["unit"], "as_of": o["as_of"], "status": o["status"],
                              "text": o["text"], "source": _src(o["source"]),
                              "as_of_precision": o.get("as_of_precision")} for o in k["observations"]],
            # basis: official = published by a document, computed = mieruka's recomputation (made as of as_of)
            "ratings": [{"scheme": r["scheme"], "code": r["code"], "official": r["official"],
                         "basis": "official" if r["official"] else "computed", "as_of": r["as_of"],
                         "source": _src(r["source"])} for r in k["ratings"]],
            "documents": [d["file_name"] for d in k["documents"]],
        })
    return out


def measure_listing(rows: list[dict]) -> list[dict]:
    keys = ("no", "code", "name", "pillar", "timing", "effects", "ministries", "kpi_progress", "kpi_effect", "urls")
    return [{k: r[k] for k in keys} for r in rows]


def case_listing(rows: list[dict]) -> list[dict]:
    return [{"municipalities": r["municipalities"], "theme": r["theme"], "title": r["title"], "summary": r["summary"],
             "effects": [{"amount_yen": e["amount_yen"], "change_percent": e["change_percent"],
                          "period_years": e["period_years"], "text": e["text"]} for e in r["effects"]],
             "source": _src(r["source"])} for r in rows]
