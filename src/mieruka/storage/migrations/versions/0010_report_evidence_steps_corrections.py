"""report evidence files, progress of process steps in a report, corrections of a published round

report_evidence keeps each attached file raw with its sha256; report_steps the progress text a report gives per
process step; rounds.corrects_round_id names the published round a correction round corrects, correction_note says what it corrects.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=80), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('report_id', 'sha256')
    )
    with op.batch_alter_table('report_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_evidence_report_id'), ['report_id'], unique=False)
    op.create_table('report_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('step', sa.Text(), nullable=False),
    sa.Column('progress', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_steps_report_id'), ['report_id'], unique=False)
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('corrects_round_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('correction_note', sa.Text(), nullable=True))
        batch_op.create_foreign_key('fk_rounds_corrects_round_id', 'rounds', ['corrects_round_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_constraint('fk_rounds_corrects_round_id', type_='foreignkey')
        batch_op.drop_column('correction_note')
        batch_op.drop_column('corrects_round_id')
    with op.batch_alter_table('report_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_steps_report_id'))
    op.drop_table('report_steps')
    with op.batch_alter_table('report_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_evidence_report_id'))
    op.drop_table('report_evidence')
