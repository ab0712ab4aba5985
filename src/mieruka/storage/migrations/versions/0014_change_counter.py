"""a counter of the transactions that wrote to this database

A server on PostgreSQL kept its answers until any transaction that wrote began or ended anywhere on the PostgreSQL
server (its snapshot), other databases' included. Each writing transaction now bumps change_counter's one row as it
commits, and the server's response cache watches that row.

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table('change_counter',
                            sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
                            sa.Column('n', sa.Integer(), nullable=False),
                            sa.PrimaryKeyConstraint('id'))
    op.bulk_insert(table, [{"id": 1, "n": 0}])


def downgrade() -> None:
    op.drop_table('change_counter')
