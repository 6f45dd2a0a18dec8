"""Invitation steps: each substitute skipped when a meeting invitation is handed over (away, opted
out, unreachable on every channel), and the secretariat's alert when nobody is left

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitation_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("what", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_invitation_step_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_invitation_step_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_step")),
    )
    op.create_index(op.f("ix_invitation_step_invitation_id"), "invitation_step", ["invitation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_invitation_step_invitation_id"), "invitation_step")
    op.drop_table("invitation_step")
