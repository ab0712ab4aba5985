"""Ingest: read documents of every family, extract records with provenance, load them in one transaction."""
