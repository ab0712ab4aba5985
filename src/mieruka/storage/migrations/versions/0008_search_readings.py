"""search entries keep the readings of their names, and index KPIs, documents and local bodies too

The search tables are built by storage.search (FTS5 on SQLite, pg_trgm on PostgreSQL), not by these migrations:
the new layout has two more columns, which an FTS5 table cannot gain, so both tables go and the next writer or
`mieruka serve` builds them again in the layout of the code that runs (the same on the way down).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 08:10:00
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _drop() -> None:
    op.execute("DROP TABLE IF EXISTS search_entries")
    op.execute("DROP TABLE IF EXISTS search_meta")


def upgrade() -> None:
    _drop()


def downgrade() -> None:
    _drop()
