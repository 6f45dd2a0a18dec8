"""Meetings of the mechanism and who is invited: each invitation carries the invitee's answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from backend.roster.models import Institution, Person

# pending: no answer yet; delegated: the invitee sent their substitute (who has an invitation of
# their own, `delegated_from` pointing here).
ATTENDANCE = ("pending", "confirmed", "declined", "delegated")


class Meeting(Base):
    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    place: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str | None] = mapped_column(Text)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("cluster.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    invitations: Mapped[list[Invitation]] = relationship(back_populates="meeting", order_by="Invitation.id")


class Invitation(Base):
    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    delegated_from: Mapped[int | None] = mapped_column(ForeignKey("invitation.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    meeting: Mapped[Meeting] = relationship(back_populates="invitations")
    person: Mapped[Person] = relationship()
    institution: Mapped[Institution] = relationship()
    origin: Mapped[Invitation | None] = relationship(remote_side=[id])
