"""The records a reader extracts and storage writes, and the canonical keys that make one KPI of many wordings.
Beneath both ingest and storage, so that neither has to import the other."""
