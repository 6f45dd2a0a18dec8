"""Handing a meeting invitation to a substitute (SUB, no answer by the deadline, away on the
meeting's day), modelled on the reporting rounds' escalation (backend/schedule/policy.py): the
next focal points by rank are tried in order; one who is away on the meeting's day, or cannot be
reached on any channel (opted out, unreachable, no usable channel), is skipped and the skip is a
row (`invitation_step`: who, when, why) — no invitation is made that nothing would carry. When
nobody is left, the secretariat is alerted (once per invitation), and that is a row too."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db import aware
from backend.meetings.models import Invitation, InvitationStep, Meeting
from backend.meetings.notices import person_view, send, view_of
from backend.outbox import routing
from backend.outbox.models import OutboxMessage
from backend.outbox.start import start_message
from backend.roster.models import FocalPoint, Person
from conversations import meetings as texts
from conversations.views import CHAT


def meeting_day(meeting: Meeting, person: Person) -> date:
    return aware(meeting.starts_at).astimezone(ZoneInfo(person.timezone)).date()


def candidates(
    session: Session,
    *,
    meeting: Meeting,
    institution_id: int,
    rank: int,
    now: datetime | None = None,
    settings: Settings | None = None,
    configured: set[str] | None = None,
) -> Iterator[tuple[Person, str | None]]:
    """The focal points after `rank`, in order, in post on the meeting's day and not invited to it
    already (secretariat and observers in an institution's roster are not its focal points), each
    with why they cannot go in the invitee's place (None: they can): away on the meeting's day;
    with `settings`, also when no channel can reach them."""
    invited = set(session.scalars(select(Invitation.person_id).where(Invitation.meeting_id == meeting.id)))
    for fp in session.scalars(
        select(FocalPoint)
        .where(FocalPoint.institution_id == institution_id, FocalPoint.rank > rank)
        .order_by(FocalPoint.rank)
    ):
        person = fp.person
        day = meeting_day(meeting, person)
        if person.id in invited or person.role != "focal_point" or not person.active or not fp.active_on(day):
            continue
        if person.away_until is not None and person.away_until >= day:
            yield person, f"away until {person.away_until.isoformat()}"
            continue
        if settings is not None and now is not None:
            routes, reasons = routing.plan(
                session,
                person=person,
                kind="invitation",
                text="",
                now=now,
                settings=settings,
                configured=configured or set(),
            )
            if not routes:
                yield person, "cannot be reached: " + ("; ".join(reasons) or "no channel in the roster")
                continue
        yield person, None


def _rank(session: Session, invitation: Invitation) -> int:
    rank = session.scalar(
        select(FocalPoint.rank).where(
            FocalPoint.institution_id == invitation.institution_id, FocalPoint.person_id == invitation.person_id
        )
    )
    return rank if rank is not None else 0


def substitute_for(
    session: Session,
    invitation: Invitation,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
    configured: set[str] | None = None,
) -> Person | None:
    """Who would go in this invitee's place (SUB); an observer has no substitute. With `settings`,
    only someone a channel can reach."""
    if invitation.observer:
        return None
    for person, skip in candidates(
        session,
        meeting=invitation.meeting,
        institution_id=invitation.institution_id,
        rank=_rank(session, invitation),
        now=now,
        settings=settings,
        configured=configured,
    ):
        if skip is None:
            return person
    return None


@dataclass
class Handed:
    """What a hand-over did: the substitute's invitation and its message (None: nobody could go),
    and the alerts queued to the secretariat when nobody was left. Enqueue the rows after commit."""

    invitation: Invitation | None = None
    row: OutboxMessage | None = None
    alerts: list[OutboxMessage] = field(default_factory=list)


def hand_over(
    session: Session, *, invitation: Invitation, reason: str, now: datetime, settings: Settings, configured: set[str]
) -> Handed:
    """Invite the next substitute who can go, in this invitee's place: `reason` is delegated (SUB),
    no_reply (no answer by the deadline) or away (away on the meeting's day). Each one skipped is
    recorded; when nobody is left the invitation stays with the invitee and the secretariat is told."""
    done = Handed()
    if invitation.observer:
        return done
    for person, skip in candidates(
        session,
        meeting=invitation.meeting,
        institution_id=invitation.institution_id,
        rank=_rank(session, invitation),
        now=now,
        settings=settings,
        configured=configured,
    ):
        if skip is not None:
            _log(session, invitation, "skipped", now, person.id, skip)
            continue
        handed = Invitation(
            meeting_id=invitation.meeting_id,
            person_id=person.id,
            institution_id=invitation.institution_id,
            status="pending",
            delegated_from=invitation.id,
            created_at=now,
            next_at=now,
        )
        session.add(handed)
        was = invitation.status, invitation.next_at, invitation.answered_at
        invitation.status, invitation.next_at = reason, None  # before the message: it says whom they replace
        if reason == "delegated":
            invitation.answered_at = now
        session.flush()
        row, why = send(session, invitation=handed, now=now, settings=settings, configured=configured)
        if row is None:  # the route was checked just now; a message already queued under its key
            invitation.status, invitation.next_at, invitation.answered_at = was
            session.delete(handed)
            session.flush()
            _log(session, invitation, "skipped", now, person.id, why)
            continue
        done.invitation, done.row = handed, row
        return done
    done.alerts = _alert(session, invitation, reason, now, settings, configured)
    return done


def _alert(
    session: Session, invitation: Invitation, reason: str, now: datetime, settings: Settings, configured: set[str]
) -> list[OutboxMessage]:
    """Nobody can go in the invitee's place: each of the secretariat is told, once per invitation."""
    queued = []
    about = view_of(invitation, None)
    names = dict(institution=invitation.institution.short_name, name=invitation.person.name)
    for person in session.scalars(
        select(Person).where(Person.role == "secretariat", Person.active.is_(True)).order_by(Person.id)
    ):
        view = person_view(person, settings)
        row, why = start_message(
            session,
            person=person,
            kind="alert",
            text=texts.nobody_to_send(replace(view, medium=CHAT), about, **names),
            sms_text=texts.nobody_to_send(view, about, **names),
            key=f"invitation:{invitation.id}:nobody_left:{person.id}",
            now=now,
            settings=settings,
            configured=configured,
        )
        if row is not None:
            queued.append(row)
            _log(session, invitation, "alert", now, person.id, f"{reason}: nobody left to invite")
        elif why != "already sent":
            _log(session, invitation, "alert_failed", now, person.id, why)
    return queued


def _log(session: Session, invitation: Invitation, what: str, now: datetime, person_id: int, reason: str) -> None:
    """A step of the hand-over, recorded once (a pass that looks again records nothing new)."""
    seen = session.scalar(
        select(InvitationStep.id).where(
            InvitationStep.invitation_id == invitation.id,
            InvitationStep.person_id == person_id,
            InvitationStep.what == what,
            InvitationStep.reason == reason,
        )
    )
    if seen is None:
        session.add(InvitationStep(invitation_id=invitation.id, at=now, what=what, person_id=person_id, reason=reason))


def steps(session: Session, *, meeting_id: int) -> list[InvitationStep]:
    """The hand-over steps of a meeting's invitations, in order (nmirf meetings show)."""
    return list(
        session.scalars(
            select(InvitationStep)
            .join(Invitation, Invitation.id == InvitationStep.invitation_id)
            .where(Invitation.meeting_id == meeting_id)
            .order_by(InvitationStep.id)
        )
    )
