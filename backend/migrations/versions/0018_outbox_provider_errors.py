"""Provider-wide failures (a rate limit, an outage, no network) counted apart from a message's
own failed attempts: they hold the channel, not the message, and do not use up its attempts

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_message") as batch:
        batch.add_column(sa.Column("provider_errors", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbound_message") as batch:
        batch.drop_column("provider_errors")
