"""list rows keep their dates' precision

The KPI list shows a fiscal year as 2020年度末 and a month as a month, as the KPI page does: kpi_summaries keeps the
precision of its baseline, latest actual and target dates. Rows already stored take it from the row they show.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# summary column -> (table, precision column, date column the summary copied, summary date column)
_COLUMNS = {"baseline_as_of_precision": ("baselines", "as_of_precision", "as_of", "baseline_as_of"),
            "latest_as_of_precision": ("observations", "as_of_precision", "as_of", "latest_as_of"),
            "target_deadline_precision": ("targets", "deadline_precision", "deadline", "target_deadline")}


def upgrade() -> None:
    with op.batch_alter_table("kpi_summaries") as batch:
        for column in _COLUMNS:
            batch.add_column(sa.Column(column, sa.String(length=12), nullable=True))
    for column, (table, precision, when, summary_when) in _COLUMNS.items():
        # the precision of a row of that KPI with the very date the list row shows (the first such row)
        op.execute(f"UPDATE kpi_summaries SET {column} = (SELECT t.{precision} FROM {table} t "
                   f"WHERE t.kpi_id = kpi_summaries.kpi_id AND t.{when} = kpi_summaries.{summary_when} "
                   f"ORDER BY t.id LIMIT 1) WHERE kpi_summaries.{summary_when} IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("kpi_summaries") as batch:
        for column in reversed(list(_COLUMNS)):
            batch.drop_column(column)
