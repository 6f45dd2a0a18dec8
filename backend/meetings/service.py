"""Meetings: creating, changing and cancelling one, inviting each institution's focal point and
the observers, recording answers, and handing an invitation to the substitute (SUB, no answer by
the deadline, away on the meeting's day). The CLI and the admin pages call these functions; the
timing (follow-up, hand-over at the deadline, reminders) is the scheduler's
(backend/schedule/meetings.py): whatever changes an invitation sets its `next_at` to now, and the
scheduler's next pass works out what is due and when."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.catalog.models import Cluster
from backend.config import Settings
from backend.db import aware
from backend.meetings import fields
from backend.meetings.fields import MeetingError
from backend.meetings.handover import candidates, hand_over, substitute_for
from backend.meetings.models import CANCELLED, CURRENT, HANDED, SCHEDULED, Invitation, Meeting
from backend.meetings.notices import notify, send, view_of
from backend.outbox.models import OutboxMessage
from backend.roster.models import FocalPoint, Institution, Person
from conversations import meetings as texts
from conversations.views import InvitationView


def create(
    session: Session,
    *,
    title: str,
    starts_at: datetime,
    place: str,
    now: datetime,
    agenda: Iterable[str] = (),
    cluster: str | None = None,
    committee: str | None = None,
    timezone: str | None = None,
) -> Meeting:
    """A meeting of the mechanism, or of one of its committees, possibly on one cluster. `place`:
    a venue or a link; `timezone`: the zone its time was given in (default: that of `starts_at`)."""
    if not title.strip() or not place.strip():
        raise MeetingError("a meeting needs a title and a place")
    starts = fields.starts(starts_at, now)
    cluster_id = None
    if cluster:
        cluster_id = session.scalar(select(Cluster.id).where(Cluster.code == cluster))
        if cluster_id is None:
            raise MeetingError(f'no cluster "{cluster}"; import it with the recommendations first')
    meeting = Meeting(
        title=fields.text(title, "title"),
        committee=" ".join(committee.split())[:200] if committee and committee.strip() else None,
        starts_at=starts,
        timezone=fields.zone(timezone or getattr(starts_at.tzinfo, "key", None) or "UTC"),
        place=fields.text(place, "place"),
        agenda_items=fields.agenda_items(agenda),
        cluster_id=cluster_id,
        status=SCHEDULED,
        revision=0,
        created_at=now,
    )
    session.add(meeting)
    session.flush()
    return meeting


def _available_after(session: Session, *, meeting: Meeting, institution_id: int, rank: int) -> Person | None:
    """The next focal point after `rank` who is in post and not away on the meeting's day, and not
    invited to it already."""
    for person, skip in candidates(session, meeting=meeting, institution_id=institution_id, rank=rank):
        if skip is None:
            return person
    return None


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
        already = session.scalar(
            select(Invitation).where(
                Invitation.meeting_id == meeting.id,
                Invitation.institution_id == institution.id,
                Invitation.delegated_from.is_(None),
                Invitation.observer.is_(False),
            )
        )
        if already is not None:
            report["skipped"].append((institution.short_name, f"{already.person.name} is invited already"))
            continue
        person = _available_after(session, meeting=meeting, institution_id=institution.id, rank=0)
        if person is None:
            report["skipped"].append((institution.short_name, "no focal point available on the meeting's day"))
            continue
        _invite_one(session, meeting, person, institution.id, False, now, settings, configured, report)
    return report


def invite_observers(
    session: Session, *, meeting: Meeting, people: list[Person], now: datetime, settings: Settings, configured: set[str]
) -> dict:
    """Invite these observers (role observer in the roster): they answer like anyone, without a
    substitute. Inviting again sends nothing twice."""
    report: dict = {"queued": [], "skipped": []}
    invited = set(session.scalars(select(Invitation.person_id).where(Invitation.meeting_id == meeting.id)))
    for person in people:
        institution_id = session.scalar(
            select(FocalPoint.institution_id)
            .where(FocalPoint.person_id == person.id)
            .order_by(FocalPoint.rank)
            .limit(1)
        )
        if person.id in invited:
            report["skipped"].append((person.name, "invited already"))
        elif not person.active or institution_id is None:
            report["skipped"].append((person.name, "not in the roster any more"))
        else:
            _invite_one(session, meeting, person, institution_id, True, now, settings, configured, report)
    return report


def _invite_one(session, meeting, person, institution_id, observer, now, settings, configured, report) -> None:
    invitation = Invitation(
        meeting_id=meeting.id,
        person_id=person.id,
        institution_id=institution_id,
        observer=observer,
        status="pending",
        created_at=now,
        next_at=now,  # the scheduler times its follow-up
    )
    session.add(invitation)
    session.flush()
    row, why = send(session, invitation=invitation, now=now, settings=settings, configured=configured)
    if row is None:  # not invited until they can be reached: inviting again will try again
        session.delete(invitation)
        session.flush()
        name = person.name if observer else session.get_one(Institution, institution_id).short_name
        report["skipped"].append((name, f"{person.name}: {why}" if not observer else why))
    else:
        report["queued"].append(row)


def open_invitations(session: Session, *, person_id: int, now: datetime) -> tuple[InvitationView, ...]:
    """This person's invitations to meetings not started yet nor cancelled, not handed to a substitute."""
    rows = session.scalars(
        select(Invitation)
        .join(Meeting)
        .where(
            Invitation.person_id == person_id,
            Invitation.status.not_in(HANDED),
            Meeting.status == SCHEDULED,
            Meeting.starts_at > now,
        )
        .order_by(Meeting.starts_at)
    ).all()
    return tuple(view_of(i, substitute_for(session, i)) for i in rows)


def answer(
    session: Session,
    *,
    person_id: int,
    meeting_id: int,
    answer: str,
    now: datetime,
    settings: Settings,
    configured: set[str],
) -> list[OutboxMessage]:
    """Record an answer; for "delegated", invite the substitute. Returns the messages queued: the
    substitute's invitation, or the secretariat's alerts when nobody can go."""
    invitation = session.scalar(
        select(Invitation).where(Invitation.meeting_id == meeting_id, Invitation.person_id == person_id)
    )
    if invitation is None or invitation.status in HANDED:  # handed over meanwhile: the substitute holds it
        return []
    if answer != "delegated":
        invitation.status, invitation.answered_at = answer, now
        invitation.next_at = now if answer == "confirmed" else None  # the scheduler times the reminders
        return []
    # nobody left since the answer was read (the engine said who would go): the invitation stays
    # theirs, and the secretariat is told
    handed = hand_over(
        session, invitation=invitation, reason="delegated", now=now, settings=settings, configured=configured
    )
    return ([handed.row] if handed.row is not None else []) + handed.alerts


def wake(session: Session, now: datetime, *, person_id: int) -> None:
    """Have the scheduler look at this person's open invitations at its next pass (they went
    away): one for a meeting on a day they are away goes to their substitute."""
    for invitation in session.scalars(
        select(Invitation)
        .join(Meeting)
        .where(
            Invitation.person_id == person_id,
            Invitation.status.in_(("pending", "confirmed")),
            Invitation.observer.is_(False),
            Meeting.status == SCHEDULED,
            Meeting.starts_at > now,
        )
    ):
        invitation.next_at = now


def change(
    session: Session,
    *,
    meeting: Meeting,
    now: datetime,
    settings: Settings,
    configured: set[str],
    title: str | None = None,
    starts_at: datetime | None = None,
    timezone: str | None = None,
    place: str | None = None,
    agenda: Iterable[str] | None = None,
    committee: str | None = None,
) -> dict:
    """Change what is given (None: unchanged). A new time or place is told at once to everyone who
    holds the invitation (pending, confirmed or declined: a new time may change an answer), once
    per change, quiet hours or not; the scheduler then re-times their follow-up and reminders.
    Returns what changed, and the notices queued and not."""
    _still_open(meeting, now)
    report: dict = {"changed": [], "queued": [], "skipped": []}
    new: dict = {}
    if title is not None:
        new["title"] = fields.text(title, "title")
    if committee is not None:  # "" takes it away
        new["committee"] = " ".join(committee.split())[:200] or None
    if agenda is not None:
        new["agenda_items"] = fields.agenda_items(agenda)
    if timezone is not None:
        new["timezone"] = fields.zone(timezone)
    if starts_at is not None:
        new["starts_at"] = fields.starts(starts_at, now)
    if place is not None:
        new["place"] = fields.text(place, "place")
    for field, value in new.items():
        if value != _current(meeting, field):
            setattr(meeting, field, value)
            report["changed"].append(field)
    if not {"starts_at", "place"} & set(report["changed"]):
        return report
    meeting.revision += 1
    meeting.changed_at = now
    for invitation in meeting.invitations:
        if invitation.status not in CURRENT:
            continue
        invitation.next_at = now
        _tell(
            session,
            invitation,
            "meeting_change",
            f"change:{meeting.revision}",
            texts.changed,
            now,
            settings,
            configured,
            report,
        )
    return report


def _current(meeting: Meeting, field: str):
    value = getattr(meeting, field)
    return aware(value) if field == "starts_at" else value


def _still_open(meeting: Meeting, now: datetime) -> None:
    if meeting.status == CANCELLED:
        raise MeetingError(f"meeting {meeting.id} is cancelled")
    if aware(meeting.starts_at) <= now:
        raise MeetingError(f"meeting {meeting.id} has started already")


def cancel(session: Session, *, meeting: Meeting, now: datetime, settings: Settings, configured: set[str]) -> dict:
    """Cancel the meeting: who may come (pending or confirmed) is told at once, once; nothing more
    is sent for it. Cancelling again does nothing."""
    report: dict = {"queued": [], "skipped": [], "already": meeting.status == CANCELLED}
    if report["already"]:
        return report
    _still_open(meeting, now)
    meeting.status, meeting.cancelled_at = CANCELLED, now
    for invitation in meeting.invitations:
        invitation.next_at = None
        if invitation.status in ("pending", "confirmed"):
            _tell(
                session,
                invitation,
                "meeting_cancelled",
                "cancelled",
                texts.cancelled,
                now,
                settings,
                configured,
                report,
            )
    return report


def _tell(session, invitation, kind, key, render, now, settings, configured, report) -> None:
    row, why = notify(
        session,
        invitation=invitation,
        kind=kind,
        key=f"invitation:{invitation.id}:{key}",
        render=render,
        now=now,
        settings=settings,
        configured=configured,
    )
    if row is not None:
        report["queued"].append(row)
    else:
        report["skipped"].append((invitation.person.name, why))


def attendance(session: Session, *, meeting_id: int) -> list[Invitation]:
    return list(
        session.scalars(
            select(Invitation)
            .where(Invitation.meeting_id == meeting_id)
            .order_by(Invitation.observer, Invitation.institution_id, Invitation.id)
        )
    )
