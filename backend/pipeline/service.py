"""Inbox and outbox rows: storing what arrives (once), queueing what leaves."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.message import ChannelEvent, InboundMessage
from backend.pipeline.models import ConversationSession, Fire, InboxMessage, OutboxMessage

EXPIRY = "session_expiry"


def store_inbound(session: Session, item: InboundMessage | ChannelEvent, now: datetime) -> tuple[int, bool]:
    """Insert the inbox row; (row id, True) when new, (existing id, False) for a duplicate delivery."""
    channel, provider_id = item.address.channel.value, item.provider_id
    existing = session.scalar(select(InboxMessage.id).where(InboxMessage.channel == channel,
                                                            InboxMessage.provider_id == provider_id))
    if existing is not None:
        return existing, False
    if isinstance(item, ChannelEvent):
        row = InboxMessage(channel=channel, provider_id=provider_id, address=item.address.id,
                           kind=f"event:{item.kind.value}", text="", payload={}, received_at=now)
    else:
        payload = {"sender_name": item.sender_name, "edited": item.edited}
        if item.contact is not None:
            payload["contact"] = {"phone": item.contact.phone, "own": item.contact.own}
        row = InboxMessage(channel=channel, provider_id=provider_id, address=item.address.id, kind=item.kind.value,
                           text=item.text, payload=payload, received_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # the same delivery committed by another process a moment ago
        existing = session.scalar(select(InboxMessage.id).where(InboxMessage.channel == channel,
                                                                InboxMessage.provider_id == provider_id))
        return existing, False
    return row.id, True


def queue_outbound(session: Session, *, key: str, channel: str, address: str, text: str, kind: str,
                   now: datetime, person_id: int | None = None, priority: int = 1, buttons: list | None = None,
                   in_reply_to: int | None = None) -> OutboxMessage | None:
    """Add an outbox row; None when a row with this key exists already (the send is not repeated)."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return None
    row = OutboxMessage(key=key, channel=channel, address=address, text=text, kind=kind, person_id=person_id,
                        priority=priority, buttons=buttons or [], in_reply_to=in_reply_to, status="queued",
                        attempts=0, created_at=now, next_attempt_at=now)
    session.add(row)
    session.flush()
    return row


def load_state(session: Session, *, person_id: int) -> dict | None:
    row = session.scalar(select(ConversationSession).where(ConversationSession.person_id == person_id))
    return row.state or None if row else None


def save_state(session: Session, *, person_id: int, state: dict | None, now: datetime) -> None:
    """Store the person's conversation, and keep one expiry timer for it (none when nothing waits)."""
    row = session.scalar(select(ConversationSession).where(ConversationSession.person_id == person_id))
    if row is None:
        row = ConversationSession(person_id=person_id, state=state or {}, updated_at=now)
        session.add(row)
    else:
        row.state = state or {}
        row.updated_at = now
    _arm_expiry(session, person_id=person_id, state=state, now=now)


def session_key(state: dict | None) -> str | None:
    """Names one waiting conversation: a timer set for it does nothing once it has moved on."""
    return f"{state['flow']}:{state['expires_at']}" if state and state.get("expires_at") else None


def _arm_expiry(session: Session, *, person_id: int, state: dict | None, now: datetime) -> None:
    key = session_key(state)
    fire = session.scalar(select(Fire).where(Fire.person_id == person_id, Fire.kind == EXPIRY,
                                             Fire.done_at.is_(None)))
    if fire is not None and fire.session_token == key:
        return
    if fire is not None:
        fire.done_at = now          # that conversation moved on: its timer is spent
    if key is not None:
        session.add(Fire(kind=EXPIRY, due_at=datetime.fromisoformat(state["expires_at"]), person_id=person_id,
                         session_token=key))
