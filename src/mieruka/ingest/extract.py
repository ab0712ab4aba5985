"""Extract records from one decoded document: detect its family (or take the one given) and run that reader.
Pure: nothing is stored here; loading/ writes what this returns."""
from __future__ import annotations

from mieruka.ingest.detect import detect_family, reader_for_family
from mieruka.ingest.sources import DecodedDocument, UnreadableDocument
from mieruka.jp.dates import precision_of
from mieruka.records.extraction import Extraction


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
    return with_date_precisions(ex)


def with_date_precisions(ex: Extraction) -> Extraction:
    """Say how precisely the document gave each date (2020年度 → fiscal_year, 2018年3月頃 → month), read from the
    text the date came from, where the reader did not say: the pages then write it no more precisely than that."""
    for k in ex.kpis:
        b = k.baseline
        if b is not None and b.as_of_precision is None:
            b.as_of_precision = precision_of(b.text, b.as_of)
        for t in k.targets:
            t.deadline_precision = t.deadline_precision or precision_of(t.text, t.deadline)
            t.promised_by_precision = t.promised_by_precision or precision_of(t.text, t.promised_by)
        for o in k.observations:
            o.as_of_precision = o.as_of_precision or precision_of(o.text, o.as_of)
        k.next_measurement_precision = k.next_measurement_precision or precision_of(
            k.next_measurement, k.next_measurement_date)
    return ex
