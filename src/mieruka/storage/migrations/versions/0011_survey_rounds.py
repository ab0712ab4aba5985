"""surveys asked within a reporting round

The secretariat opens a survey (initiative, as-of date) within a round; each municipality's local reporter answers
it; approved answers are written into a survey import of the request's own.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("rounds.id", ondelete="CASCADE"), nullable=False),
        sa.Column("initiative", sa.String(length=200), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("opened_by", sa.String(length=80), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("survey_imports.id", ondelete="SET NULL"), nullable=True),
        sa.UniqueConstraint("round_id", "initiative", "as_of"),
    )
    op.create_index("ix_survey_requests_round_id", "survey_requests", ["round_id"])
    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("survey_requests.id", ondelete="CASCADE"), nullable=False),
        sa.Column("body_code", sa.String(length=6), sa.ForeignKey("local_bodies.code"), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("adopted", sa.Boolean(), nullable=True),
        sa.Column("year_started", sa.Integer(), nullable=True),
        sa.Column("cost_before", sa.Float(), nullable=True),
        sa.Column("cost_after", sa.Float(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("return_comment", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(length=80), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.String(length=80), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=80), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_via", sa.String(length=20), nullable=True),
        sa.UniqueConstraint("request_id", "body_code"),
    )
    op.create_index("ix_survey_answers_request_id", "survey_answers", ["request_id"])
    op.create_index("ix_survey_answers_body_code", "survey_answers", ["body_code"])
    op.create_table(
        "survey_answer_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("answer_id", sa.Integer(), sa.ForeignKey("survey_answers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
    )
    op.create_index("ix_survey_answer_versions_answer_id", "survey_answer_versions", ["answer_id"])


def downgrade() -> None:
    op.drop_table("survey_answer_versions")
    op.drop_table("survey_answers")
    op.drop_table("survey_requests")
