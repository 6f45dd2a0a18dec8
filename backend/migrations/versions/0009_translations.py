"""Action titles, recommendation texts and cluster names per language (a JSON column each)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = ("action", "recommendation", "cluster")
# {"fr": {"title": ..., "short_title": ...}}; JSONB on PostgreSQL (plain json has no equality)
TYPE = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("translations", TYPE, nullable=True))


def downgrade() -> None:
    # Not a batch (which on SQLite copies each table and drops the old one: with foreign keys on,
    # dropping `cluster` or `action` with rows that refer to them fails): SQLite 3.35+ drops a
    # plain column in place, as PostgreSQL does.
    for table in TABLES:
        op.drop_column(table, "translations")
