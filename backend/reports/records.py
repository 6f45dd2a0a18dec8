"""What the read-only API hands to other systems (national tracking databases): progress updates,
actions, recommendations and meetings, page by page in id order. A person appears by name,
role, title, institution and language only: never a phone number or a Telegram id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from backend.catalog.models import Action, Cluster, Recommendation, Translations, action_recommendation
from backend.db import aware
from backend.meetings.models import Invitation, Meeting
from backend.progress.models import ProgressUpdate
from backend.roster.models import FocalPoint, Institution, Person

T = TypeVar("T")


class UnknownFilter(ValueError):
    """A filter names something the store does not have (the message says what)."""


@dataclass(frozen=True)
class Slice(Generic[T]):
    """One page: its items, and whether more follow the last one."""

    items: tuple[T, ...]
    more: bool

    @property
    def last_id(self) -> int | None:
        return getattr(self.items[-1], "id", None) if self.items else None


@dataclass(frozen=True)
class PersonRef:
    name: str
    role: str  # focal_point / secretariat / observer
    language: str
    institution: str | None  # short name of the institution they are listed in first (or for this record)
    title: str | None  # their title there
    position: str | None  # lead / substitute there


@dataclass(frozen=True)
class ProgressRecord:
    id: int
    created_at: datetime
    period: str
    status: str
    note: str | None
    figure: float | None
    level: str
    locality: str | None
    people_reached: int | None
    action: str | None
    cluster: str | None
    institution: str | None
    reporter: PersonRef


@dataclass(frozen=True)
class ActionRecord:
    id: int
    code: str
    title: str
    short_title: str | None
    translations: Translations | None
    institution: str
    institution_name: str
    target_date: date | None
    indicator: str | None
    status: str
    recommendations: tuple[str, ...]
    last_update_at: datetime | None


@dataclass(frozen=True)
class RecommendationRecord:
    id: int
    reference: str
    text: str
    translations: Translations | None
    mechanism: str
    cycle: str | None
    support: str | None
    cluster: str | None
    cluster_name: str | None
    sdg_targets: tuple[str, ...]
    actions: tuple[str, ...]


@dataclass(frozen=True)
class InvitationRecord:
    id: int
    person: PersonRef
    institution: str
    observer: bool
    status: str
    answered_at: datetime | None
    delegated_from: int | None
    followed_up_at: datetime | None
    reminded_at: datetime | None


@dataclass(frozen=True)
class MeetingRecord:
    id: int
    title: str
    committee: str | None
    starts_at: datetime
    timezone: str
    place: str
    agenda_items: tuple[str, ...]
    cluster: str | None
    status: str
    revision: int
    changed_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    invitations: tuple[InvitationRecord, ...]


def _page(db: Session, query: Select[Any], id_column: Any, *, after: int | None, offset: int, limit: int) -> list[Any]:
    """Rows after the id `after` (a cursor) or from `offset`, in id order; one more than
    `limit`, so that the caller knows whether another page follows."""
    if after is not None:
        query = query.where(id_column > after)
    return list(db.scalars(query.order_by(id_column).offset(offset).limit(limit + 1)))


def _slice(rows: list[Any], limit: int, make) -> Slice:
    return Slice(tuple(make(row) for row in rows[:limit]), len(rows) > limit)


def _institution_id(db: Session, short_name: str) -> int:
    found = db.scalar(select(Institution.id).where(Institution.short_name == short_name))
    if found is None:
        raise UnknownFilter(
            f"no institution {short_name!r}: use an institution's short name, e.g. as in /api/v1/actions"
        )
    return found


def _person(person: Person, institution_id: int | None = None) -> PersonRef:
    places = sorted(person.assignments, key=lambda fp: fp.rank)
    place = next((fp for fp in places if fp.institution_id == institution_id), places[0] if places else None)
    return PersonRef(
        name=person.name,
        role=person.role,
        language=person.language,
        institution=place.institution.short_name if place else None,
        title=place.title if place else None,
        position=("lead" if place.rank == 1 else "substitute") if place else None,
    )


def _person_options(path):
    return path.selectinload(Person.assignments).selectinload(FocalPoint.institution)


def progress(
    db: Session,
    *,
    since: datetime | None = None,
    institution: str | None = None,
    action: str | None = None,
    after: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Slice[ProgressRecord]:
    """Progress updates, oldest first; `since`: created at or after; `institution`: on its actions,
    or community reports by its focal points; `action`: on this action (its code)."""
    query = select(ProgressUpdate).options(
        selectinload(ProgressUpdate.action).selectinload(Action.institution),
        selectinload(ProgressUpdate.cluster),
        _person_options(selectinload(ProgressUpdate.person)),
    )
    if since is not None:
        since = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
        query = query.where(ProgressUpdate.created_at >= since)
    if action is not None:
        action_id = db.scalar(select(Action.id).where(Action.code == action))
        if action_id is None:
            raise UnknownFilter(f"no action {action!r}: use an action's code, as in /api/v1/actions")
        query = query.where(ProgressUpdate.action_id == action_id)
    if institution is not None:
        iid = _institution_id(db, institution)
        staff = select(FocalPoint.person_id).where(FocalPoint.institution_id == iid)
        query = query.outerjoin(Action, ProgressUpdate.action_id == Action.id).where(
            or_(
                Action.institution_id == iid,
                and_(ProgressUpdate.action_id.is_(None), ProgressUpdate.person_id.in_(staff)),
            )
        )
    rows = _page(db, query, ProgressUpdate.id, after=after, offset=offset, limit=limit)

    def make(u: ProgressUpdate) -> ProgressRecord:
        reporter = _person(u.person, u.action.institution_id if u.action else None)
        return ProgressRecord(
            id=u.id,
            created_at=aware(u.created_at),
            period=u.period,
            status=u.status,
            note=u.note,
            figure=float(u.indicator_value) if u.indicator_value is not None else None,
            level=u.level,
            locality=u.locality,
            people_reached=u.people_reached,
            action=u.action.code if u.action else None,
            cluster=u.cluster.code if u.cluster else None,
            institution=u.action.institution.short_name if u.action else reporter.institution,
            reporter=reporter,
        )

    return _slice(rows, limit, make)


def actions(
    db: Session,
    *,
    institution: str | None = None,
    status: str | None = None,
    after: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Slice[ActionRecord]:
    query = select(Action).options(selectinload(Action.institution), selectinload(Action.recommendations))
    if institution is not None:
        query = query.where(Action.institution_id == _institution_id(db, institution))
    if status is not None:
        query = query.where(Action.status == status)
    rows = _page(db, query, Action.id, after=after, offset=offset, limit=limit)
    ids = [a.id for a in rows[:limit]]
    last: dict[int | None, datetime] = {
        action_id: at
        for action_id, at in db.execute(
            select(ProgressUpdate.action_id, func.max(ProgressUpdate.created_at))
            .where(ProgressUpdate.action_id.in_(ids))
            .group_by(ProgressUpdate.action_id)
        )
    }

    def make(a: Action) -> ActionRecord:
        return ActionRecord(
            id=a.id,
            code=a.code,
            title=a.title,
            short_title=a.short_title,
            translations=a.translations,
            institution=a.institution.short_name,
            institution_name=a.institution.name,
            target_date=a.target_date,
            indicator=a.indicator,
            status=a.status,
            recommendations=tuple(sorted(r.reference for r in a.recommendations)),
            last_update_at=aware(last.get(a.id)),
        )

    return _slice(rows, limit, make)


def recommendations(
    db: Session, *, mechanism: str | None = None, after: int | None = None, offset: int = 0, limit: int = 50
) -> Slice[RecommendationRecord]:
    query = select(Recommendation).options(
        selectinload(Recommendation.cluster), selectinload(Recommendation.sdg_targets)
    )
    if mechanism is not None:
        query = query.where(Recommendation.mechanism == mechanism)
    rows = _page(db, query, Recommendation.id, after=after, offset=offset, limit=limit)
    codes: dict[int, list[str]] = {}
    for rec_id, code in db.execute(
        select(action_recommendation.c.recommendation_id, Action.code)
        .join(Action, Action.id == action_recommendation.c.action_id)
        .where(action_recommendation.c.recommendation_id.in_([r.id for r in rows[:limit]]))
        .order_by(Action.code)
    ):
        codes.setdefault(rec_id, []).append(code)

    def make(r: Recommendation) -> RecommendationRecord:
        cluster: Cluster | None = r.cluster
        return RecommendationRecord(
            id=r.id,
            reference=r.reference,
            text=r.text,
            translations=r.translations,
            mechanism=r.mechanism,
            cycle=r.cycle,
            support=r.support,
            cluster=cluster.code if cluster else None,
            cluster_name=cluster.name if cluster else None,
            sdg_targets=tuple(sorted(t.code for t in r.sdg_targets)),
            actions=tuple(codes.get(r.id, ())),
        )

    return _slice(rows, limit, make)


def meetings(
    db: Session, *, status: str | None = None, after: int | None = None, offset: int = 0, limit: int = 50
) -> Slice[MeetingRecord]:
    """Meetings with every invitation (the invitee's answer; a substitute's invitation names the
    one it was handed over from in `delegated_from`)."""
    query = select(Meeting).options(
        selectinload(Meeting.invitations).selectinload(Invitation.institution),
        _person_options(selectinload(Meeting.invitations).selectinload(Invitation.person)),
    )
    if status is not None:
        query = query.where(Meeting.status == status)
    rows = _page(db, query, Meeting.id, after=after, offset=offset, limit=limit)
    wanted = {m.cluster_id for m in rows if m.cluster_id}
    clusters = {cid: code for cid, code in db.execute(select(Cluster.id, Cluster.code).where(Cluster.id.in_(wanted)))}

    def invitation(i: Invitation) -> InvitationRecord:
        return InvitationRecord(
            id=i.id,
            person=_person(i.person, i.institution_id),
            institution=i.institution.short_name,
            observer=i.observer,
            status=i.status,
            answered_at=aware(i.answered_at),
            delegated_from=i.delegated_from,
            followed_up_at=aware(i.followed_up_at),
            reminded_at=aware(i.reminded_at),
        )

    def make(m: Meeting) -> MeetingRecord:
        return MeetingRecord(
            id=m.id,
            title=m.title,
            committee=m.committee,
            starts_at=aware(m.starts_at),
            timezone=m.timezone,
            place=m.place,
            agenda_items=tuple(m.agenda_items or ()),
            cluster=clusters.get(m.cluster_id) if m.cluster_id else None,
            status=m.status,
            revision=m.revision,
            changed_at=aware(m.changed_at),
            cancelled_at=aware(m.cancelled_at),
            created_at=aware(m.created_at),
            invitations=tuple(invitation(i) for i in m.invitations),
        )

    return _slice(rows, limit, make)
