"""Reporting rounds: what an institution owes for one period, who has been asked, and who answered.

One row per institution and period (a unique key: two schedulers cannot both open it). Every
step taken on a round (prompted, reminded, skipped and why, escalated, stood down, answered,
alert) is a row of its own, for the secretariat's view."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.catalog.models import Action
from backend.db import Base

OPEN, ANSWERED, EXHAUSTED = "open", "answered", "exhausted"


class ReportingRound(Base):
    __tablename__ = "reporting_round"
    __table_args__ = (
        UniqueConstraint("institution_id", "period"),
        # the overview: a period's rounds, the latest periods by due time, open rounds by due time
        Index("ix_reporting_round_period_due_at", "period", "due_at"),
        Index("ix_reporting_round_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(10))  # 2026-W49, or 2026-12 for a monthly schedule
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))  # who is asked now
    step: Mapped[int] = mapped_column(Integer, default=0)  # place of the holder in the escalation order
    reminders: Mapped[int] = mapped_column(Integer, default=0)  # reminders sent to the holder
    # When the next reminder or escalation is due (None: nothing more to do): the scheduler's index.
    next_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stood_down: Mapped[bool] = mapped_column(default=False)  # an escalated holder told they are not needed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RoundStep(Base):
    """One thing done on a round, with who and why."""

    __tablename__ = "round_step"
    __table_args__ = (
        # a round's steps (and whether it was prompted: the response rates); the latest alerts
        Index("ix_round_step_round_id_what", "round_id", "what"),
        Index("ix_round_step_what_at", "what", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("reporting_round.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    what: Mapped[str] = mapped_column(String(20))  # prompted, reminded, skipped, escalated, answered, ...
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str | None] = mapped_column(Text)


def log(session: Session, round_: ReportingRound, what: str, now: datetime, person_id=None, reason=None) -> None:
    session.add(RoundStep(round_id=round_.id, at=now, what=what, person_id=person_id, reason=reason))


def wake(session: Session, now: datetime, *, holder_id: int | None = None, institution_ids=None) -> None:
    """Have the scheduler look at these open rounds at its next pass (their holder went away,
    or the roster changed): it asks the next person if the holder can no longer be asked."""
    query = select(ReportingRound).where(ReportingRound.status == OPEN)
    if holder_id is not None:
        query = query.where(ReportingRound.holder_id == holder_id)
    if institution_ids is not None:
        query = query.where(ReportingRound.institution_id.in_(list(institution_ids)))
    for round_ in session.scalars(query):
        round_.next_at = now


def mark_answered(session: Session, *, action_id: int, period: str, person_id: int, now: datetime) -> None:
    """A progress update for the period answers its institution's round: reminders and
    escalation stop at once; whoever answered first is recorded."""
    institution_id = session.scalar(select(Action.institution_id).where(Action.id == action_id))
    round_ = session.scalar(
        select(ReportingRound).where(ReportingRound.institution_id == institution_id, ReportingRound.period == period)
    )
    if round_ is None or round_.status == ANSWERED:
        return
    # Reminders and escalation stop; a holder asked in another's place is stood down at the
    # scheduler's next pass (next_at now), unless they are the one who answered.
    stand_down = round_.step > 0 and round_.holder_id != person_id
    round_.status, round_.answered_by, round_.answered_at = ANSWERED, person_id, now
    round_.next_at = now if stand_down else None
    log(session, round_, "answered", now, person_id)
