"""Meetings: creating one, inviting each institution's focal point, recording answers, and
inviting the substitute when the invitee sends them instead."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.catalog.models import Cluster
from backend.config import Settings
from backend.db import aware
from backend.meetings.models import Invitation, Meeting
from backend.outbox.models import OutboxMessage
from backend.outbox.start import start_message
from backend.roster import service as roster
from backend.roster.models import FocalPoint, Institution, Person
from conversations.attendance import invitation_text
from conversations.views import CHAT, InvitationView, PersonView


class MeetingError(ValueError):
    """A meeting that cannot be created or sent as asked; the message says what to change."""


def create(
    session: Session,
    *,
    title: str,
    starts_at: datetime,
    place: str,
    now: datetime,
    agenda: str | None = None,
    cluster: str | None = None,
) -> Meeting:
    if starts_at.tzinfo is None:
        raise MeetingError("the start time needs a time zone")
    if starts_at <= now:
        raise MeetingError(f"the meeting starts in the past ({starts_at:%Y-%m-%d %H:%M %Z}); give a future time")
    if not title.strip() or not place.strip():
        raise MeetingError("a meeting needs a title and a place")
    cluster_id = None
    if cluster:
        cluster_id = session.scalar(select(Cluster.id).where(Cluster.code == cluster))
        if cluster_id is None:
            raise MeetingError(f'no cluster "{cluster}"; import it with the recommendations first')
    meeting = Meeting(
        title=title.strip()[:200],
        starts_at=starts_at.astimezone(UTC),
        place=place.strip()[:200],
        agenda=agenda,
        cluster_id=cluster_id,
        created_at=now,
    )
    session.add(meeting)
    session.flush()
    return meeting


def meeting_day(meeting: Meeting, person: Person):
    return aware(meeting.starts_at).astimezone(ZoneInfo(person.timezone)).date()


def _available_after(session: Session, *, meeting: Meeting, institution_id: int, rank: int) -> Person | None:
    """The next focal point after `rank` who is in post and not away on the meeting's day, and not
    invited to it already."""
    invited = set(session.scalars(select(Invitation.person_id).where(Invitation.meeting_id == meeting.id)))
    for fp in session.scalars(
        select(FocalPoint)
        .where(FocalPoint.institution_id == institution_id, FocalPoint.rank > rank)
        .order_by(FocalPoint.rank)
    ):
        if fp.person_id not in invited and roster.available(fp, meeting_day(meeting, fp.person)):
            return fp.person
    return None


def substitute_for(session: Session, invitation: Invitation) -> Person | None:
    rank = session.scalar(
        select(FocalPoint.rank).where(
            FocalPoint.institution_id == invitation.institution_id, FocalPoint.person_id == invitation.person_id
        )
    )
    return _available_after(
        session,
        meeting=invitation.meeting,
        institution_id=invitation.institution_id,
        rank=rank if rank is not None else 0,
    )


def invite(
    session: Session,
    *,
    meeting: Meeting,
    institutions: list[Institution],
    now: datetime,
    settings: Settings,
    configured: set[str],
) -> dict:
    """Invite each institution's focal point for the meeting's day (the lead, or the substitute
    covering for them). Inviting again sends nothing twice. Returns what was queued and skipped."""
    report: dict = {"queued": [], "skipped": []}
    for institution in institutions:
        person = _available_after(session, meeting=meeting, institution_id=institution.id, rank=0)
        already = session.scalar(
            select(Invitation).where(
                Invitation.meeting_id == meeting.id,
                Invitation.institution_id == institution.id,
                Invitation.delegated_from.is_(None),
            )
        )
        if already is not None:
            report["skipped"].append((institution.short_name, f"{already.person.name} is invited already"))
            continue
        if person is None:
            report["skipped"].append((institution.short_name, "no focal point available on the meeting's day"))
            continue
        invitation = Invitation(
            meeting_id=meeting.id, person_id=person.id, institution_id=institution.id, status="pending", created_at=now
        )
        session.add(invitation)
        session.flush()
        row, why = send(session, invitation=invitation, now=now, settings=settings, configured=configured)
        if row is None:  # not invited until they can be reached: inviting again will try again
            session.delete(invitation)
            session.flush()
            report["skipped"].append((institution.short_name, f"{person.name}: {why}"))
        else:
            report["queued"].append(row)
    return report


def send(
    session: Session, *, invitation: Invitation, now: datetime, settings: Settings, configured: set[str]
) -> tuple[OutboxMessage | None, str]:
    """Queue the invitation message on the invitee's first usable channel."""
    person = invitation.person
    view = PersonView(
        id=person.id,
        name=person.name,
        language=person.language,
        timezone=person.timezone,
        fallback_language=settings.default_language,
        mechanism=settings.mechanism_name,
    )
    about = _view(invitation, substitute=None)
    return start_message(
        session,
        person=person,
        kind="invitation",
        text=invitation_text(replace(view, medium=CHAT), about),
        sms_text=invitation_text(view, about),
        key=f"invitation:{invitation.id}",
        now=now,
        settings=settings,
        configured=configured,
    )


def _view(invitation: Invitation, substitute: Person | None) -> InvitationView:
    meeting = invitation.meeting
    origin = invitation.origin
    return InvitationView(
        meeting_id=meeting.id,
        title=meeting.title,
        starts_at=aware(meeting.starts_at),
        place=meeting.place,
        status=invitation.status,
        substitute=substitute.name if substitute else None,
        sent_by=origin.person.name if origin else None,
    )


def open_invitations(session: Session, *, person_id: int, now: datetime) -> tuple[InvitationView, ...]:
    """This person's invitations to meetings not started yet, not handed to a substitute."""
    rows = session.scalars(
        select(Invitation)
        .join(Meeting)
        .where(Invitation.person_id == person_id, Invitation.status != "delegated", Meeting.starts_at > now)
        .order_by(Meeting.starts_at)
    ).all()
    return tuple(_view(i, substitute_for(session, i)) for i in rows)


def answer(
    session: Session,
    *,
    person_id: int,
    meeting_id: int,
    answer: str,
    now: datetime,
    settings: Settings,
    configured: set[str],
) -> OutboxMessage | None:
    """Record an answer; for "delegated", invite the substitute. Returns the substitute's invitation
    message when one was queued."""
    invitation = session.scalar(
        select(Invitation).where(Invitation.meeting_id == meeting_id, Invitation.person_id == person_id)
    )
    if invitation is None:
        return None
    if answer != "delegated":
        invitation.status, invitation.answered_at = answer, now
        return None
    substitute = substitute_for(session, invitation)
    if substitute is None:  # nobody left since the answer was read: the engine said who would go
        return None
    invitation.status, invitation.answered_at = "delegated", now
    handed = Invitation(
        meeting_id=meeting_id,
        person_id=substitute.id,
        institution_id=invitation.institution_id,
        status="pending",
        delegated_from=invitation.id,
        created_at=now,
    )
    session.add(handed)
    session.flush()
    row, _why = send(session, invitation=handed, now=now, settings=settings, configured=configured)
    return row


def attendance(session: Session, *, meeting_id: int) -> list[Invitation]:
    return list(
        session.scalars(
            select(Invitation)
            .where(Invitation.meeting_id == meeting_id)
            .order_by(Invitation.institution_id, Invitation.id)
        )
    )
