"""a token per KPI and per document, replaced by every write of their rows

`mieruka publish` read every row of the KPIs' tables on each run to find the KPIs a change touched (0.6 s at 10,000
KPIs, the ratings' explanations most of it). On SQLite, triggers on those tables now give each KPI and each document
a new random token whenever one of their rows is inserted, changed or deleted (by a REPLACE too); a run reads the tokens and only the
rows of the KPIs and documents whose token changed. PostgreSQL gets the tables but no triggers (publish reads every
row there, as before): a token row updated by every writer would make concurrent writers wait for one another.

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# the KPIs' tables: (table, its KPI column, whether its rows name the document they were read from)
TABLES = (("kpis", "id", False), ("kpi_appearances", "kpi_id", True), ("baselines", "kpi_id", True),
          ("targets", "kpi_id", True), ("observations", "kpi_id", True), ("ratings", "kpi_id", True),
          ("kpi_summaries", "kpi_id", False))
TOKEN = "lower(hex(randomblob(8)))"


def _marks(row: str, key: str, document: bool) -> str:
    said = (f"INSERT INTO kpi_changes (kpi_id, token) SELECT {row}.{key}, {TOKEN} WHERE {row}.{key} IS NOT NULL "
            f"ON CONFLICT (kpi_id) DO UPDATE SET token = excluded.token;")
    if document:
        said += (f" INSERT INTO document_changes (document_id, token) SELECT {row}.document_id, {TOKEN} "
                 f"WHERE {row}.document_id IS NOT NULL ON CONFLICT (document_id) DO UPDATE SET token = excluded.token;")
    return said


def _marks_of_rows(table: str, key: str, document: bool, where: str) -> str:
    """The same for the rows of TABLE that WHERE names: those an INSERT OR REPLACE or UPDATE OR REPLACE is about to
    delete, which fire no delete trigger (unless recursive_triggers is on)."""
    said = (f"INSERT INTO kpi_changes (kpi_id, token) SELECT {key}, {TOKEN} FROM {table} WHERE {where} "
            f"ON CONFLICT (kpi_id) DO UPDATE SET token = excluded.token;")
    if document:
        said += (f" INSERT INTO document_changes (document_id, token) SELECT document_id, {TOKEN} FROM {table} "
                 f"WHERE ({where}) AND document_id IS NOT NULL ON CONFLICT (document_id) DO UPDATE SET token = "
                 f"excluded.token;")
    return said


# the rows a REPLACE of a row would delete: those with its primary key (a KPI's also those with its key)
REPLACED = {"kpis": ("id = NEW.id OR key = NEW.key", "(id = NEW.id OR key = NEW.key) AND id <> OLD.id"),
            **{t: ("id = NEW.id", "id = NEW.id AND id <> OLD.id")
               for t in ("kpi_appearances", "baselines", "targets", "observations", "ratings")}}


def upgrade() -> None:
    op.create_table('kpi_changes',
                    sa.Column('kpi_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('token', sa.String(length=16), nullable=False),
                    sa.PrimaryKeyConstraint('kpi_id'))
    op.create_table('document_changes',
                    sa.Column('document_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('token', sa.String(length=16), nullable=False),
                    sa.PrimaryKeyConstraint('document_id'))
    if op.get_bind().dialect.name != "sqlite":
        return
    # every KPI and document already stored gets a token of its own: one no other database or copy holds
    op.execute(f"INSERT INTO kpi_changes (kpi_id, token) SELECT id, {TOKEN} FROM kpis")
    op.execute(f"INSERT INTO document_changes (document_id, token) SELECT id, {TOKEN} FROM documents")
    for table, key, document in TABLES:
        op.execute(f"CREATE TRIGGER publish_change_{table}_insert AFTER INSERT ON {table} BEGIN "
                   f"{_marks('NEW', key, document)} END")
        op.execute(f"CREATE TRIGGER publish_change_{table}_update AFTER UPDATE ON {table} BEGIN "
                   f"{_marks('OLD', key, document)} {_marks('NEW', key, document)} END")
        op.execute(f"CREATE TRIGGER publish_change_{table}_delete AFTER DELETE ON {table} BEGIN "
                   f"{_marks('OLD', key, document)} END")
        if table in REPLACED:
            on_insert, on_update = REPLACED[table]
            op.execute(f"CREATE TRIGGER publish_change_{table}_replace BEFORE INSERT ON {table} BEGIN "
                       f"{_marks_of_rows(table, key, document, on_insert)} END")
            op.execute(f"CREATE TRIGGER publish_change_{table}_replace_update BEFORE UPDATE ON {table} BEGIN "
                       f"{_marks_of_rows(table, key, document, on_update)} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table, _, _ in TABLES:
            for event in ("insert", "update", "delete", "replace", "replace_update"):
                op.execute(f"DROP TRIGGER IF EXISTS publish_change_{table}_{event}")
    op.drop_table('document_changes')
    op.drop_table('kpi_changes')
