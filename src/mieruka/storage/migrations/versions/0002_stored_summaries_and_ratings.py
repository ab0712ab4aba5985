"""stored list summaries, rating and audit runs, indexes for lists

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 05:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kpi_summaries',
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name_folded', sa.Text(), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=True),
    sa.Column('baseline_value', sa.Float(), nullable=True),
    sa.Column('baseline_unit', sa.String(length=40), nullable=True),
    sa.Column('baseline_as_of', sa.Date(), nullable=True),
    sa.Column('baseline_text', sa.Text(), nullable=True),
    sa.Column('latest_value', sa.Float(), nullable=True),
    sa.Column('latest_unit', sa.String(length=40), nullable=True),
    sa.Column('latest_as_of', sa.Date(), nullable=True),
    sa.Column('latest_status', sa.String(length=20), nullable=True),
    sa.Column('latest_text', sa.Text(), nullable=True),
    sa.Column('target_value', sa.Float(), nullable=True),
    sa.Column('target_deadline', sa.Date(), nullable=True),
    sa.Column('target_unset', sa.Boolean(), nullable=True),
    sa.Column('target_text', sa.Text(), nullable=True),
    sa.Column('next_measurement', sa.Text(), nullable=True),
    sa.Column('next_measurement_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpis.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('kpi_id')
    )
    op.create_table('rating_runs',
    sa.Column('scheme', sa.String(length=60), nullable=False),
    sa.Column('scheme_sha256', sa.String(length=64), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scheme')
    )
    op.create_table('audit_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('data_key', sa.String(length=400), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_runs_as_of'), ['as_of'], unique=False)
    op.create_table('audit_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=True),
    sa.Column('kpi', sa.Text(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('message_en', sa.Text(), nullable=True),
    sa.Column('sources', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['audit_runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_findings_run_id'), ['run_id'], unique=False)
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_version', sa.Integer(), nullable=True))
        batch_op.create_index('ix_ratings_kpi_id_scheme_official', ['kpi_id', 'scheme', 'official'], unique=False)
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index('ix_observations_kpi_id_as_of', ['kpi_id', 'as_of'], unique=False)
    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpis_tier'), ['tier'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpis_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kpis_organisation_id'), ['organisation_id'], unique=False)
    with op.batch_alter_table('measure_ministries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_ministries_organisation_id'), ['organisation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('measure_ministries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_ministries_organisation_id'))
    with op.batch_alter_table('kpis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpis_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_kpis_parent_id'))
        batch_op.drop_index(batch_op.f('ix_kpis_tier'))
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index('ix_observations_kpi_id_as_of')
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_ratings_kpi_id_scheme_official')
        batch_op.drop_column('data_version')
    with op.batch_alter_table('audit_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_findings_run_id'))
    op.drop_table('audit_findings')
    with op.batch_alter_table('audit_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_runs_as_of'))
    op.drop_table('audit_runs')
    op.drop_table('rating_runs')
    op.drop_table('kpi_summaries')
