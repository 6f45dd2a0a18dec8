"""Community-level reports: level, locality and people reached on progress updates

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("progress_update") as batch:
        batch.add_column(sa.Column("level", sa.String(length=10), nullable=False, server_default="national"))
        batch.add_column(sa.Column("locality", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("people_reached", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("progress_update") as batch:
        batch.drop_column("people_reached")
        batch.drop_column("locality")
        batch.drop_column("level")
