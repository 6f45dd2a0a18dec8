"""Storing a person's conversation between messages, and its expiry timer.

The engine's state is stored as versioned JSON and read back through the one loader that
upgrades older stored shapes (conversations/state.py, through the flow registry)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.sessions.models import ConversationSession, Fire
from conversations import flows
from conversations.state import FlowState

EXPIRY = "session_expiry"


def load_state(session: Session, *, person_id: int) -> FlowState | None:
    row = session.scalar(select(ConversationSession).where(ConversationSession.person_id == person_id))
    return flows.load_state(row.state) if row is not None else None


def save_state(session: Session, *, person_id: int, state: FlowState | None, now: datetime) -> None:
    """Store the person's conversation, and keep one expiry timer for it (none when nothing waits)."""
    row = session.scalar(select(ConversationSession).where(ConversationSession.person_id == person_id))
    stored = flows.dump_state(state)
    if row is None:
        row = ConversationSession(person_id=person_id, state=stored, updated_at=now)
        session.add(row)
    else:
        row.state = stored
        row.updated_at = now
    _arm_expiry(session, person_id=person_id, state=state, now=now)


def end(session: Session, *, person_id: int) -> None:
    """Forget the person's conversation (their number went to someone else)."""
    row = session.scalar(select(ConversationSession).where(ConversationSession.person_id == person_id))
    if row is not None:
        session.delete(row)
        session.flush()


def session_key(state: FlowState | None) -> str | None:
    """Names one waiting conversation: a timer set for it does nothing once it has moved on."""
    return f"{state.flow}:{state.expires_at.isoformat()}" if state is not None else None


def _arm_expiry(session: Session, *, person_id: int, state: FlowState | None, now: datetime) -> None:
    key = session_key(state)
    fire = session.scalar(select(Fire).where(Fire.person_id == person_id, Fire.kind == EXPIRY, Fire.done_at.is_(None)))
    if fire is not None and fire.session_token == key:
        return
    if fire is not None:
        fire.done_at = now  # that conversation moved on: its timer is spent
    if state is not None and key is not None:
        session.add(Fire(kind=EXPIRY, due_at=state.expires_at, person_id=person_id, session_token=key))
