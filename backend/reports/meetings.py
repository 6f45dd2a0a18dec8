"""The read side of the meetings pages and the attendance export: meetings with their answers,
one meeting's invitees and observers, who covered for whom, the messages sent about it, and the
choices its forms offer. Addresses (phones, chat ids) only when `addresses` is true."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from backend.catalog.models import Cluster
from backend.db import aware
from backend.meetings.models import CANCELLED, CURRENT, HANDED, Invitation, InvitationStep, Meeting
from backend.outbox.models import OutboxMessage
from backend.roster.models import Person

PER_PAGE = 50
HIDDEN = "hidden"
# What each invitation status means on the pages: the answer, and how an invitation was handed over.
ANSWER = {
    "pending": "no reply",
    "confirmed": "confirmed",
    "declined": "declined",
    "delegated": "substitute",
    "no_reply": "substitute",
    "away": "substitute",
}
HANDED_HOW = {
    "delegated": "sent their substitute",
    "no_reply": "no answer by the deadline",
    "away": "away on the meeting's day",
}
KINDS = {
    "invitation": "invitation",
    "meeting_follow_up": "follow-up",
    "meeting_reminder": "reminder",
    "meeting_change": "change notice",
    "meeting_cancelled": "cancellation notice",
    "alert": "alert to the secretariat",
}


@dataclass(frozen=True)
class Counts:
    confirmed: int = 0
    declined: int = 0
    substitute: int = 0  # handed to a substitute (SUB, no answer by the deadline, away)
    no_reply: int = 0


@dataclass(frozen=True)
class MeetingRow:
    id: int
    title: str
    committee: str | None
    cluster: str | None
    starts: str  # in the meeting's own time zone
    place: str
    status: str
    counts: Counts


@dataclass(frozen=True)
class MeetingPage:
    rows: list[MeetingRow]
    page: int
    more: bool


@dataclass(frozen=True)
class Sent:
    """One message about an invitation, from the outbox."""

    kind: str
    person: str
    at: datetime
    status: str  # queued, sending, sent, delivered, failed
    channel: str
    address: str
    error: str | None


@dataclass(frozen=True)
class Invitee:
    id: int
    institution: str
    person: str
    role: str  # invitee, observer, substitute
    status: str
    answer: str  # confirmed, declined, substitute, no reply
    how: str | None  # how it was handed over, or why this one holds it
    answered_at: datetime | None
    covers_for: str | None  # a substitute: whose invitation this was
    covered_by: str | None  # a handed-over invitation: who holds it now
    message: Sent | None  # the invitation message itself
    followed_up_at: datetime | None
    reminded_at: datetime | None


@dataclass(frozen=True)
class Step:
    at: datetime
    what: str  # skipped, alert, alert_failed
    invitee: str
    person: str | None
    reason: str | None


@dataclass(frozen=True)
class MeetingDetail:
    id: int
    title: str
    committee: str | None
    cluster: str | None
    starts: str
    starts_utc: datetime
    timezone: str
    place: str
    link: bool  # the place is a web link
    agenda: tuple[str, ...]
    status: str
    open: bool  # not cancelled and not started: it may still be changed or cancelled
    created_at: datetime
    changed_at: datetime | None
    cancelled_at: datetime | None
    counts: Counts
    invitees: tuple[Invitee, ...]
    observers: tuple[Invitee, ...]
    messages: tuple[Sent, ...]
    more_messages: int
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class AttendanceRow:
    meeting_id: int
    meeting: str
    starts: str
    institution: str
    person: str
    role: str
    answer: str
    answered_at: datetime | None
    phone: str


def local(moment: datetime, zone: str) -> str:
    return f"{aware(moment).astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


def _counts(session: Session, meeting_ids: Iterable[int]) -> dict[int, Counts]:
    found: dict[int, dict[str, int]] = {}
    ids = list(meeting_ids)
    if ids:
        for meeting_id, status, n in session.execute(
            select(Invitation.meeting_id, Invitation.status, func.count())
            .where(Invitation.meeting_id.in_(ids))
            .group_by(Invitation.meeting_id, Invitation.status)
        ):
            found.setdefault(meeting_id, {})[status] = n
    out = {}
    for meeting_id in ids:
        c = found.get(meeting_id, {})
        out[meeting_id] = Counts(
            confirmed=c.get("confirmed", 0),
            declined=c.get("declined", 0),
            substitute=sum(c.get(s, 0) for s in HANDED),
            no_reply=c.get("pending", 0),
        )
    return out


def _clusters(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {i: code for i, code in session.execute(select(Cluster.id, Cluster.code).where(Cluster.id.in_(wanted)))}


def meetings(session: Session, *, now: datetime, when: str = "upcoming", page: int = 1) -> MeetingPage:
    """Meetings not started yet (soonest first) or `past` ones (latest first), PER_PAGE a page."""
    query = select(Meeting)
    if when == "past":
        query = query.where(Meeting.starts_at <= now).order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    else:
        query = query.where(Meeting.starts_at > now).order_by(Meeting.starts_at, Meeting.id)
    found = list(session.scalars(query.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)))
    shown = found[:PER_PAGE]
    counts = _counts(session, (m.id for m in shown))
    clusters = _clusters(session, (m.cluster_id for m in shown))
    rows = [
        MeetingRow(
            id=m.id,
            title=m.title,
            committee=m.committee,
            cluster=clusters.get(m.cluster_id) if m.cluster_id else None,
            starts=local(m.starts_at, m.timezone),
            place=m.place,
            status=m.status,
            counts=counts[m.id],
        )
        for m in shown
    ]
    return MeetingPage(rows=rows, page=page, more=len(found) > PER_PAGE)


def _sent(row: OutboxMessage, person: str, addresses: bool) -> Sent:
    return Sent(
        kind=KINDS.get(row.kind, row.kind),
        person=person,
        at=aware(row.sent_at or row.created_at),
        status=row.status,
        channel=row.channel,
        address=row.address if addresses else HIDDEN,
        error=row.error if row.status == "failed" else None,
    )


def _invitation_of(key: str) -> int | None:
    """The invitation a message's key names ("invitation:12", "invitation:12:follow_up", ...)."""
    parts = key.split(":")
    return int(parts[1]) if len(parts) > 1 and parts[0] == "invitation" and parts[1].isdigit() else None


def meeting(
    session: Session, *, meeting_id: int, now: datetime, addresses: bool, messages_max: int = 500
) -> MeetingDetail | None:
    """One meeting as its page shows it; None when there is no such meeting."""
    m = session.get(Meeting, meeting_id)
    if m is None:
        return None
    invitations = list(
        session.scalars(
            select(Invitation)
            .options(selectinload(Invitation.person), selectinload(Invitation.institution))
            .where(Invitation.meeting_id == m.id)
            .order_by(Invitation.observer, Invitation.id)
        )
    )
    by_id = {i.id: i for i in invitations}
    holder = {i.delegated_from: i for i in invitations if i.delegated_from is not None}
    names = {i.person_id: i.person.name for i in invitations}
    first = {f"invitation:{i.id}": i.id for i in invitations}
    own: dict[int, OutboxMessage] = {}
    if first:
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.key.in_(list(first)))):
            own[first[row.key]] = row
    steps = list(
        session.scalars(
            select(InvitationStep)
            .join(Invitation, Invitation.id == InvitationStep.invitation_id)
            .where(Invitation.meeting_id == m.id)
            .order_by(InvitationStep.id)
        )
    )
    alerted = {s.person_id for s in steps if s.what == "alert" and s.person_id is not None}
    people = set(names) | alerted
    step_names = {s.person_id for s in steps if s.person_id is not None} - set(names)
    if step_names:
        names |= {i: n for i, n in session.execute(select(Person.id, Person.name).where(Person.id.in_(step_names)))}
    others: list[OutboxMessage] = []
    if people:
        for row in session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.person_id.in_(people),
                OutboxMessage.kind.in_([k for k in KINDS if k != "invitation"]),
            )
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        ):
            if _invitation_of(row.key) in by_id:
                others.append(row)

    def invitee(i: Invitation) -> Invitee:
        origin = by_id.get(i.delegated_from) if i.delegated_from else None
        now_holds = holder.get(i.id)
        return Invitee(
            id=i.id,
            institution=i.institution.short_name,
            person=i.person.name,
            role="observer" if i.observer else "substitute" if origin is not None else "invitee",
            status=i.status,
            answer=ANSWER.get(i.status, i.status),
            how=HANDED_HOW.get(i.status) or (HANDED_HOW.get(origin.status) if origin is not None else None),
            answered_at=aware(i.answered_at),
            covers_for=origin.person.name if origin is not None else None,
            covered_by=now_holds.person.name if now_holds is not None else None,
            message=_sent(own[i.id], i.person.name, addresses) if i.id in own else None,
            followed_up_at=aware(i.followed_up_at),
            reminded_at=aware(i.reminded_at),
        )

    rows = [invitee(i) for i in invitations]
    cluster = session.get(Cluster, m.cluster_id) if m.cluster_id else None
    starts = aware(m.starts_at)
    return MeetingDetail(
        id=m.id,
        title=m.title,
        committee=m.committee,
        cluster=f"{cluster.code}: {cluster.name}" if cluster else None,
        starts=local(starts, m.timezone),
        starts_utc=starts,
        timezone=m.timezone,
        place=m.place,
        link=m.place.startswith(("https://", "http://")) and " " not in m.place,
        agenda=tuple(m.agenda_items or ()),
        status=m.status,
        open=m.status != CANCELLED and starts > now,
        created_at=aware(m.created_at),
        changed_at=aware(m.changed_at),
        cancelled_at=aware(m.cancelled_at),
        counts=_counts(session, [m.id])[m.id],
        invitees=tuple(r for r in rows if r.role != "observer"),
        observers=tuple(r for r in rows if r.role == "observer"),
        messages=tuple(_sent(r, names.get(r.person_id or 0, "?"), addresses) for r in others[-messages_max:]),
        more_messages=max(0, len(others) - messages_max),
        steps=tuple(
            Step(
                at=aware(s.at),
                what=s.what,
                invitee=by_id[s.invitation_id].person.name,
                person=names.get(s.person_id) if s.person_id else None,
                reason=s.reason,
            )
            for s in steps
        ),
    )


def attendance(session: Session, *, meeting_id: int | None = None, addresses: bool) -> list[AttendanceRow]:
    """One row per invitation (of one meeting, or of all, latest meeting first)."""
    query = (
        select(Invitation, Meeting)
        .options(selectinload(Invitation.person), selectinload(Invitation.institution))
        .join(Meeting, Meeting.id == Invitation.meeting_id)
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc(), Invitation.observer, Invitation.id)
    )
    if meeting_id is not None:
        query = query.where(Meeting.id == meeting_id)
    rows = []
    for i, m in session.execute(query):
        role = "observer" if i.observer else "substitute" if i.delegated_from is not None else "invitee"
        answer = ANSWER.get(i.status, i.status)
        if m.status == CANCELLED and i.status in CURRENT:
            answer += " (meeting cancelled)"
        rows.append(
            AttendanceRow(
                meeting_id=m.id,
                meeting=m.title,
                starts=local(m.starts_at, m.timezone),
                institution=i.institution.short_name,
                person=i.person.name,
                role=role,
                answer=answer,
                answered_at=aware(i.answered_at),
                phone=(i.person.phone or "") if addresses else HIDDEN,
            )
        )
    return rows


def exists(session: Session, *, meeting_id: int) -> bool:
    return session.scalar(select(Meeting.id).where(Meeting.id == meeting_id)) is not None
