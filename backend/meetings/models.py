"""Meetings of the mechanism and who is invited: each invitation carries the invitee's answer and
when the scheduler looks at it next (backend/schedule/meetings.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.roster.models import Institution, Person

# pending: no answer yet; confirmed, declined; delegated: the invitee sent their substitute (SUB);
# no_reply: no answer by the deadline, and away: away on the meeting's day, both handed to the
# substitute by the scheduler. The substitute's invitation is a row of its own, `delegated_from`
# pointing here. Delegated, no_reply and away invitations are closed: nothing more is sent for them.
ATTENDANCE = ("pending", "confirmed", "declined", "delegated", "no_reply", "away")
HANDED = ("delegated", "no_reply", "away")
# Who still holds the invitation: told of a change of time or place.
CURRENT = ("pending", "confirmed", "declined")
SCHEDULED, CANCELLED = "scheduled", "cancelled"


class Meeting(Base):
    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    committee: Mapped[str | None] = mapped_column(String(200))  # e.g. "Subcommittee on children's rights"
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")  # the zone the time was given in
    place: Mapped[str] = mapped_column(String(200))  # a venue, or a link
    agenda_items: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("cluster.id"))
    status: Mapped[str] = mapped_column(String(10), default=SCHEDULED, server_default=SCHEDULED)
    # Each change of time or place adds one: the key of its notice (sent once per change).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # last change of time or place
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    invitations: Mapped[list[Invitation]] = relationship(back_populates="meeting", order_by="Invitation.id")


class Invitation(Base):
    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    # An observer (role observer in the roster): answers like anyone, but has no substitute.
    observer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(10), default="pending")
    delegated_from: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the scheduler looks at it next (follow-up, hand-over, reminder; None: nothing to do):
    # its index keeps a pass with nothing due to one query.
    next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the last reminder

    meeting: Mapped[Meeting] = relationship(back_populates="invitations")
    person: Mapped[Person] = relationship()
    institution: Mapped[Institution] = relationship()
    origin: Mapped[Invitation | None] = relationship(remote_side=[id])


class InvitationStep(Base):
    """One thing done while handing an invitation over, with who and why: a substitute skipped
    (away, opted out, unreachable on every channel), the secretariat alerted when nobody is left."""

    __tablename__ = "invitation_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    what: Mapped[str] = mapped_column(String(20))  # skipped, alert, alert_failed
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class ClusterObserver(Base):
    """An observer invited to every meeting on a cluster (unless the meeting names its own)."""

    __tablename__ = "cluster_observer"
    __table_args__ = (UniqueConstraint("cluster_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
