"""One reader per document family: pure functions from decoded text to an Extraction.
Each module defines FAMILY, matches(text) -> bool and read(text) -> Extraction."""


def note_count_text(ex, line: int, about: str, text: str | None) -> None:
    """Keep a line of running text that counts something two ways (jp.printed.count_statements), with what it is about:
    the audit's count_mismatch reads prose that belongs to no KPI (a sheet's analysis, a case's summary) from here."""
    from mieruka.jp.printed import count_statements

    if text and count_statements(text):
        ex.meta.setdefault("count_texts", []).append({"line": line, "about": about, "text": text})
