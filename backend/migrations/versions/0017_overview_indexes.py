"""Indexes for the admin overview at a national size (bench/admin_overview.py: 500 institutions,
60 weekly periods, 1,000,000 messages): a round's steps by kind, the latest alerts, rounds by
period and open rounds by due time, an action's latest update

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Is this round prompted? (the response rates): one look-up per round. It also serves what
    # ix_round_step_round_id served (a round's steps, the cascade from reporting_round).
    op.create_index("ix_round_step_round_id_what", "round_step", ["round_id", "what"])
    op.drop_index("ix_round_step_round_id", "round_step")
    # The latest alerts: read newest first, 20 rows of each kind.
    op.create_index("ix_round_step_what_at", "round_step", ["what", "at"])
    # A period's rounds (this period, the chart's twelve) and the latest periods by due time.
    op.create_index("ix_reporting_round_period_due_at", "reporting_round", ["period", "due_at"])
    # Open rounds by due time (escalations).
    op.create_index("ix_reporting_round_status_due_at", "reporting_round", ["status", "due_at"])
    # An action's latest update from the index alone (blocked actions; PostgreSQL's indexes do not
    # carry the row id as SQLite's do). It also serves what ix_progress_update_action_id served.
    op.create_index("ix_progress_update_action_id_id", "progress_update", ["action_id", "id"])
    op.drop_index("ix_progress_update_action_id", "progress_update")


def downgrade() -> None:
    op.create_index("ix_progress_update_action_id", "progress_update", ["action_id"])
    op.drop_index("ix_progress_update_action_id_id", "progress_update")
    op.drop_index("ix_reporting_round_status_due_at", "reporting_round")
    op.drop_index("ix_reporting_round_period_due_at", "reporting_round")
    op.drop_index("ix_round_step_what_at", "round_step")
    op.create_index("ix_round_step_round_id", "round_step", ["round_id"])
    op.drop_index("ix_round_step_round_id_what", "round_step")
