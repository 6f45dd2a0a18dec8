"""Queueing what leaves: an outbox row per message, and the one function that starts a message
the bot initiates (a prompt, an invitation, a note): route it to the person's first usable
channel and queue it there, once per key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.config import Settings
from backend.outbox import routing
from backend.outbox.models import OutboxMessage
from backend.roster.models import Person
from conversations.views import CHAT, SMS


def medium_of(channel: str) -> str:
    """What a channel carries: SMS (segment budgets, short titles) or a chat app's message."""
    return SMS if channel == "sms" else CHAT


def queue_outbound(
    session: Session,
    *,
    key: str,
    channel: str,
    address: str,
    text: str,
    kind: str,
    now: datetime,
    person_id: int | None = None,
    priority: int = 1,
    buttons: list | None = None,
    in_reply_to: int | None = None,
) -> OutboxMessage | None:
    """Add an outbox row; None when a row with this key exists already (the send is not repeated)."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return None
    row = OutboxMessage(
        key=key,
        channel=channel,
        address=address,
        text=text,
        kind=kind,
        person_id=person_id,
        priority=priority,
        buttons=buttons or [],
        in_reply_to=in_reply_to,
        status="queued",
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    session.flush()
    return row


def start_message(
    session: Session,
    *,
    person: Person,
    kind: str,
    text: str,
    key: str,
    now: datetime,
    settings: Settings,
    configured: set[str],
    priority: int = 1,
    sms_text: str | None = None,
) -> tuple[OutboxMessage | None, str]:
    """Queue a message the bot starts on the person's first usable channel (the send moves on to
    the next one if this one fails for good). `text` is rendered for a chat app and `sms_text`
    for SMS (when they differ): the row keeps both, and the send takes the one for the channel it
    goes out on, the first or one it fails over to. (row, "") when queued; (None, why) when no channel can carry it or a message
    with this key was queued already. Enqueue the row after commit."""
    routes, reasons = routing.plan(
        session, person=person, kind=kind, text=text, now=now, settings=settings, configured=configured
    )
    if not routes:
        return None, "no channel: " + "; ".join(reasons)
    row = queue_outbound(
        session,
        key=key,
        channel=routes[0].channel,
        address=routes[0].address,
        text=text,
        kind=kind,
        now=now,
        person_id=person.id,
        priority=priority,
    )
    if row is not None and sms_text is not None and sms_text != text:
        row.sms_text = sms_text
    return row, "" if row is not None else "already sent"
