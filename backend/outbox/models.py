"""What leaves: one row per message the bot sends, and what is known of each channel address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import Base

OUTBOX_STATES = ("queued", "sending", "sent", "delivered", "failed")


class OutboxMessage(Base):
    __tablename__ = "outbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # reply, weekly_prompt, ...
    priority: Mapped[int] = mapped_column(Integer, default=1)  # 0 = reply to a person who wrote
    text: Mapped[str] = mapped_column(Text)  # rendered for `channel`
    # The same message rendered for SMS (short titles, segment budget) when `text` is rendered for a
    # chat app: a fail-over to SMS sends this one.
    sms_text: Mapped[str | None] = mapped_column(Text)
    buttons: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Tries the provider refused as a whole (rate limit, outage, no network): not the message's
    # fault, so not counted in `attempts` up to PROVIDER_ERRORS_ALLOWED (backend/outbox/delivery.py).
    provider_errors: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    in_reply_to: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    segments: Mapped[int | None] = mapped_column(Integer)  # SMS only: what it cost
    route: Mapped[list] = mapped_column(JSON, default=list)  # each channel tried, and why it failed


class AddressState(Base):
    """What we know of one channel address (a phone on SMS, on WhatsApp; a Telegram chat):
    opted out, unreachable, when its owner last wrote (WhatsApp's 24-hour window)."""

    __tablename__ = "address_state"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(64))
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unreachable_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unreachable_reason: Mapped[str | None] = mapped_column(String(200))
    last_inbound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_unknown_reply_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
