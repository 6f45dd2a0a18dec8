"""The meeting cycle: agenda items, committee, time zone, changes and cancellation of a meeting;
observers (per meeting, and standing ones per cluster); each invitation's next step for the
scheduler (follow-up, hand-over to the substitute, reminders)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

MEETING = sa.table(
    "meeting", sa.column("id", sa.Integer), sa.column("agenda", sa.Text), sa.column("agenda_items", sa.JSON)
)


def upgrade() -> None:
    op.add_column("meeting", sa.Column("committee", sa.String(length=200), nullable=True))
    op.add_column("meeting", sa.Column("timezone", sa.String(length=64), nullable=False, server_default="UTC"))
    op.add_column("meeting", sa.Column("agenda_items", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("meeting", sa.Column("status", sa.String(length=10), nullable=False, server_default="scheduled"))
    op.add_column("meeting", sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("meeting", sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("meeting", sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    for meeting_id, agenda in bind.execute(sa.select(MEETING.c.id, MEETING.c.agenda)).all():
        if agenda and agenda.strip():  # the old free text becomes the one item
            bind.execute(MEETING.update().where(MEETING.c.id == meeting_id).values(agenda_items=[agenda.strip()]))
    # In place, not as a batch: on SQLite a batch copies the table and drops the old one, which
    # with foreign keys on would take the invitations with it (SQLite 3.35+ drops a column in place).
    op.drop_column("meeting", "agenda")

    op.add_column("invitation", sa.Column("observer", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("invitation", sa.Column("next_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("invitation", sa.Column("followed_up_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("invitation", sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_invitation_next_at"), "invitation", ["next_at"])
    # Invitations already open are looked at by the scheduler's first pass (which times their
    # follow-up, hand-over and reminders, and clears those of meetings past).
    invitation = sa.table("invitation", sa.column("status", sa.String), sa.column("created_at"), sa.column("next_at"))
    bind.execute(
        invitation.update()
        .where(invitation.c.status.in_(("pending", "confirmed")))
        .values(next_at=invitation.c.created_at)
    )

    op.create_table(
        "cluster_observer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_cluster_observer_cluster_id_cluster"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_cluster_observer_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_observer")),
        sa.UniqueConstraint("cluster_id", "person_id", name=op.f("uq_cluster_observer_cluster_id")),
    )
    op.create_index(op.f("ix_cluster_observer_cluster_id"), "cluster_observer", ["cluster_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_cluster_observer_cluster_id"), "cluster_observer")
    op.drop_table("cluster_observer")
    op.drop_index(op.f("ix_invitation_next_at"), "invitation")
    for column in ("reminded_at", "followed_up_at", "next_at", "observer"):
        op.drop_column("invitation", column)
    op.add_column("meeting", sa.Column("agenda", sa.Text(), nullable=True))
    bind = op.get_bind()
    for meeting_id, items in bind.execute(sa.select(MEETING.c.id, MEETING.c.agenda_items)).all():
        if items:
            bind.execute(MEETING.update().where(MEETING.c.id == meeting_id).values(agenda="\n".join(items)))
    for column in ("cancelled_at", "changed_at", "revision", "status", "agenda_items", "timezone", "committee"):
        op.drop_column("meeting", column)
