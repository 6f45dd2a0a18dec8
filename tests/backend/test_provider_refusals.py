"""A provider refusing every message (a rate limit, an outage, no network) holds the channel, not
the message: the refusal does not use up the message's attempts (until PROVIDER_ERRORS_ALLOWED),
and the wait is the provider's Retry-After, or 1, 2, 4 ... 30 s. A refusal of this message alone
still counts as one of its attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.outbox.delivery import PROVIDER_ERRORS_ALLOWED, PROVIDER_HOLD_MAX, record_failure
from backend.outbox.models import OutboxMessage
from bot.handlers.telegram import TelegramChannel
from bot.message import DeliveryError

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def row(**kw) -> OutboxMessage:
    values = dict(kind="reply", channel="telegram", address="42", attempts=1, provider_errors=0, route=[])
    values.update(kw)
    return OutboxMessage(**values)


def fail(r: OutboxMessage, error: DeliveryError) -> str:
    channel = TelegramChannel.__new__(TelegramChannel)  # classify() reads nothing of its state
    return record_failure(None, r, error, channel, attempts=r.attempts, max_attempts=5, now=NOW)


def outage() -> DeliveryError:
    return DeliveryError("Bad Gateway", permanent=False, code="network", provider_wide=True)


def test_provider_refusals_hold_and_do_not_use_up_attempts():
    r = row()
    holds = []
    for _ in range(8):
        assert fail(r, outage()) == "queued"
        holds.append((r.next_attempt_at - NOW).total_seconds())
        r.attempts += 1  # the next lease
    assert r.attempts == 1 and r.provider_errors == 8
    assert holds == [1, 2, 4, 8, 16, PROVIDER_HOLD_MAX, PROVIDER_HOLD_MAX, PROVIDER_HOLD_MAX]


def test_retry_after_is_the_hold():
    r = row()
    error = DeliveryError("Too Many Requests", permanent=False, code="429", retry_after=7, provider_wide=True)
    assert fail(r, error) == "queued"
    assert r.next_attempt_at == NOW + timedelta(seconds=7) and r.attempts == 0


def test_past_the_allowance_refusals_count_as_attempts():
    r = row(provider_errors=PROVIDER_ERRORS_ALLOWED, attempts=5)
    assert fail(r, outage()) == "failed"  # an answer does not fail over: with attempts spent, it fails
    assert r.provider_errors == PROVIDER_ERRORS_ALLOWED


def test_a_failure_of_this_message_alone_is_an_attempt():
    r = row(attempts=2)
    assert fail(r, DeliveryError("flaky", permanent=False, code="telegram")) == "queued"
    assert r.attempts == 2 and r.provider_errors == 0
    assert r.next_attempt_at == NOW + timedelta(seconds=4)


def test_a_refusal_holds_the_channel_and_a_telegram_429_mostly_its_chat():
    """A 5xx holds the whole channel for the wait; Telegram's 429 may be about one chat: that
    chat waits the whole Retry-After, the rest of Telegram a second at most."""
    from types import SimpleNamespace

    from backend.outbox.send import _hold
    from backend.wiring.pacing import Limit, LocalPacer, peek
    from tests.conftest import settings_for

    ctx = SimpleNamespace(pacer=LocalPacer(), settings=settings_for("sqlite://"))  # the default rates
    _hold(ctx, outage(), "sms", "+254700000001", 8.0)
    assert 7.5 < peek(ctx.pacer, [("sms", Limit(5), 1.0)]) <= 8.0
    flood = DeliveryError("Too Many Requests", permanent=False, code="429", retry_after=20, provider_wide=True)
    _hold(ctx, flood, "telegram", "42", 20.0)
    assert 19.5 < peek(ctx.pacer, [("telegram:42", Limit(1), 1.0)]) <= 20.0
    assert 0.5 < peek(ctx.pacer, [("telegram", Limit(30), 1.0)]) <= 1.0
    assert peek(ctx.pacer, [("telegram:43", Limit(1), 1.0)]) < 0.05
