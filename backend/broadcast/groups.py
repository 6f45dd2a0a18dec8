"""Who is in a broadcast group on a given day.

    leads                      today's lead of every institution (the substitute covering for an
                               away lead)
    focal-points               every focal point in post (away or not: a broadcast is news, not a
                               task handed over)
    region:<name>              the focal points of the local and regional institutions of a region
    cluster:<id, code, name>   the focal points of the institutions owning actions linked to the
                               cluster's recommendations
    institution:<short name>   the institution's whole roster in post (any rank and role)
    secretariat, observers     people with that role

Inactive people are in no group. A group's name is kept in its canonical form (`cluster:CHILD`
however the cluster was named), so the same broadcast run again is recognised."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from backend.catalog.models import Action, Cluster, Recommendation, action_recommendation
from backend.roster.models import FocalPoint, Institution, Person
from backend.roster.service import available

SIMPLE = ("leads", "focal-points", "secretariat", "observers")
NAMED = ("region", "cluster", "institution")
HELP = (
    "leads, focal-points, region:<name>, cluster:<id, code or name>, institution:<short name>, secretariat or observers"
)


class BroadcastError(ValueError):
    """A broadcast that cannot be previewed or sent as asked; the message says what to change."""


@dataclass(frozen=True)
class Group:
    kind: str  # one of SIMPLE or NAMED
    value: str = ""  # canonical: the region, cluster code or short name as stored

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else self.kind


def parse(session: Session, text: str) -> Group:
    """The group `text` names; BroadcastError naming what exists when it names nothing."""
    kind, _, value = text.strip().partition(":")
    kind, value = kind.strip().lower(), value.strip()
    kind = {
        "observer": "observers",
        "lead": "leads",
        "focal-point": "focal-points",
        "focal_points": "focal-points",
    }.get(kind, kind)
    if kind in SIMPLE and not value:
        return Group(kind)
    if kind not in NAMED:
        raise BroadcastError(f'no group "{text}"; give {HELP}')
    if not value:
        raise BroadcastError(f"{kind}: give its name after the colon, e.g. {kind}:{_example(kind)}")
    if kind == "region":
        return Group(kind, _region(session, value))
    if kind == "institution":
        found = session.scalar(
            select(Institution.short_name).where(func.lower(Institution.short_name) == value.lower())
        )
        if found is None:
            known = ", ".join(session.scalars(select(Institution.short_name).order_by(Institution.short_name)))
            raise BroadcastError(f'no institution "{value}"; the roster has {known or "none yet"}')
        return Group(kind, found)
    return Group(kind, _cluster(session, value).code)


def _example(kind: str) -> str:
    return {"region": "Kisumu", "cluster": "CHILD", "institution": "MOJ"}[kind]


def _region(session: Session, value: str) -> str:
    regions = sorted(
        {
            region
            for region in session.scalars(
                select(Institution.region).where(Institution.level.in_(("local", "regional")))
            )
            if region
        }
    )
    for region in regions:
        if region.lower() == value.lower():
            return region
    raise BroadcastError(
        f'no local or regional institution in region "{value}"; the roster has {", ".join(regions) or "no regions"}'
    )


def _cluster(session: Session, value: str) -> Cluster:
    """A cluster by id, code or name (in any language), ignoring case."""
    clusters = list(session.scalars(select(Cluster).order_by(Cluster.code)))
    wanted = value.casefold()
    for test in (
        lambda c: value.isdigit() and c.id == int(value),
        lambda c: c.code.casefold() == wanted,
        lambda c: wanted in {n.casefold() for n in _names(c)},
    ):
        found = [c for c in clusters if test(c)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise BroadcastError(
                f'"{value}" names several clusters ({", ".join(c.code for c in found)}); give its code'
            )
    known = ", ".join(f"{c.code} ({c.name})" for c in clusters)
    raise BroadcastError(f'no cluster "{value}"; there are {known or "none yet: import the recommendations first"}')


def _names(cluster: Cluster) -> list[str]:
    return [cluster.name, *(entry["name"] for entry in (cluster.translations or {}).values() if entry.get("name"))]


def members(session: Session, group: Group, day: date) -> list[Person]:
    """The active people in the group on `day`, each once, in roster order."""
    if group.kind in ("secretariat", "observers"):
        role = "secretariat" if group.kind == "secretariat" else "observer"
        return list(
            session.scalars(select(Person).where(Person.role == role, Person.active.is_(True)).order_by(Person.id))
        )
    query = select(FocalPoint).join(Institution).join(Person).options(contains_eager(FocalPoint.person))
    if group.kind == "region":
        query = query.where(Institution.level.in_(("local", "regional")), Institution.region == group.value)
    elif group.kind == "institution":
        query = query.where(Institution.short_name == group.value)
    elif group.kind == "cluster":
        owners = (
            select(Action.institution_id)
            .join(action_recommendation, action_recommendation.c.action_id == Action.id)
            .join(Recommendation, Recommendation.id == action_recommendation.c.recommendation_id)
            .join(Cluster, Cluster.id == Recommendation.cluster_id)
            .where(Cluster.code == group.value)
        )
        query = query.where(Institution.id.in_(owners))
    seats = list(session.scalars(query.order_by(Institution.short_name, FocalPoint.rank, FocalPoint.id)))
    if group.kind == "leads":
        return _unique(_lead(fps, day) for fps in _by_institution(seats))
    whole_roster = group.kind == "institution"
    return _unique(
        fp.person
        for fp in seats
        if fp.active_on(day) and fp.person.active and (whole_roster or fp.person.role == "focal_point")
    )


def _by_institution(seats: list[FocalPoint]) -> list[list[FocalPoint]]:
    groups: dict[int, list[FocalPoint]] = {}
    for fp in seats:
        groups.setdefault(fp.institution_id, []).append(fp)
    return list(groups.values())


def _lead(seats: list[FocalPoint], day: date) -> Person | None:
    """Today's lead: the first focal point by rank in post and not away."""
    for fp in seats:
        if fp.person.role == "focal_point" and available(fp, day):
            return fp.person
    return None


def _unique(people: Iterable[Person | None]) -> list[Person]:
    seen: dict[int, Person] = {}
    for person in people:
        if person is not None and person.id not in seen:
            seen[person.id] = person
    return list(seen.values())


def institutions_of(session: Session, person_ids: Iterable[int], day: date) -> dict[int, list[str]]:
    """The short names of the institutions each person serves in post (for the preview)."""
    found: dict[int, list[str]] = {i: [] for i in person_ids}
    if not found:
        return found
    # The whole roster in one query (an IN list of thousands of ids is what SQLite limits).
    for fp, short in session.execute(
        select(FocalPoint, Institution.short_name).join(Institution).order_by(Institution.short_name)
    ):
        if fp.person_id in found and fp.active_on(day):
            found[fp.person_id].append(short)
    return found
