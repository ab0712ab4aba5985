"""One reader per document family: pure functions from decoded text to an Extraction.
Each module defines FAMILY, matches(text) -> bool and read(text) -> Extraction."""
