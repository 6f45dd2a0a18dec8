"""Sending one outbox row (the send job's work, backend/jobs/send.py):

0. A bulk message first looks whether its channel's rate limit (shared by every worker through
   Redis) has a slot within BULK_MAX_WAIT; when not, the job goes back in its queue and the
   worker takes another, so no worker sits waiting on a busy channel.
1. Lease: in one transaction the row is checked (still to send, due), its route chosen (for a
   message the bot starts: the person's first usable channel, see routing.py), its SMS
   text folded and its segments counted, and it is marked `sending` until the lease ends.
2. Pace: book every slot it needs at one moment (the channel's, SMS segments, Telegram's
   per-chat limit) and wait for it. Booked after the lease, so the send leaves at its booked
   moment however long the lease took, and the provider sees the configured rate.
3. Send through the channel (bot.channel), then record the outcome (delivery.py): `sent`; a
   retry with backoff (honouring Retry-After) for what the channel classifies as passing; or the
   address marked (opted out, unreachable) and the message moved to the person's next channel
   (`route` keeps each try and its reason).

A worker that dies during step 3 leaves the row leased; the sweep retries it when the lease ends.
The one case that can send twice is a crash after the provider accepted the message and before
our commit: one HTTP round trip per message, at most one duplicate per such crash."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from backend.outbox import addresses, routing
from backend.outbox.delivery import ANSWERS, record_failure
from backend.outbox.models import OutboxMessage
from backend.roster.models import Person
from backend.wiring.context import Context
from backend.wiring.dispatch import BULK_CHANNELS
from backend.wiring.pacing import Limit, peek
from backend.wiring.ride_out import ride_out
from bot.message import Address, DeliveryError, OutboundMessage, ReplyButton
from bot.segments import count_segments
from conversations.budget import sms_text

log = logging.getLogger(__name__)
BULK_MAX_WAIT = 0.05  # how far ahead a bulk send may book: replies never queue behind more
_deferred_in_a_row = 0  # this process's bulk sends put back one after another


def _limit(settings, channel: str) -> Limit | None:
    rate = {"telegram": settings.telegram_rate, "sms": settings.sms_rate, "whatsapp": settings.whatsapp_rate}.get(
        channel
    )
    return Limit(rate) if rate else None


def reservations(settings, channel: str, address: str, segments: int | None) -> list:
    """(key, limit, cost) for one message: the channel's limit (SMS counted in segments), and
    on Telegram the per-chat limit too."""
    limit = _limit(settings, channel)
    if limit is None:
        return []
    slots = [(channel, limit, float(segments or 1) if channel == "sms" else 1.0)]
    if channel == "telegram":
        slots.append((f"telegram:{address}", Limit(settings.telegram_chat_rate), 1.0))
    return slots


def _room(ctx, channel: str) -> bool:
    """Whether a bulk message's channel has a slot within BULK_MAX_WAIT (nothing is booked yet:
    the slot is booked with the per-chat one once the row is leased, so the send leaves at its
    booked moment). When not, the job goes back in its queue and the worker takes another, maybe
    for a channel with room."""
    limit = _limit(ctx.settings, channel)
    if limit is None:
        return True
    global _deferred_in_a_row
    wait = peek(ctx.pacer, [(channel, limit, 1.0)])
    if wait <= BULK_MAX_WAIT:
        _deferred_in_a_row = 0
        return True
    # Jobs of other channels may be next in the queues: go on at once. Only when this worker has
    # gone round every channel without finding room does it pause, not to spin.
    _deferred_in_a_row += 1
    if _deferred_in_a_row >= len(BULK_CHANNELS):
        time.sleep(min(wait, BULK_MAX_WAIT))
    return False


def _book(ctx, slots: list) -> float:
    """Reserve every slot of one message at one moment: the seconds to wait for it."""
    return ctx.pacer.reserve_many(slots) if slots else 0.0


def _sms_text(session, settings, row: OutboxMessage) -> str:
    """The SMS as sent, folded by SMS_FOLD; by default also the accents of the data (a name, title,
    place) in a language whose own words are GSM-7, when that keeps the SMS in GSM-7
    (conversations/budget.py, rule 2). The language is the person's, or DEFAULT_LANGUAGE."""
    person = session.get(Person, row.person_id) if row.person_id is not None else None
    language = person.language if person is not None else settings.default_language
    return sms_text(row.sms_text or row.text, language, settings.sms_fold)


def _lease(session, ctx, row: OutboxMessage, now: datetime) -> OutboundMessage | None:
    """Choose the route and lease the row; None (row marked failed) when no channel is left."""
    template = None
    if row.kind not in ANSWERS and row.person_id is not None:
        person = session.get(Person, row.person_id)
        tried = {step["channel"] for step in row.route or []}
        routes, reasons = routing.plan(
            session,
            person=person,
            kind=row.kind,
            text=row.text,
            now=now,
            settings=ctx.settings,
            configured=set(ctx.configured),
            tried=tried,
        )
        if not routes:
            row.status = "failed"
            row.error = "no channel left: " + "; ".join(
                [f"{s['channel']}: {s['error']}" for s in row.route or []] + reasons
            )
            log.warning("outbox %s: %s", row.id, row.error)
            return None
        row.channel, row.address, template = routes[0].channel, routes[0].address, routes[0].template
    elif row.kind == "reply":
        why = addresses.why_not(addresses.get(session, channel=row.channel, address=row.address))
        if why:
            row.status, row.error = "failed", why
            return None
    text = row.text
    if row.channel == "sms":
        text = _sms_text(session, ctx.settings, row)
        row.segments = count_segments(text).segments
    row.status = "sending"
    row.attempts += 1
    row.next_attempt_at = now + timedelta(seconds=ctx.settings.send_lease_seconds)
    return OutboundMessage(
        address=Address.of(row.channel, row.address),
        text=text,
        key=row.key,
        buttons=buttons_of(row),
        template=template,
    )


def _due(row: OutboxMessage, now: datetime) -> bool:
    """Not tried yet (due from the moment it was queued, even by a `nmirf tick` ahead of the
    clock) unless held for later (`next_attempt_at` after `created_at`: the end of the person's
    quiet hours; the sweep releases it then), or its retry or lease time has come."""
    if row.status == "queued" and row.attempts == 0 and not held(row):
        return True
    return row.status in ("queued", "sending") and addresses.aware(row.next_attempt_at) <= now + timedelta(seconds=1)


def held(row: OutboxMessage) -> bool:
    """Queued to go later than it was made (a broadcast or an alert in the quiet hours)."""
    return row.attempts == 0 and addresses.aware(row.next_attempt_at) > addresses.aware(row.created_at)


def buttons_of(row: OutboxMessage) -> tuple[ReplyButton, ...]:
    return tuple(ReplyButton(b["text"], bool(b.get("request_contact"))) for b in row.buttons or [])


def send(ctx: Context, outbox_id: int, channel: str, bulk: bool) -> str:
    """Send the row if it is due; its new status ("deferred": put back in its queue)."""
    if bulk and channel and not _room(ctx, channel):
        ctx.dispatcher.enqueue_send(outbox_id, 1, channel)
        return "deferred"
    now = datetime.now(UTC)
    with ctx.db.transaction() as session:
        row = session.get(OutboxMessage, outbox_id, with_for_update=True)
        if row is None or not _due(row, now):
            return row.status if row else "missing"
        message = _lease(session, ctx, row, now)
        if message is None:
            return row.status
        attempts, segments = row.attempts, row.segments
    wait = _book(ctx, reservations(ctx.settings, message.address.channel_name, message.address.id, segments))
    if wait > 0:
        time.sleep(wait)
    carrier = ctx.channels[message.address.channel_name]
    error: DeliveryError | None = None
    provider_id: str | None = None
    try:
        provider_id = carrier.send(message)
    except DeliveryError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - an unexpected sender bug is retried like an outage
        log.exception("sender crashed on outbox %s", outbox_id)
        error = DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False, code="crash")
    # The provider has it (or said no): the outcome is recorded even if the database is away
    # for a while, so that a message it took is not sent again when its lease ends.
    return ride_out(ctx.db, lambda: _record(ctx, outbox_id, carrier, provider_id, error, attempts))


def _record(ctx: Context, outbox_id: int, carrier, provider_id: str | None, error, attempts: int) -> str:
    with ctx.work() as work:
        row = work.session.get(OutboxMessage, outbox_id, with_for_update=True)
        assert row is not None  # leased above; outbox rows are never deleted
        done = datetime.now(UTC)
        if error is None:
            row.status, row.provider_id, row.sent_at, row.error = "sent", provider_id, done, None
            return "sent"
        status = record_failure(
            work.session, row, error, carrier, attempts=attempts, max_attempts=ctx.settings.send_max_attempts, now=done
        )
        hold = None
        if status == "queued":  # the retry (or the next channel); the sweep is the safety net
            delay = max(0.0, (row.next_attempt_at - done).total_seconds())
            if error.provider_wide:
                hold = (row.channel, row.address, delay)
            work.send(row, delay=delay)
    if hold is not None:
        _hold(ctx, error, *hold)
    return status


def _hold(ctx: Context, error: DeliveryError, channel: str, address: str, seconds: float) -> None:
    """Every send on the channel waits with the refused one. Telegram's 429 may be about one chat
    only: that chat waits the whole Retry-After, the channel at most a second (a flood of the
    whole bot is refused again at the next try, and held again)."""
    if _limit(ctx.settings, channel) is None:  # not paced: nothing to hold
        return
    try:
        if channel == "telegram" and error.code == "429":
            ctx.pacer.hold(f"telegram:{address}", seconds)
            seconds = min(seconds, 1.0)
        ctx.pacer.hold(channel, seconds)
    except Exception as exc:  # noqa: BLE001 - Redis away: the message still waits its own time
        log.warning("could not hold %s for %.0f s: %s", channel, seconds, type(exc).__name__)
