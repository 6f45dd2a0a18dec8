"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster")),
        sa.UniqueConstraint("code", name=op.f("uq_cluster_code")),
    )
    op.create_table(
        "institution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("short_name", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution")),
        sa.UniqueConstraint("short_name", name=op.f("uq_institution_short_name")),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("preferred_channel", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("phone", name=op.f("uq_person_phone")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_person_telegram_user_id")),
    )
    op.create_table(
        "sdg_goal",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_sdg_goal")),
    )
    op.create_table(
        "action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("indicator", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"], ["institution.id"], name=op.f("fk_action_institution_id_institution")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action")),
        sa.UniqueConstraint("code", name=op.f("uq_action_code")),
    )
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "conversation_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_conversation_session_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_session")),
        sa.UniqueConstraint("person_id", name=op.f("uq_conversation_session_person_id")),
    )
    op.create_table(
        "fires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=100), nullable=True),
        sa.Column("session_token", sa.String(length=40), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_fires_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fires")),
    )
    with op.batch_alter_table("fires", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fires_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_fires_person_id"), ["person_id"], unique=False)

    op.create_table(
        "focal_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("active_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
            name=op.f("fk_focal_point_institution_id_institution"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_focal_point_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_focal_point")),
        sa.UniqueConstraint("institution_id", "person_id", name=op.f("uq_focal_point_institution_id")),
    )
    with op.batch_alter_table("focal_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_focal_point_institution_id"), ["institution_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_focal_point_person_id"), ["person_id"], unique=False)

    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_inbound_message_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_message")),
        sa.UniqueConstraint("channel", "provider_id", name=op.f("uq_inbound_message_channel")),
    )
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_message_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_message_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_message_status"), ["status"], unique=False)

    op.create_table(
        "recommendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("mechanism", sa.String(length=40), nullable=False),
        sa.Column("cycle", sa.String(length=20), nullable=True),
        sa.Column("support", sa.String(length=20), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["cluster_id"], ["cluster.id"], name=op.f("fk_recommendation_cluster_id_cluster")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation")),
        sa.UniqueConstraint("reference", name=op.f("uq_recommendation_reference")),
    )
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recommendation_cluster_id"), ["cluster_id"], unique=False)

    op.create_table(
        "sdg_target",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("goal", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["goal"], ["sdg_goal.number"], name=op.f("fk_sdg_target_goal_sdg_goal")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_sdg_target")),
    )
    with op.batch_alter_table("sdg_target", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sdg_target_goal"), ["goal"], unique=False)

    op.create_table(
        "action_recommendation",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["action.id"], name=op.f("fk_action_recommendation_action_id_action"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_action_recommendation_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("action_id", "recommendation_id", name=op.f("pk_action_recommendation")),
    )
    op.create_table(
        "outbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("in_reply_to", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["in_reply_to"], ["inbound_message.id"], name=op.f("fk_outbound_message_in_reply_to_inbound_message")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_outbound_message_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_message")),
        sa.UniqueConstraint("key", name=op.f("uq_outbound_message_key")),
    )
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbound_message_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbound_message_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbound_message_status"), ["status"], unique=False)

    op.create_table(
        "progress_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("indicator_value", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"], name=op.f("fk_progress_update_action_id_action")),
        sa.ForeignKeyConstraint(
            ["inbound_id"], ["inbound_message.id"], name=op.f("fk_progress_update_inbound_id_inbound_message")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_progress_update_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_update")),
    )
    with op.batch_alter_table("progress_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_progress_update_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_update_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_update_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_progress_update_person_id"), ["person_id"], unique=False)

    op.create_table(
        "recommendation_sdg",
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("sdg_target", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_recommendation_sdg_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sdg_target"],
            ["sdg_target.code"],
            name=op.f("fk_recommendation_sdg_sdg_target_sdg_target"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recommendation_id", "sdg_target", name=op.f("pk_recommendation_sdg")),
    )


def downgrade() -> None:
    op.drop_table("recommendation_sdg")
    with op.batch_alter_table("progress_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_update_person_id"))
        batch_op.drop_index(batch_op.f("ix_progress_update_period"))
        batch_op.drop_index(batch_op.f("ix_progress_update_created_at"))
        batch_op.drop_index(batch_op.f("ix_progress_update_action_id"))

    op.drop_table("progress_update")
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_message_status"))
        batch_op.drop_index(batch_op.f("ix_outbound_message_person_id"))
        batch_op.drop_index(batch_op.f("ix_outbound_message_next_attempt_at"))

    op.drop_table("outbound_message")
    op.drop_table("action_recommendation")
    with op.batch_alter_table("sdg_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sdg_target_goal"))

    op.drop_table("sdg_target")
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendation_cluster_id"))

    op.drop_table("recommendation")
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_message_status"))
        batch_op.drop_index(batch_op.f("ix_inbound_message_person_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_message_address"))

    op.drop_table("inbound_message")
    with op.batch_alter_table("focal_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_focal_point_person_id"))
        batch_op.drop_index(batch_op.f("ix_focal_point_institution_id"))

    op.drop_table("focal_point")
    with op.batch_alter_table("fires", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fires_person_id"))
        batch_op.drop_index(batch_op.f("ix_fires_due_at"))

    op.drop_table("fires")
    op.drop_table("conversation_session")
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_institution_id"))

    op.drop_table("action")
    op.drop_table("sdg_goal")
    op.drop_table("person")
    op.drop_table("institution")
    op.drop_table("cluster")
