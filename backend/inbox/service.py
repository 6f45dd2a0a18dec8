"""Accepting what arrives: each delivery stored once (the provider's id is the key), then its job
enqueued after the commit. A repeated delivery is acknowledged with no second effect."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.inbox.models import InboxMessage
from backend.wiring.context import Context
from bot.message import ChannelEvent, InboundMessage


def _strings(value: object):
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, tuple | list):
        for part in value:
            yield from _strings(part)


def unstorable(item: object) -> str | None:
    """Why what a provider sent cannot be stored (or looked up) exactly as it came; None when it
    can. The store keeps neither a NUL character (PostgreSQL's text refuses it) nor half a
    surrogate pair (not UTF-8: JSON's \\ud800 escape), nor a key longer than its column. Refused
    rather than altered: what a person types is never changed on the way in."""
    for text in _strings(item):
        if "\x00" in text:
            return "a NUL character"
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return "half a surrogate pair (not UTF-8)"
    for name, value in (("provider_id", getattr(item, "provider_id", "")), ("address", _address(item))):
        limit = InboxMessage.__table__.c[name].type.length  # type: ignore[attr-defined]
        if len(value) > limit:
            return f"a {name} longer than {limit} characters"
    return None


def _address(item: object) -> str:
    address = getattr(item, "address", None)
    return address.id if address is not None else ""


def store_inbound(session: Session, item: InboundMessage | ChannelEvent, now: datetime) -> tuple[int, bool]:
    """Insert the inbox row; (row id, True) when new, (existing id, False) for a duplicate delivery."""
    channel, provider_id = item.address.channel_name, item.provider_id
    existing = session.scalar(
        select(InboxMessage.id).where(InboxMessage.channel == channel, InboxMessage.provider_id == provider_id)
    )
    if existing is not None:
        return existing, False
    if isinstance(item, ChannelEvent):
        row = InboxMessage(
            channel=channel,
            provider_id=provider_id,
            address=item.address.id,
            kind=f"event:{item.kind.value}",
            text="",
            payload={},
            received_at=now,
        )
    else:
        payload: dict = {"sender_name": item.sender_name, "edited": item.edited}
        if item.contact is not None:
            payload["contact"] = {"phone": item.contact.phone, "own": item.contact.own}
        row = InboxMessage(
            channel=channel,
            provider_id=provider_id,
            address=item.address.id,
            kind=item.kind.value,
            text=item.text,
            payload=payload,
            received_at=now,
        )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # the same delivery committed by another process a moment ago
        existing = session.scalar(
            select(InboxMessage.id).where(InboxMessage.channel == channel, InboxMessage.provider_id == provider_id)
        )
        if existing is None:  # not that: never acknowledge what was not stored (the provider retries)
            raise
        return existing, False
    return row.id, True


def accept(ctx: Context, item: InboundMessage | ChannelEvent) -> bool:
    """Store the delivery and, once committed, enqueue its handling. False for a duplicate."""
    with ctx.work() as work:
        inbox_id, new = store_inbound(work.session, item, datetime.now(UTC))
        if new:
            work.handle(inbox_id)
    return new
