"""Japan's local bodies as reference data: the JIS X 0402 code list and the resolution of names to codes.
Beneath ingest and storage, which both need to recognise a body by name."""
