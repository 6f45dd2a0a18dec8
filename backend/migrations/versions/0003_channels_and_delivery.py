"""Channels in order of preference, address states (opt-out, unreachable, WhatsApp window),
SMS segments and the route of each outbound message

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.alter_column(
            "preferred_channel", new_column_name="channels", type_=sa.String(60), existing_nullable=False
        )
    with op.batch_alter_table("outbound_message") as batch:
        batch.add_column(sa.Column("segments", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("route", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "address_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unreachable_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unreachable_reason", sa.String(length=200), nullable=True),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_unknown_reply_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_state")),
        sa.UniqueConstraint("channel", "address", name=op.f("uq_address_state_channel")),
    )
    op.create_index(op.f("ix_outbound_message_provider_id"), "outbound_message", ["provider_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbound_message_provider_id"), table_name="outbound_message")
    op.drop_table("address_state")
    with op.batch_alter_table("outbound_message") as batch:
        batch.drop_column("route")
        batch.drop_column("segments")
    with op.batch_alter_table("person") as batch:
        batch.alter_column(
            "channels", new_column_name="preferred_channel", type_=sa.String(10), existing_nullable=False
        )
