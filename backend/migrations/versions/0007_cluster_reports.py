"""Community reports on a recommendation cluster: progress updates name an action or a cluster

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("progress_update") as batch:
        batch.alter_column("action_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("cluster_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_progress_update_cluster_id_cluster"), "cluster", ["cluster_id"], ["id"])
        batch.create_index(batch.f("ix_progress_update_cluster_id"), ["cluster_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("progress_update") as batch:
        batch.drop_index(batch.f("ix_progress_update_cluster_id"))
        batch.drop_constraint(batch.f("fk_progress_update_cluster_id_cluster"), type_="foreignkey")
        batch.drop_column("cluster_id")
        batch.alter_column("action_id", existing_type=sa.Integer(), nullable=False)
