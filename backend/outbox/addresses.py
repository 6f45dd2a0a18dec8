"""What we know of each channel address: opted out, unreachable, last heard from."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db import aware
from backend.outbox.models import AddressState

WHATSAPP_WINDOW = timedelta(hours=24)


def get(session: Session, *, channel: str, address: str) -> AddressState | None:
    return session.scalar(select(AddressState).where(AddressState.channel == channel, AddressState.address == address))


def ensure(session: Session, *, channel: str, address: str) -> AddressState:
    state = get(session, channel=channel, address=address)
    if state is None:
        state = AddressState(channel=channel, address=address)
        try:
            with session.begin_nested():
                session.add(state)
        except IntegrityError:  # created a moment ago by another worker
            state = get(session, channel=channel, address=address)
            assert state is not None  # the other worker's row, which made our insert fail
    return state


def note_inbound(session: Session, *, channel: str, address: str, now: datetime) -> None:
    """The person wrote: the address works, and WhatsApp's 24-hour window is open."""
    state = ensure(session, channel=channel, address=address)
    state.last_inbound_at = now
    state.unreachable_at = state.unreachable_reason = None


def opt_out(session: Session, *, channel: str, address: str, now: datetime) -> None:
    ensure(session, channel=channel, address=address).opted_out_at = now


def opt_in(session: Session, *, channel: str, address: str) -> None:
    ensure(session, channel=channel, address=address).opted_out_at = None


def mark_unreachable(session: Session, *, channel: str, address: str, reason: str, now: datetime) -> None:
    state = ensure(session, channel=channel, address=address)
    state.unreachable_at, state.unreachable_reason = now, reason[:200]


def why_not(state: AddressState | None) -> str | None:
    """Why nothing may be sent to this address, or None when it may."""
    if state is None:
        return None
    if state.opted_out_at is not None:
        return "opted out (sent STOP)"
    if state.unreachable_at is not None:
        return f"unreachable: {state.unreachable_reason}"
    return None


def window_open(state: AddressState | None, now: datetime) -> bool:
    return (
        state is not None and state.last_inbound_at is not None and now - aware(state.last_inbound_at) < WHATSAPP_WINDOW
    )


def may_answer_stranger(session: Session, *, channel: str, address: str, now: datetime) -> bool:
    """An unknown number gets one "not registered" answer a day at most (no loops with bots,
    no cost run up by a stranger)."""
    state = ensure(session, channel=channel, address=address)
    last = aware(state.last_unknown_reply_at)
    if last is not None and now - last < timedelta(days=1):
        return False
    state.last_unknown_reply_at = now
    return True
