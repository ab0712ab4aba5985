"""documents record their terms of use

Each document keeps the terms it may be reused under and the attribution they ask for (records.licence): the terms
it prints, or the declared default. Documents stored before are given the default, saying it was not read at ingest.

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# records.licence.DEFAULT as it was when this migration was written (a migration does not follow later code)
_DEFAULT = {
    "terms": "政府標準利用規約（第2.0版）", "terms_en": "Government of Japan Standard Terms of Use (Version 2.0)",
    "name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/", "basis": "default",
    "stated_by": "mieruka の既定値（日本の府省庁の公表物）: 文書に利用条件の記載なし / mieruka's default for publications "
                 "of Japanese ministries: the document prints no terms of use (取込時に記録なし / not recorded at ingest)",
    "origin": None,
}


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("licence", sa.JSON(), nullable=True))
    documents = sa.table("documents", sa.column("id", sa.Integer), sa.column("title", sa.Text),
                         sa.column("file_name", sa.String), sa.column("licence", sa.JSON))
    conn = op.get_bind()
    for doc_id, title, file_name in conn.execute(sa.select(documents.c.id, documents.c.title, documents.c.file_name)):
        record = {**_DEFAULT, "attribution": f"出典: 「{title or file_name}」をもとに mieruka が読み取り、加工して作成"}
        conn.execute(documents.update().where(documents.c.id == doc_id).values(licence=record))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+ and PostgreSQL), not a batch copy: on SQLite a batch drops and
    # recreates `documents`, and with foreign keys on, dropping it cascades to every observation, target and row
    # that cites a document (the migration runs in one transaction, where PRAGMA foreign_keys cannot be turned off)
    op.execute("ALTER TABLE documents DROP COLUMN licence")
