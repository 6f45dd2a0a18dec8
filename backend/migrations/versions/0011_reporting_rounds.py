"""Reporting schedules and rounds: a schedule per institution, one round per institution and
period, the steps taken on it, and people's roles (focal point, secretariat, observer)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("institution", sa.Column("schedule", sa.String(length=40), nullable=True))
    op.add_column("institution", sa.Column("escalation", sa.String(length=60), nullable=True))
    op.add_column("institution", sa.Column("next_prompt_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_institution_next_prompt_at", "institution", ["next_prompt_at"])
    op.add_column("person", sa.Column("role", sa.String(length=20), nullable=False, server_default="focal_point"))
    op.add_column("person", sa.Column("next_digest_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_person_role_next_digest_at", "person", ["role", "next_digest_at"])
    op.create_table(
        "reporting_round",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("institution_id", sa.Integer(), sa.ForeignKey("institution.id", ondelete="CASCADE"), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holder_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stood_down", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("institution_id", "period"),
    )
    op.create_index("ix_reporting_round_institution_id", "reporting_round", ["institution_id"])
    op.create_index("ix_reporting_round_next_at", "reporting_round", ["next_at"])
    op.create_table(
        "round_step",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("reporting_round.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("what", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id"), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_round_step_round_id", "round_step", ["round_id"])


def downgrade() -> None:
    op.drop_index("ix_round_step_round_id", "round_step")
    op.drop_table("round_step")
    op.drop_index("ix_reporting_round_next_at", "reporting_round")
    op.drop_index("ix_reporting_round_institution_id", "reporting_round")
    op.drop_table("reporting_round")
    # In place, not as a batch: on SQLite a batch copies the table and drops the old one, which
    # with foreign keys on would take the rows that refer to it (SQLite 3.35+ drops a column in place).
    op.drop_index("ix_person_role_next_digest_at", "person")
    op.drop_column("person", "next_digest_at")
    op.drop_column("person", "role")
    op.drop_index("ix_institution_next_prompt_at", "institution")
    op.drop_column("institution", "next_prompt_at")
    op.drop_column("institution", "escalation")
    op.drop_column("institution", "schedule")
