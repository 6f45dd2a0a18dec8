"""The read side of the meetings forms: the choices they offer, a meeting as its change form
shows it, and the rows a change names (for backend/meetings/service.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.catalog.models import Cluster
from backend.db import aware
from backend.meetings.models import Meeting
from backend.roster.models import FocalPoint, Institution, Person


@dataclass(frozen=True)
class Choices:
    clusters: tuple[tuple[str, str], ...]  # (code, name)
    institutions: tuple[tuple[int, str, str], ...]  # (id, short name, name)
    observers: tuple[tuple[int, str, str], ...]  # (id, name, institution)


@dataclass(frozen=True)
class FormValues:
    """A meeting as its change form shows it."""

    title: str
    committee: str
    cluster: str
    date: str
    time: str
    timezone: str
    place: str
    agenda: str
    invited: frozenset[int]  # institutions invited already
    observers: frozenset[int]  # observers invited already


@dataclass(frozen=True)
class Targets:
    """The rows a change through the pages names, for the meetings service (None: not found)."""

    meeting: Meeting | None
    institutions: list[Institution]
    observers: list[Person]


def choices(session: Session) -> Choices:
    """What the create and change forms offer: clusters, institutions, active observers."""
    observers = []
    for person in session.scalars(
        select(Person).where(Person.role == "observer", Person.active.is_(True)).order_by(Person.name, Person.id)
    ):
        institution = session.scalar(
            select(Institution.short_name)
            .join(FocalPoint, FocalPoint.institution_id == Institution.id)
            .where(FocalPoint.person_id == person.id)
            .order_by(FocalPoint.rank)
            .limit(1)
        )
        observers.append((person.id, person.name, institution or ""))
    return Choices(
        clusters=tuple(
            (code, name) for code, name in session.execute(select(Cluster.code, Cluster.name).order_by(Cluster.code))
        ),
        institutions=tuple(
            (i, short, name)
            for i, short, name in session.execute(
                select(Institution.id, Institution.short_name, Institution.name).order_by(Institution.short_name)
            )
        ),
        observers=tuple(observers),
    )


def form_values(session: Session, *, meeting_id: int) -> FormValues | None:
    m = session.get(Meeting, meeting_id)
    if m is None:
        return None
    starts = aware(m.starts_at).astimezone(ZoneInfo(m.timezone))
    cluster = session.get(Cluster, m.cluster_id) if m.cluster_id else None
    current = [i for i in m.invitations if i.delegated_from is None]
    return FormValues(
        title=m.title,
        committee=m.committee or "",
        cluster=cluster.code if cluster else "",
        date=f"{starts:%Y-%m-%d}",
        time=f"{starts:%H:%M}",
        timezone=m.timezone,
        place=m.place,
        agenda="\n".join(m.agenda_items or ()),
        invited=frozenset(i.institution_id for i in current if not i.observer),
        observers=frozenset(i.person_id for i in current if i.observer),
    )


def targets(
    session: Session, *, meeting_id: int | None = None, institutions: Iterable[int] = (), observers: Iterable[int] = ()
) -> Targets:
    """The meeting, institutions and observers a form names (unknown ids are left out)."""
    wanted, people = list(dict.fromkeys(institutions)), list(dict.fromkeys(observers))
    found = {i.id: i for i in session.scalars(select(Institution).where(Institution.id.in_(wanted)))} if wanted else {}
    persons = (
        {
            p.id: p
            for p in session.scalars(
                select(Person).where(Person.id.in_(people), Person.role == "observer", Person.active.is_(True))
            )
        }
        if people
        else {}
    )
    return Targets(
        meeting=session.get(Meeting, meeting_id) if meeting_id is not None else None,
        institutions=[found[i] for i in wanted if i in found],
        observers=[persons[p] for p in people if p in persons],
    )
