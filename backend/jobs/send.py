"""Job: send an outbox row through its channel.

The row is leased (`sending`, with a lease end in next_attempt_at) and committed before the
provider is called, then marked `sent` or rescheduled. A worker that dies while a row is leased
leaves it to the sweep once the lease ends: the only case where a message can go out twice is a
crash after the provider accepted it and before our commit, and that window is one HTTP round
trip per message."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from backend.context import get_context
from backend.pipeline.models import OutboxMessage
from backend.runner import buttons_of
from bot.message import Address, Channel, DeliveryError, OutboundMessage

log = logging.getLogger(__name__)


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(2 ** attempt, 300))


def send_outbound(outbox_id: int) -> str:
    ctx = get_context()
    now = datetime.now(timezone.utc)
    with ctx.db.transaction() as session:
        row = session.get(OutboxMessage, outbox_id, with_for_update=True)
        if row is None:
            return "missing"
        due = row.next_attempt_at if row.next_attempt_at.tzinfo else row.next_attempt_at.replace(tzinfo=timezone.utc)
        if row.status not in ("queued", "sending") or (row.status == "sending" and due > now) or due > now + timedelta(seconds=1):
            return row.status
        row.status = "sending"
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=ctx.settings.send_lease_seconds)
        message = OutboundMessage(address=Address(Channel(row.channel), row.address), text=row.text,
                                  key=row.key, buttons=buttons_of(row))
        attempts = row.attempts
    sender = ctx.senders.get(message.address.channel.value)
    error: DeliveryError | None = None
    provider_id = None
    try:
        if sender is None:
            raise DeliveryError(f"no sender for channel {message.address.channel.value}", permanent=True)
        provider_id = sender.send(message)
    except DeliveryError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - an unexpected sender bug is retried like an outage
        log.exception("sender crashed on outbox %s", outbox_id)
        error = DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False, code="crash")
    done = datetime.now(timezone.utc)
    with ctx.db.transaction() as session:
        row = session.get(OutboxMessage, outbox_id, with_for_update=True)
        if error is None:
            row.status, row.provider_id, row.sent_at, row.error = "sent", provider_id, done, None
            return "sent"
        row.error = f"{error.code}: {error}"[:1000] if error.code else str(error)[:1000]
        if error.permanent or attempts >= ctx.settings.send_max_attempts:
            row.status = "failed"
            log.warning("outbox %s failed: %s", outbox_id, row.error)
        else:
            wait = timedelta(seconds=error.retry_after) if error.retry_after else backoff(attempts)
            row.status, row.next_attempt_at = "queued", done + wait
        return row.status
