"""Delivery reports from providers (Twilio status callbacks) applied to outbox rows."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.jobs.send import fail_over, mark_address
from backend.pipeline.models import OutboxMessage
from bot.message import DeliveryStatus, StatusUpdate

log = logging.getLogger(__name__)
RANK = {"queued": 0, "sending": 0, "sent": 1, "delivered": 2}


def apply_status(session: Session, update: StatusUpdate, now: datetime) -> OutboxMessage | None:
    """Record a status; returns the row when it must be sent again (on the next channel)."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.provider_id == update.provider_id)
                         .with_for_update())
    if row is None:
        log.warning("status %s for unknown message %s", update.status.value, update.provider_id)
        return None
    if update.status in (DeliveryStatus.DELIVERED, DeliveryStatus.READ):
        row.status = "delivered"
    elif update.status is DeliveryStatus.SENT:
        if RANK.get(row.status, 3) < RANK["sent"]:
            row.status = "sent"
    elif update.status in (DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED) and row.status != "delivered":
        reason = f"{update.status.value} (Twilio error {update.error_code or 'none'})"
        row.error = reason
        mark_address(session, row.channel, row.address, update.error_code, reason, now)
        if fail_over(row, reason, now) == "queued":
            return row
    return None


def record_unknown_status(session: Session, provider_id: str, status: str) -> None:
    """An unknown status is an error to look at, not something to ignore."""
    log.error("unknown delivery status %r for %s", status, provider_id)
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.provider_id == provider_id))
    if row is not None:
        row.error = f"unknown delivery status {status!r} reported by the provider"
