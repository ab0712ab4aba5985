"""Extract records from one decoded document: detect its family (or take the one given) and run that reader.
Pure: nothing is stored here; loading/ writes what this returns."""
from __future__ import annotations

from mieruka.ingest.detect import detect_family, reader_for_family
from mieruka.ingest.sources import DecodedDocument, UnreadableDocument
from mieruka.records.extraction import Extraction, with_date_precisions


def extract(doc: DecodedDocument, family: str | None = None) -> Extraction:
    """Run the right reader over a decoded document; raises UnreadableDocument if no reader recognises it."""
    if family:
        reader = reader_for_family(family)
    else:
        reader = detect_family(doc.text)
        if reader is None:
            raise UnreadableDocument(doc.path, "not a document of a known family (reform schedule progress, policy "
                                               "evaluation sheet, national measure catalogue, platform presentation)")
    try:
        ex = reader.read(doc.text)
    except UnreadableDocument:
        raise
    except Exception as exc:  # a reader bug must not half-load a file: report it against the file
        raise UnreadableDocument(doc.path, f"the {reader.FAMILY} reader failed: {type(exc).__name__}: {exc}") from exc
    if not (ex.kpis or ex.items or ex.measures or ex.cases or ex.budgets or ex.results):
        raise UnreadableDocument(doc.path, f"looks like a {reader.FAMILY} document but no records could be extracted")
    ex = with_date_precisions(ex)
    if ex.doc_date is None:
        _note_data_date(ex)
    return ex


def _note_data_date(ex: Extraction) -> None:
    """A document that prints no date of its own is named by the date of its newest figure (the reform schedule's
    progress tables, 「2017年10月1日現在」): meta["data_as_of"], the latest actual that is not a forecast."""
    dates = [o.as_of for k in ex.kpis for o in k.observations if o.as_of is not None and o.status != "forecast"]
    if dates:
        ex.meta["data_as_of"] = max(dates).isoformat()
