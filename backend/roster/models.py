"""The living roster: institutions, people, and who is focal point (lead or substitute) where."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db import Base
from bot.handlers import channel_names

LEVELS = ("national", "regional", "local")
# focal_point: in an institution's roster; secretariat: the mechanism's staff (alerts, digest);
# observer: invited to meetings (e.g. the national human-rights institution), never prompted.
ROLES = ("focal_point", "secretariat", "observer")
CHANNELS = channel_names()  # what the `channels` column may name, in the registry's order


class Institution(Base):
    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    short_name: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10))  # national / regional / local
    region: Mapped[str | None] = mapped_column(String(100))
    # Its reporting schedule ("weekly mon 09:00", "monthly 1 09:00"); None: the deployment's
    # REPORTING_SCHEDULE. Read in the lead's time zone.
    schedule: Mapped[str | None] = mapped_column(String(40))
    # Its escalation policy ("reminders 24,72 then 24"); None: REMINDER_DELAYS_HOURS and
    # ESCALATION_DELAY_HOURS. The steps themselves are the roster's order.
    escalation: Mapped[str | None] = mapped_column(String(60))
    # When the scheduler looks at it next (None: as soon as it runs): the index that keeps a pass
    # with nothing due to one query.
    next_prompt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    focal_points: Mapped[list[FocalPoint]] = relationship(back_populates="institution")


class Person(Base):
    __tablename__ = "person"
    # the secretariat's digests: found by role, then by when they are due
    __table_args__ = (Index("ix_person_role_next_digest_at", "role", "next_digest_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    channels: Mapped[str] = mapped_column(String(60), default="sms")  # in order of preference: "whatsapp,sms"
    language: Mapped[str] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    away_until: Mapped[date | None] = mapped_column(Date)  # AWAY: their substitute covers until then
    role: Mapped[str] = mapped_column(String(20), default="focal_point", server_default="focal_point")
    # Secretariat: when their weekly digest is due next (the scheduler's index; None: compute it).
    next_digest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    assignments: Mapped[list[FocalPoint]] = relationship(back_populates="person")

    @property
    def channel_list(self) -> list[str]:
        return [c for c in self.channels.split(",") if c]


class FocalPoint(Base):
    """A person's place in an institution's roster: rank 1 is the lead, 2.. the substitutes."""

    __tablename__ = "focal_point"
    __table_args__ = (UniqueConstraint("institution_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(200))
    active_from: Mapped[date | None] = mapped_column(Date)
    active_to: Mapped[date | None] = mapped_column(Date)

    institution: Mapped[Institution] = relationship(back_populates="focal_points")
    person: Mapped[Person] = relationship(back_populates="assignments")

    def active_on(self, day: date) -> bool:
        return (self.active_from is None or self.active_from <= day) and (
            self.active_to is None or day <= self.active_to
        )
