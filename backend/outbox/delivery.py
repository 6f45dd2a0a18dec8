"""What becomes of a send: failures classified by the channel (retry, give up here, address
unreachable, opted out), the move to the person's next channel, and the delivery statuses
providers report later (Twilio status callbacks)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.outbox import addresses
from backend.outbox.models import OutboxMessage
from backend.wiring.context import Context
from bot.channel import Channel, ErrorKind
from bot.message import DeliveryError, DeliveryStatus, StatusUpdate

log = logging.getLogger(__name__)
RANK = {"queued": 0, "sending": 0, "sent": 1, "delivered": 2}
ANSWERS = ("reply", "stop_ack")  # answers go back where the person wrote; they never fail over


# A provider refusing every message (a rate limit, an outage, no network) holds the channel, not
# the message: all its sends wait for the hold to end, then go at the channel's rate, so a backlog
# drains at the configured rate once the provider is back. Such refusals do not use up a
# message's attempts until it has met PROVIDER_ERRORS_ALLOWED of them (holds of 1, 2, 4 ... 30 s:
# about 25 minutes of a provider refusing everything); then they count as attempts.
PROVIDER_ERRORS_ALLOWED = 50
PROVIDER_HOLD_MAX = 30.0


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(2**attempt, 300))


def provider_hold(error: DeliveryError, provider_errors: int) -> float:
    """Seconds the channel waits after a provider-wide refusal: its Retry-After, else 1, 2, 4 ... 30."""
    if error.retry_after:
        return min(float(error.retry_after), 3600.0)
    return min(2.0 ** max(provider_errors - 1, 0), PROVIDER_HOLD_MAX)


def record_failure(
    session: Session,
    row: OutboxMessage,
    error: DeliveryError,
    channel: Channel,
    *,
    attempts: int,
    max_attempts: int,
    now: datetime,
) -> str:
    """Retry later, move on to the next channel, or give up; returns the row's new status."""
    row.error = f"{error.code}: {error}"[:1000] if error.code else str(error)[:1000]
    retry = channel.classify(error) is ErrorKind.RETRY
    if retry and error.provider_wide and row.provider_errors < PROVIDER_ERRORS_ALLOWED:
        row.provider_errors += 1
        row.attempts = max(0, attempts - 1)  # the lease counted this try: the provider failed, not it
        row.status = "queued"
        row.next_attempt_at = now + timedelta(seconds=provider_hold(error, row.provider_errors))
        return row.status
    if retry and attempts < max_attempts:
        wait = timedelta(seconds=error.retry_after) if error.retry_after else backoff(attempts)
        row.status, row.next_attempt_at = "queued", now + wait
        return row.status
    mark_address(session, channel, row.address, error, now)
    return fail_over(row, str(error)[:300], now)


def mark_address(session: Session, channel: Channel, address: str, error: DeliveryError, now: datetime) -> None:
    """What the failure says about the address itself: opted out, or unreachable."""
    kind = channel.classify(error)
    if kind is ErrorKind.OPTED_OUT:
        addresses.opt_out(session, channel=channel.name, address=address, now=now)
    elif kind is ErrorKind.UNREACHABLE:
        addresses.mark_unreachable(session, channel=channel.name, address=address, reason=str(error), now=now)


def fail_over(row: OutboxMessage, reason: str, now: datetime) -> str:
    """Note this channel's failure in the route; a message the bot started goes on to the next
    channel (chosen at the next lease), an answer fails."""
    row.route = [*(row.route or []), {"channel": row.channel, "address": row.address, "error": reason}]
    if row.kind in ANSWERS or row.person_id is None:
        row.status = "failed"
        return row.status
    row.status, row.attempts, row.next_attempt_at, row.provider_id = "queued", 0, now, None
    return row.status


def apply_status(
    session: Session, update: StatusUpdate, now: datetime, channels: dict[str, Channel]
) -> OutboxMessage | None:
    """Record a status; returns the row when it must be sent again (on the next channel)."""
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.provider_id == update.provider_id).with_for_update())
    if row is None:
        log.warning("status %s for unknown message %s", update.status.value, update.provider_id)
        return None
    if update.status in (DeliveryStatus.DELIVERED, DeliveryStatus.READ):
        row.status = "delivered"
    elif update.status is DeliveryStatus.SENT:
        if RANK.get(row.status, 3) < RANK["sent"]:
            row.status = "sent"
    elif update.status in (DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED) and row.status != "delivered":
        reason = f"{update.status.value} (provider error {update.error_code or 'none'})"
        row.error = reason
        channel = channels.get(row.channel)
        if channel is not None:
            mark_address(
                session, channel, row.address, DeliveryError(reason, permanent=True, code=update.error_code), now
            )
        if fail_over(row, reason, now) == "queued":
            return row
    return None


def record_status(ctx: Context, update: StatusUpdate, now: datetime) -> None:
    """A provider's delivery report; a message that failed for good goes on to the next channel."""
    with ctx.work() as work:
        again = apply_status(work.session, update, now, ctx.channels)
        if again is not None:
            work.send(again)


def record_unknown_status(ctx: Context, provider_id: str, status: str) -> None:
    """An unknown status is an error to look at, not something to ignore."""
    log.error("unknown delivery status %r for %s", status, provider_id)
    with ctx.work() as work:
        row = work.session.scalar(select(OutboxMessage).where(OutboxMessage.provider_id == provider_id))
        if row is not None:
            row.error = f"unknown delivery status {status!r} reported by the provider"
