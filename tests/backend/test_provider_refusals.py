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
