"""Observers (role observer in the roster, e.g. the national human-rights institution or an NGO
network): chosen per meeting, or standing per cluster, invited to every meeting on that cluster
unless the meeting names its own (service.invite_observers sends the invitations)."""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from backend.catalog.models import Cluster
from backend.meetings.fields import MeetingError
from backend.meetings.models import ClusterObserver
from backend.roster import service as roster
from backend.roster.models import Person


def find(session: Session, spec: str) -> list[Person]:
    """`all`: every active observer; `none` or empty: nobody; else phone numbers or full names,
    comma-separated, each naming one person with the role observer."""
    spec = spec.strip()
    if spec.lower() in ("", "none"):
        return []
    observers = select(Person).where(Person.role == "observer", Person.active.is_(True)).order_by(Person.id)
    if spec.lower() == "all":
        return list(session.scalars(observers))
    people: list[Person] = []
    for given in (part.strip() for part in spec.split(",") if part.strip()):
        phone = roster.normalise_phone(given) if given.startswith("+") else None
        found = session.scalars(
            select(Person).where(or_(Person.phone == phone, func.lower(Person.name) == given.lower()))
        ).all()
        if not found:
            raise MeetingError(f'no one in the roster is "{given}"; give a phone number (+254...) or a full name')
        if len(found) > 1:
            raise MeetingError(f'"{given}" names {len(found)} people; give their phone number instead')
        person = found[0]
        if person.role != "observer":
            raise MeetingError(f"{person.name} is not an observer (role {person.role} in the roster)")
        if person not in people:
            people.append(person)
    return people


def _cluster(session: Session, code: str) -> Cluster:
    cluster = session.scalar(select(Cluster).where(Cluster.code == code))
    if cluster is None:
        raise MeetingError(f'no cluster "{code}"; import it with the recommendations first')
    return cluster


def of_cluster(session: Session, cluster_id: int | None) -> list[Person]:
    """The cluster's standing observers still active in the roster."""
    if cluster_id is None:
        return []
    return list(
        session.scalars(
            select(Person)
            .join(ClusterObserver, ClusterObserver.person_id == Person.id)
            .where(ClusterObserver.cluster_id == cluster_id, Person.active.is_(True), Person.role == "observer")
            .order_by(Person.id)
        )
    )


def set_for_cluster(session: Session, *, cluster: str, people: list[Person]) -> list[Person]:
    """Make these the cluster's standing observers (replacing the previous ones)."""
    found = _cluster(session, cluster)
    session.execute(delete(ClusterObserver).where(ClusterObserver.cluster_id == found.id))
    for person in people:
        session.add(ClusterObserver(cluster_id=found.id, person_id=person.id))
    session.flush()
    return of_cluster(session, found.id)


def cluster_observers(session: Session, cluster: str) -> list[Person]:
    return of_cluster(session, _cluster(session, cluster).id)
