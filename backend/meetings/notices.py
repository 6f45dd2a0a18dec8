"""The messages about an invitation: the invitee's view, one message queued once per key (the
invitation itself, and the notices of backend/meetings/service.py and backend/schedule/meetings.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.db import aware
from backend.meetings.models import Invitation
from backend.outbox.models import OutboxMessage
from backend.outbox.start import start_message
from backend.roster.models import Person
from conversations.attendance import invitation_text
from conversations.meetings import MeetingView
from conversations.views import CHAT, InvitationView, PersonView

Render = Callable[[PersonView, InvitationView], str]


def person_view(person: Person, settings: Settings) -> PersonView:
    """The invitee as the texts see them, rendered for SMS (replace `medium` for a chat app)."""
    return PersonView(
        id=person.id,
        name=person.name,
        language=person.language,
        timezone=person.timezone,
        fallback_language=settings.default_language,
        mechanism=settings.mechanism_name,
    )


def notify(
    session: Session,
    *,
    invitation: Invitation,
    kind: str,
    key: str,
    render: Render,
    now: datetime,
    settings: Settings,
    configured: set[str],
    substitute: Person | None = None,
) -> tuple[OutboxMessage | None, str]:
    """Queue a message about the invitation on the invitee's first usable channel, once per `key`
    (rendered for a chat app, and for SMS should the send go or fall back to SMS)."""
    view = person_view(invitation.person, settings)
    about = view_of(invitation, substitute)
    return start_message(
        session,
        person=invitation.person,
        kind=kind,
        text=render(replace(view, medium=CHAT), about),
        sms_text=render(view, about),
        key=key,
        now=now,
        settings=settings,
        configured=configured,
    )


def send(
    session: Session, *, invitation: Invitation, now: datetime, settings: Settings, configured: set[str]
) -> tuple[OutboxMessage | None, str]:
    """Queue the invitation message on the invitee's first usable channel."""
    return notify(
        session,
        invitation=invitation,
        kind="invitation",
        key=f"invitation:{invitation.id}",
        render=invitation_text,
        now=now,
        settings=settings,
        configured=configured,
    )


def view_of(invitation: Invitation, substitute: Person | None) -> MeetingView:
    meeting = invitation.meeting
    origin = invitation.origin
    return MeetingView(
        meeting_id=meeting.id,
        title=meeting.title,
        starts_at=aware(meeting.starts_at),
        place=meeting.place,
        status=invitation.status,
        substitute=substitute.name if substitute else None,
        sent_by=origin.person.name if origin is not None and origin.status == "delegated" else None,
        agenda=tuple(meeting.agenda_items or ()),
        observer=invitation.observer,
        replaces=origin.person.name if origin is not None and origin.status in ("no_reply", "away") else None,
    )
