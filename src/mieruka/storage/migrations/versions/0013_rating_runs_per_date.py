"""computed ratings kept for several evaluation dates per scheme

rating_runs was keyed by scheme alone, so a scheme's computed ratings existed for one date and the pages' date menu
offered only that one: it is keyed by (scheme, as_of) now, a run per date (editions', published rounds', each
`mieruka evaluate --as-of`). Rows already stored are kept.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_COLUMNS = "scheme, scheme_sha256, as_of, computed_at"


def _rebuild(*key: str) -> None:
    op.create_table('rating_runs_new',
                    sa.Column('scheme', sa.String(length=60), nullable=False),
                    sa.Column('scheme_sha256', sa.String(length=64), nullable=False),
                    sa.Column('as_of', sa.Date(), nullable=False),
                    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint(*key, name=f"pk_rating_runs_{len(key)}"))
    if key == ("scheme",):  # going down: one run per scheme, its newest date
        op.execute(f"INSERT INTO rating_runs_new ({_COLUMNS}) SELECT {_COLUMNS} FROM rating_runs r WHERE r.as_of = "
                   "(SELECT MAX(x.as_of) FROM rating_runs x WHERE x.scheme = r.scheme)")
    else:
        op.execute(f"INSERT INTO rating_runs_new ({_COLUMNS}) SELECT {_COLUMNS} FROM rating_runs")
    op.drop_table('rating_runs')
    op.rename_table('rating_runs_new', 'rating_runs')


def upgrade() -> None:
    _rebuild("scheme", "as_of")


def downgrade() -> None:
    _rebuild("scheme")
