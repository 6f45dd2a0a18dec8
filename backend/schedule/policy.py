"""Who is asked for an institution's update, in order (modelled on on-call escalation policies):
the lead, then each substitute by rank; a step is skipped, with its reason, when that person is
out of post, inactive, away, or cannot be reached on any channel."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.outbox import routing
from backend.roster.models import FocalPoint, Institution, Person


@dataclass(frozen=True)
class Step:
    person: Person
    rank: int
    skip: str | None  # why this person cannot be asked now; None: they can


def steps(
    session: Session, institution: Institution, *, day: date, now: datetime, settings: Settings, configured: set[str]
) -> Iterator[Step]:
    """The escalation order for today, each step with the reason it is skipped (if it is), step
    by step: whoever stops at the first person asked looks no further."""
    for fp in session.scalars(
        select(FocalPoint).where(FocalPoint.institution_id == institution.id).order_by(FocalPoint.rank)
    ):
        person = fp.person
        if not fp.active_on(day) or not person.active or person.role != "focal_point":
            continue  # not (or no longer) in post, or secretariat / observer: not a step at all
        why = None
        if person.away_until is not None and person.away_until >= day:
            why = f"away until {person.away_until.isoformat()}"
        else:
            routes, reasons = routing.plan(
                session, person=person, kind="weekly_prompt", text="", now=now, settings=settings, configured=configured
            )
            if not routes:
                why = "cannot be reached: " + "; ".join(reasons)
        yield Step(person, fp.rank, why)


def lead(session: Session, institution: Institution, day: date) -> Person | None:
    """Who leads today in the roster (rank order, in post), away or not: whose time zone sets the
    institution's local hour. One query."""
    return session.scalar(
        select(Person)
        .join(FocalPoint, FocalPoint.person_id == Person.id)
        .where(
            FocalPoint.institution_id == institution.id,
            or_(FocalPoint.active_from.is_(None), FocalPoint.active_from <= day),
            or_(FocalPoint.active_to.is_(None), FocalPoint.active_to >= day),
            Person.active.is_(True),
            Person.role == "focal_point",
        )
        .order_by(FocalPoint.rank)
        .limit(1)
    )


def secretariat(session: Session) -> list[Person]:
    return list(
        session.scalars(select(Person).where(Person.role == "secretariat", Person.active.is_(True)).order_by(Person.id))
    )
