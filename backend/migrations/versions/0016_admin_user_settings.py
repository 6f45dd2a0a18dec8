"""Each admin user's own language and time zone for the pages (empty: the deployment's defaults)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("admin_user") as batch:
        batch.add_column(sa.Column("language", sa.String(length=12), nullable=False, server_default=""))
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("admin_user") as batch:
        batch.drop_column("timezone")
        batch.drop_column("language")
