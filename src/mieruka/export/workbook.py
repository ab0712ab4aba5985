"""The whole database as tables for the office: an Excel workbook with one sheet per table, JSON, or CSV files.
Every value keeps its source (document and line) so a reader can check it against the document."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from mieruka.export.downloads import xlsx_cell
from mieruka.export.formats import columns_of, to_csv, to_json

# Sheet names as Japanese offices would label them; the key is the English file stem for CSV and JSON.
SHEETS = {
    "kpis": "KPI一覧",
    "targets": "目標値",
    "observations": "実績値",
    "ratings": "評価",
    "audit": "監査",
    "measures": "国の施策",
    "cases": "先進事例",
    "documents": "文書",
}


def _where(source: dict | None, labels: dict[int, dict] | None = None) -> dict:
    """A source as columns: the document by title and date (source_document, source_date: the file name when it prints
    no title), its file (document) and line; labels: storage.queries.document_labels."""
    if not source:
        return {"source_document": None, "source_date": None, "document": None, "line": None}
    d = (labels or {}).get(source.get("document_id")) or {}
    return {"source_document": d.get("title") or source["document"], "source_date": d.get("date"),
            "document": source["document"], "line": source["line"]}


def _latest(items: list[dict], key: str) -> dict | None:
    dated = [x for x in items if x.get(key)]
    return max(dated, key=lambda x: x[key]) if dated else (items[-1] if items else None)


def kpi_tables(kpis: list[dict], labels: dict[int, dict] | None = None) -> dict[str, list[dict]]:
    from mieruka.export.shapes import labels_by_file
    from mieruka.records.citation import named_sources

    by_file = labels_by_file(labels or {})
    summary, targets, observations, ratings = [], [], [], []
    for k in kpis:
        finals = [t for t in k["targets"] if not t["interim"]] or k["targets"]
        target = _latest(finals, "deadline")
        latest = _latest(k["observations"], "as_of")
        official = [r for r in k["ratings"] if r["official"]]
        # a scheme's computed ratings are kept per evaluation date: the summary shows the newest date's
        computed = {r["scheme"]: r["code"] for r in sorted((r for r in k["ratings"] if not r["official"]),
                                                            key=lambda r: r["as_of"] or date.min)}
        b = k["baseline"]
        summary.append({
            "id": k["id"], "name": k["name"], "tier": k["tier"], "reform_item": k["reform_item"],
            "organisation": k["organisation"], "unit": k["unit"], "direction": k["direction"],
            "baseline": b["value"] if b else None, "baseline_as_of": b["as_of"] if b else None,
            "baseline_as_of_precision": b.get("as_of_precision") if b else None,
            "target": target["value"] if target else None, "target_deadline": target["deadline"] if target else None,
            "target_deadline_precision": target.get("deadline_precision") if target else None,
            "target_text": target["text"] if target else None,
            "latest": latest["value"] if latest else None, "latest_as_of": latest["as_of"] if latest else None,
            "latest_as_of_precision": latest.get("as_of_precision") if latest else None,
            "latest_status": latest["status"] if latest else None,
            "official_ratings": "、".join(f"{r['code']}（{_where(r['source'], labels)['source_document']}）"
                                        for r in official if r["source"]),
            **{f"computed:{scheme}": code for scheme, code in sorted(computed.items())},
            "documents": "、".join(d["title"] or d["file_name"] for d in k["documents"]),
            "document_files": "、".join(d["file_name"] for d in k["documents"]),
        })
        for t in k["targets"]:
            rel = t["relative"] or {}
            targets.append({"kpi_id": k["id"], "kpi": k["name"], "value": t["value"], "unit": t["unit"],
                            "deadline": t["deadline"], "deadline_precision": t.get("deadline_precision"),
                            "comparator": t["comparator"], "relative_factor": rel.get("factor"),
                            "relative_base_year": rel.get("base_fiscal_year"), "unset": t["unset"],
                            "promised_by": t["promised_by"], "promised_by_precision": t.get("promised_by_precision"),
                            "interim": t["interim"], "edition": t["edition"],
                            "text": t["text"], **_where(t["source"], labels)})
        for o in k["observations"]:
            observations.append({"kpi_id": k["id"], "kpi": k["name"], "value": o["value"], "unit": o["unit"],
                                 "as_of": o["as_of"], "as_of_precision": o.get("as_of_precision"),
                                 "status": o["status"], "text": o["text"], **_where(o["source"], labels)})
        for r in k["ratings"]:
            ratings.append({"kpi_id": k["id"], "kpi": k["name"], "scheme": r["scheme"], "code": r["code"],
                            "official": r["official"], "as_of": r["as_of"],
                            "explanation": named_sources(r["explanation"], by_file) if r["explanation"] else None,
                            **_where(r["source"], labels)})
    return {"kpis": summary, "targets": targets, "observations": observations, "ratings": ratings}


def measure_table(measures: list[dict], labels: dict[int, dict] | None = None) -> list[dict]:
    return [{
        "no": m["no"], "code": m["code"], "name": m["name"], "pillar": m["pillar"], "timing": m["timing"],
        **{f"effect:{k}": v for k, v in m["effects"].items()},
        "lead": "、".join(x["name"] for x in m["ministries"] if x["lead"]),
        "ministries": "、".join(x["name"] for x in m["ministries"]),
        "kpi_progress": m["kpi_progress"], "kpi_effect": m["kpi_effect"], "budget_programme": m["budget_programme"],
        "urls": " ".join(m["urls"]), **_where(m["source"], labels),
    } for m in measures]


def case_table(cases: list[dict], labels: dict[int, dict] | None = None) -> list[dict]:
    rows = []
    for c in cases:
        base = {"case_id": c["id"], "title": c["title"], "municipalities": "、".join(c["municipalities"]),
                "body_codes": " ".join(c["body_codes"]), "theme": c["theme"]}
        for e in c["effects"] or [{"label": None, "amount_yen": None, "change_percent": None, "period_years": None,
                                   "text": None}]:
            rows.append({**base, "effect": e["label"], "amount_yen": e["amount_yen"],
                         "change_percent": e["change_percent"], "period_years": e["period_years"],
                         "effect_text": e["text"], **_where(c["source"], labels)})
    return rows


def database_tables(session: Session, as_of: date, lang: str = "ja", stored_audit: bool = False,
                    kpi_ids: list[int] | None = None, audit: bool = True) -> dict[str, list[dict] | None]:
    """Every table of the export. stored_audit: the audit as stored for the current data when there is one (kept up to
    date as data is written: what the pages show) instead of auditing every KPI again; none stored, the audit is made
    and not stored (publish reads the data's versions around its crawl: storing one would change them). kpi_ids: the
    tables made of KPIs' rows (kpis, targets, observations, ratings) hold only these KPIs' rows (publish splices them
    into the rows it kept); the other tables are whole. audit=False: the audit's table is not made, its place left
    (None): publish has it from its previous run when the site shows the same stored audit."""
    from mieruka.export.shapes import labels_by_file
    from mieruka.storage.queries import case_rows, document_labels, document_rows, kpi_rows, measure_rows

    labels = document_labels(session)
    tables = kpi_tables(kpi_rows(session) if kpi_ids is None else kpi_rows(session, kpi_ids, items=False), labels)
    by_file = labels_by_file(labels)
    tables["audit"] = audit_table(session, as_of, lang, by_file, stored_audit) if audit else None
    tables["measures"] = measure_table(measure_rows(session), labels)
    tables["cases"] = case_table(case_rows(session), labels)
    tables["documents"] = [{**{k: v for k, v in d.items() if k not in ("counts", "licence")},
                            "licence": d["licence"]["terms"], "licence_basis": d["licence"]["basis"],
                            "attribution": d["licence"]["attribution"], "origin": d["licence"]["origin"]}
                           for d in document_rows(session)]
    return tables


def audit_table(session: Session, as_of: date, lang: str, by_file: dict, stored: bool) -> list[dict]:
    from mieruka.evaluate.audit import Finding
    from mieruka.evaluate.findings import audit_session
    from mieruka.evaluate.stored import stored_findings_only
    from mieruka.export.shapes import cited, cited_files
    from mieruka.records.citation import named_sources

    kept = stored_findings_only(session, as_of) if stored else None
    found = [Finding(**f) for f in kept[1]] if kept is not None else audit_session(session, as_of)
    return [{**{k: (named_sources(v, by_file, lang) if k == "message" else v)
                for k, v in f.row(lang).items() if k != "sources"},
             "sources": cited(f.sources, by_file), "source_files": cited_files(f.sources)} for f in found]


def to_workbook(tables: dict[str, list[dict]]) -> bytes:
    """One sheet per table, header row frozen and bold, columns sized to their content."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for key, rows in tables.items():
        ws = wb.create_sheet(SHEETS.get(key, key)[:31])
        cols = columns_of(rows, None) or ["(なし)"]
        ws.append([xlsx_cell(ws, c) for c in cols])
        for row in rows:
            ws.append([xlsx_cell(ws, row.get(c)) for c in cols])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for i, c in enumerate(cols, start=1):
            longest = max([len(str(c))] + [len(str(r.get(c) or "")) for r in rows[:200]])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest * 1.6))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_export(tables: dict[str, list[dict]], out: Path) -> list[Path]:
    """.xlsx → one workbook, .json → one object of tables, anything else → a folder of CSV files (UTF-8 with BOM)."""
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        out.write_bytes(to_workbook(tables))
        return [out]
    if suffix == ".json":
        out.write_text(to_json(tables) + "\n", encoding="utf-8")
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, rows in tables.items():
        path = out / f"{key}.csv"
        path.write_text(to_csv(rows, columns_of(rows, None)), encoding="utf-8-sig")
        written.append(path)
    return written
