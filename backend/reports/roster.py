"""The roster as the secretariat reads it: institutions with their lead and substitutes in order,
each person's channels and whether they can be reached on them, when they last wrote; the
secretariat and the observers apart; and the roster as rows in the importer's own columns.

`addresses=False` (the viewer role) masks phone numbers and Telegram ids here, before they reach
a page or a file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from backend.db import aware
from backend.inbox.models import InboxMessage
from backend.outbox import addresses as address_states
from backend.outbox.models import AddressState
from backend.outbox.routing import address_of
from backend.roster.models import LEVELS, FocalPoint, Institution, Person
from backend.roster.service import available

PER_PAGE = 50
SECTION_LIMIT = 200  # secretariat and observers: a bounded list each


def mask(value: str | None, show: bool) -> str:
    """An address as a page may show it: whole for admin and secretariat, the last 2 digits else."""
    if not value:
        return ""
    return value if show else "…" + value[-2:]


@dataclass(frozen=True)
class ChannelState:
    channel: str
    address: str  # masked unless addresses are shown; "" when the person has none on it
    problem: str | None  # why nothing can be sent there; None: usable


@dataclass(frozen=True)
class Member:
    person_id: int
    name: str
    role: str
    rank: int
    title: str | None
    institution: str  # short name
    phone: str
    telegram: str
    channels: tuple[ChannelState, ...]
    language: str
    timezone: str
    last_reply: datetime | None
    away_until: date | None
    active: bool
    in_post: str | None  # "from 2026-01-05", "left on 2025-12-31"; None: in post today
    available: bool  # in post, active, not away

    @property
    def reachable(self) -> bool:
        return any(c.problem is None for c in self.channels)


@dataclass(frozen=True)
class InstitutionEntry:
    id: int
    short_name: str
    name: str
    level: str
    region: str | None
    schedule: str | None  # None: the deployment's REPORTING_SCHEDULE
    escalation: str | None  # None: the deployment's delays
    members: tuple[Member, ...]  # focal points in rank order (lead first)

    @property
    def lead_today(self) -> Member | None:
        return next((m for m in self.members if m.available), None)

    @property
    def no_substitute(self) -> bool:
        return sum(1 for m in self.members if m.available) < 2


@dataclass(frozen=True)
class RosterView:
    institutions: list[InstitutionEntry]
    total: int
    page: int
    per_page: int
    secretariat: list[Member]
    observers: list[Member]
    regions: list[str]

    @property
    def more(self) -> bool:
        return self.page * self.per_page < self.total


class FilterError(ValueError):
    """A filter value that means nothing (shown on a 400 page)."""


def roster(
    session: Session,
    *,
    day: date,
    institution: str = "",
    level: str = "",
    region: str = "",
    person_id: int | None = None,
    page: int = 1,
    addresses: bool = False,
    configured: set[str] | None = None,
) -> RosterView:
    """One page of institutions (50), filtered by short name, level, region or a person in them;
    and the secretariat and observers under the same filters."""
    if level and level not in LEVELS:
        raise FilterError(f"level must be one of {', '.join(LEVELS)}")
    page = max(1, page)
    filters = []
    if institution:
        filters.append(func.lower(Institution.short_name) == institution.strip().lower())
    if level:
        filters.append(Institution.level == level)
    if region:
        filters.append(Institution.region == region)
    if person_id is not None:
        filters.append(Institution.id.in_(select(FocalPoint.institution_id).where(FocalPoint.person_id == person_id)))
    # An institution whose people are all secretariat or observers is not one that reports.
    reports = or_(
        ~select(FocalPoint.id).where(FocalPoint.institution_id == Institution.id).exists(),
        select(FocalPoint.id)
        .join(Person, Person.id == FocalPoint.person_id)
        .where(FocalPoint.institution_id == Institution.id, Person.role == "focal_point")
        .exists(),
    )
    query = select(Institution).where(reports, *filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    institutions = list(
        session.scalars(query.order_by(Institution.short_name).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    )
    assignments = _assignments(session, [i.id for i in institutions], role="focal_point")
    others = {
        role: list(
            session.scalars(
                select(FocalPoint)
                .join(Person, Person.id == FocalPoint.person_id)
                .join(Institution, Institution.id == FocalPoint.institution_id)
                .where(Person.role == role, *filters, *([Person.id == person_id] if person_id is not None else []))
                .options(joinedload(FocalPoint.person), joinedload(FocalPoint.institution))
                .order_by(Person.name, Institution.short_name)
                .limit(SECTION_LIMIT)
            )
        )
        for role in ("secretariat", "observer")
    }
    everyone = [fp.person for fps in assignments.values() for fp in fps] + [
        fp.person for fps in others.values() for fp in fps
    ]
    people = _PeopleFacts(session, everyone, show=addresses, configured=configured)
    short = {i.id: i.short_name for i in institutions}
    entries = [
        InstitutionEntry(
            id=i.id,
            short_name=i.short_name,
            name=i.name,
            level=i.level,
            region=i.region,
            schedule=i.schedule,
            escalation=i.escalation,
            members=tuple(people.member(fp, short[i.id], day) for fp in assignments.get(i.id, [])),
        )
        for i in institutions
    ]
    regions = [
        r for r in session.scalars(select(Institution.region).where(Institution.region.is_not(None)).distinct()) if r
    ]
    return RosterView(
        institutions=entries,
        total=total,
        page=page,
        per_page=PER_PAGE,
        secretariat=[people.member(fp, fp.institution.short_name, day) for fp in others["secretariat"]],
        observers=[people.member(fp, fp.institution.short_name, day) for fp in others["observer"]],
        regions=sorted(regions),
    )


def _assignments(session: Session, institution_ids: list[int], *, role: str) -> dict[int, list[FocalPoint]]:
    found: dict[int, list[FocalPoint]] = {}
    if not institution_ids:
        return found
    for fp in session.scalars(
        select(FocalPoint)
        .join(Person, Person.id == FocalPoint.person_id)
        .where(FocalPoint.institution_id.in_(institution_ids), Person.role == role)
        .options(joinedload(FocalPoint.person))
        .order_by(FocalPoint.institution_id, FocalPoint.rank, Person.name)
    ):
        found.setdefault(fp.institution_id, []).append(fp)
    return found


class _PeopleFacts:
    """What the store knows of a set of people, in three queries: when each last wrote, and the
    state of each of their addresses."""

    def __init__(self, session: Session, everyone: Iterable[Person], *, show: bool, configured: set[str] | None):
        people = {p.id: p for p in everyone}
        self.show, self.configured = show, configured
        self.last: dict[int, datetime] = {}
        self.states: dict[tuple[str, str], AddressState] = {}
        if not people:
            return
        self.last = {
            pid: at
            for pid, at in session.execute(
                select(InboxMessage.person_id, func.max(InboxMessage.received_at))
                .where(InboxMessage.person_id.in_(list(people)), ~InboxMessage.kind.startswith("event:"))
                .group_by(InboxMessage.person_id)
            )
            if pid is not None
        }
        wanted = {a for p in people.values() for c in p.channel_list if (a := address_of(p, c))}
        if wanted:
            for state in session.scalars(select(AddressState).where(AddressState.address.in_(sorted(wanted)))):
                self.states[(state.channel, state.address)] = state

    def channels(self, person: Person) -> tuple[ChannelState, ...]:
        found = []
        for channel in person.channel_list:
            address = address_of(person, channel)
            if address is None:
                problem: str | None = "Telegram not linked yet" if channel == "telegram" else "no phone number"
            elif self.configured is not None and channel not in self.configured:
                problem = "not configured on this server"
            else:
                state = self.states.get((channel, address))
                problem = address_states.why_not(state)
                if state is not None and problem and state.opted_out_at is not None:
                    problem = f"opted out on {aware(state.opted_out_at):%Y-%m-%d}"
            found.append(ChannelState(channel, mask(address, self.show), problem))
        return tuple(found)

    def member(self, fp: FocalPoint, institution: str, day: date) -> Member:
        person = fp.person
        in_post = None
        if fp.active_from is not None and fp.active_from > day:
            in_post = f"from {fp.active_from.isoformat()}"
        elif fp.active_to is not None and fp.active_to < day:
            in_post = f"left on {fp.active_to.isoformat()}"
        away = person.away_until if person.away_until is not None and person.away_until >= day else None
        return Member(
            person_id=person.id,
            name=person.name,
            role=person.role,
            rank=fp.rank,
            title=fp.title,
            institution=institution,
            phone=mask(person.phone, self.show),
            telegram=mask(str(person.telegram_user_id) if person.telegram_user_id else None, self.show),
            channels=self.channels(person),
            language=person.language,
            timezone=person.timezone,
            last_reply=aware(self.last.get(person.id)),
            away_until=away,
            active=person.active,
            in_post=in_post,
            available=available(fp, day),
        )


# The roster as the importer reads it -------------------------------------------------------

EXPORT_COLUMNS = (
    "institution",
    "institution_name",
    "level",
    "region",
    "name",
    "phone",
    "telegram_user_id",
    "channels",
    "language",
    "timezone",
    "rank",
    "title",
    "active_from",
    "active_to",
    "schedule",
    "escalation",
    "role",
)
ADDRESS_COLUMNS = ("phone", "telegram_user_id")


@dataclass(frozen=True)
class ExportRow:
    values: dict[str, str]  # column -> cell, for every column of EXPORT_COLUMNS


def export_rows(session: Session) -> list[ExportRow]:
    """One row per assignment of an active person with a phone number (what `nmirf import
    roster` accepts back: it matches people on their phone), in the importer's columns. The
    caller leaves out ADDRESS_COLUMNS for a viewer."""
    rows = []
    for fp in session.scalars(
        select(FocalPoint)
        .join(Person, Person.id == FocalPoint.person_id)
        .join(Institution, Institution.id == FocalPoint.institution_id)
        .where(Person.active.is_(True), Person.phone.is_not(None))
        .options(joinedload(FocalPoint.person), joinedload(FocalPoint.institution))
        .order_by(Institution.short_name, FocalPoint.rank, Person.name)
    ):
        p, i = fp.person, fp.institution
        rows.append(
            ExportRow(
                {
                    "institution": i.short_name,
                    "institution_name": i.name,
                    "level": i.level,
                    "region": i.region or "",
                    "name": p.name,
                    "phone": p.phone or "",
                    "telegram_user_id": str(p.telegram_user_id) if p.telegram_user_id else "",
                    "channels": ";".join(p.channel_list),
                    "language": p.language,
                    "timezone": p.timezone,
                    "rank": str(fp.rank),
                    "title": fp.title or "",
                    "active_from": fp.active_from.isoformat() if fp.active_from else "",
                    "active_to": fp.active_to.isoformat() if fp.active_to else "",
                    "schedule": i.schedule or "",
                    "escalation": i.escalation or "",
                    "role": p.role,
                }
            )
        )
    return rows
