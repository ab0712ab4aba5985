"""date precision and inferred ministries

How precisely a document gave each date (day | month | fiscal_year | year), so a fiscal year is shown as 年度 and a
month as a month; and whether a KPI's ministry was taken from its reform item's 《主担当府省庁等》 (inferred).

Revision ID: 0006
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None

_PRECISIONS = (("baselines", "as_of_precision"), ("targets", "deadline_precision"),
               ("targets", "promised_by_precision"), ("observations", "as_of_precision"),
               ("kpi_appearances", "next_measurement_precision"))


def upgrade() -> None:
    for table, column in _PRECISIONS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.String(length=12), nullable=True))
    with op.batch_alter_table("kpis") as batch:
        batch.add_column(sa.Column("organisation_inferred", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("kpis") as batch:
        batch.drop_column("organisation_inferred")
    for table, column in reversed(_PRECISIONS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
