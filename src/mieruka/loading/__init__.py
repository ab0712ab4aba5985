"""Runs documents through the flow: read and decode, detect the family, extract, store — one transaction each.
Above ingest (pure readers) and storage (the writer), which do not import each other."""
