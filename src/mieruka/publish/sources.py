"""Which edition, reform-schedule document, policy or KPI a report is asked for, from what a user typed; an unknown
one is an error that names it and lists what exists."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


class UnknownReportSource(LookupError):
    """The edition, policy or KPI asked for does not exist; the message lists those that do. str() gives both
    languages (the command line); in_lang() one, for a page in that language."""

    def __init__(self, en: str, ja: str, listing: str):
        self.en, self.ja, self.listing = en, ja, listing
        super().__init__(f"{en} / {ja}:\n{listing}")

    def in_lang(self, lang: str) -> str:
        return f"{self.ja if lang == 'ja' else self.en}:\n{self.listing}"


@dataclass(frozen=True)
class TableSource:
    """One document holding a table, with the edition it reports on (None for a document without a schedule)."""

    document_id: int
    file_name: str
    title: str | None
    edition: str | None
    published: date | None
    dated: dict | None = None  # the document's own date or its newest figure's: {date, date_is_data}

    def label(self) -> dict:
        """The document as records.citation names it: title and date."""
        return {"title": self.title, "file_name": self.file_name, **(self.dated or {})}


def dated(d: dict) -> dict:
    """A report source's date as a citation gives it: its own (doc_date), else its newest figure's (data_as_of)."""
    if d.get("doc_date"):
        return {"date": d["doc_date"], "date_is_data": False}
    try:
        return {"date": date.fromisoformat(d["data_as_of"]), "date_is_data": True} if d.get("data_as_of") else {}
    except ValueError:
        return {}


def _listing(lines: list[str]) -> str:
    return "\n".join(f"  {line}" for line in lines) if lines else "  (none)"


def edition_choices(sources: dict) -> list[str]:
    editions = {e["id"]: e for e in sources["editions"]}
    out = [f"{e['published'].year if e['published'] else e['id']}: {e['name']} ({e['published'] or '-'})"
           for e in sources["editions"] if e["document_ids"]]
    out += [f"{d['file_name']}" + (f" ({editions[d['edition_id']]['name']})" if d["edition_id"] else "")
            for d in sources["documents"]]
    return out


def resolve_edition(sources: dict, wanted: str) -> TableSource:
    """An edition by its year ("2016"), id or name, or a reform-schedule document by id, file name or its start."""
    wanted = str(wanted).strip()
    editions = sources["editions"]
    docs = {d["id"]: d for d in sources["documents"]}
    edition_by_id = {e["id"]: e for e in editions}

    def of_edition(e: dict) -> TableSource | None:
        if not e["document_ids"]:
            return None
        d = docs[e["document_ids"][-1]]
        return TableSource(d["id"], d["file_name"], d["title"], e["name"], e["published"], dated(d))

    def of_document(d: dict) -> TableSource:
        e = edition_by_id.get(d["edition_id"])
        return TableSource(d["id"], d["file_name"], d["title"], e["name"] if e else None,
                           e["published"] if e else d["doc_date"], dated(d))

    found = [e for e in editions if e["name"] == wanted]
    if not found and wanted.isdigit() and len(wanted) == 4:
        found = [e for e in editions if e["published"] and e["published"].year == int(wanted)]
    if not found and wanted.isdigit():
        found = [e for e in editions if e["id"] == int(wanted)]
    for e in found:
        source = of_edition(e)
        if source is not None:
            return source
    matches = [d for d in docs.values() if d["file_name"] == wanted or d["file_name"].startswith(wanted)
               or (wanted.isdigit() and d["id"] == int(wanted) and not found)]
    if len(matches) == 1:
        return of_document(matches[0])
    raise UnknownReportSource(
        f"no KPI status table for edition '{wanted}'. Editions and reform-schedule documents there are",
        f"版「{wanted}」のKPIの状況はありません。版と改革工程表の文書", _listing(edition_choices(sources)))


def document_source(sources: dict, document_id: int) -> TableSource:
    """The KPI status table of one reform-schedule document, as the document page offers it."""
    found = [d for d in sources["documents"] if d["id"] == document_id]
    if not found:
        raise UnknownReportSource(
            f"document {document_id} is not a reform-schedule document. Editions and reform-schedule documents "
            "there are", f"文書{document_id}は改革工程表ではありません。版と改革工程表の文書",
            _listing(edition_choices(sources)))
    d = found[0]
    e = next((e for e in sources["editions"] if e["id"] == d["edition_id"]), None)
    return TableSource(d["id"], d["file_name"], d["title"], e["name"] if e else None,
                       e["published"] if e else d["doc_date"], dated(d))


def resolve_policy(sources: dict, wanted: str) -> dict:
    """A policy evaluation sheet by document id, file name (or its start), or the policy's name or number (政策8)."""
    wanted = str(wanted).strip()
    policies = sources["policies"]
    matches = [p for p in policies if wanted.isdigit() and p["document_id"] == int(wanted)]
    matches = matches or [p for p in policies if p["file_name"] == wanted or p["file_name"].startswith(wanted)]
    matches = matches or [p for p in policies if p["policy"] and (p["policy"] == wanted
                                                                  or p["policy"].split(":")[0] == wanted)]
    if len(matches) == 1:
        return matches[0]
    listing = [f"{p['document_id']}: {p['policy']} ({p['file_name']})" for p in policies]
    raise UnknownReportSource(f"no policy evaluation sheet '{wanted}'. Policies there are",
                              f"政策評価書「{wanted}」はありません。ある政策", _listing(listing))


def resolve_kpi(kpis: list[dict], wanted: str) -> dict:
    """A KPI by id, key or exact name."""
    wanted = str(wanted).strip()
    matches = [k for k in kpis if (wanted.isdigit() and k["id"] == int(wanted)) or k["key"] == wanted
               or k["name"] == wanted]
    if len(matches) == 1:
        return matches[0]
    listing = [f"{k['id']}: {k['name']}" for k in kpis[:50]]
    more = f"\n  … and {len(kpis) - 50} more (mieruka kpis)" if len(kpis) > 50 else ""
    raise UnknownReportSource(f"no KPI '{wanted}'. KPIs there are", f"KPI「{wanted}」はありません。あるKPI",
                              f"{_listing(listing)}{more}")
