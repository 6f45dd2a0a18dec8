"""A weekly progress update travelling end to end on Telegram: prompt out through the real
python-telegram-bot to a fake Bot API server, reply in through the webhook, update in the store,
confirmation out. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app import create_app
from backend.cli.prompts import send_weekly_now
from backend.imports.catalog import import_actions, import_recommendations
from backend.imports.roster import import_roster
from backend.inbox.models import InboxMessage
from backend.outbox.models import AddressState, OutboxMessage
from backend.progress.models import ProgressUpdate
from backend.roster.models import Person
from tests.backend.helpers import (
    AMINA_TG,
    count,
    outbox_status,
    post_telegram,
    telegram_roster,
    telegram_update,
    text_update,
    wait_until,
)
from tests.conftest import DEMO, running_context, settings_for


@pytest.fixture
def product(database_url, fake_telegram, tmp_path):
    settings = settings_for(database_url, telegram_api_base_url=fake_telegram.base_url, sweep_interval_seconds=0.2)
    with running_context(settings) as ctx:
        with ctx.db.transaction() as s:
            import_roster(s, telegram_roster(tmp_path))
            import_recommendations(s, DEMO / "recommendations.csv")
            import_actions(s, DEMO / "actions.csv")
        with TestClient(create_app(ctx, run_jobs=True)) as client:
            yield ctx, client, fake_telegram


def settle(ctx):
    assert ctx.dispatcher.wait_idle(15), "jobs did not finish"


def test_weekly_prompt_reply_and_confirmation(product):
    """Amina gets this week's prompt, answers `1D 2P 120 campaign started`, both updates are stored
    with the figure and note, and the confirmation echoes them."""
    ctx, client, fake = product
    report = send_weekly_now(ctx)
    assert [row.channel for row in report["queued"]].count("telegram") == 1
    prompt = fake.wait_for_sent(1)[0]
    assert prompt["chat_id"] == str(AMINA_TG)
    # Telegram carries the full titles (SMS would cut them to its segment budget).
    assert "1 Draft the Children Protection Bill and submit it to Cabinet" in prompt["text"]
    assert "2 Run a birth registration" in prompt["text"]

    r = post_telegram(client, text_update(900001, "1D 2P 120 campaign started"))
    assert r.status_code == 200 and r.json() == {"ok": True, "duplicate": False}
    settle(ctx)
    confirmation = fake.wait_for_sent(2)[1]
    assert "1 done; 2 in progress (120)" in confirmation["text"]

    with ctx.db.transaction() as s:
        updates = s.scalars(select(ProgressUpdate).order_by(ProgressUpdate.id)).all()
        assert [(u.action.code, u.status) for u in updates] == [("MOJ-1", "completed"), ("MOJ-2", "in_progress")]
        assert updates[1].indicator_value == 120 and updates[1].note == "campaign started"
        inbox = s.scalar(select(InboxMessage).where(InboxMessage.provider_id == "900001"))
        assert inbox.status == "done" and all(u.inbound_id == inbox.id for u in updates)
        statuses = s.scalars(select(OutboxMessage.status).where(OutboxMessage.channel == "telegram")).all()
        assert statuses == ["sent", "sent"]

    # The optional note, then nothing more is waiting.
    post_telegram(client, text_update(900002, "Cabinet meets in January"))
    settle(ctx)
    assert "Note added" in fake.wait_for_sent(3)[2]["text"]
    with ctx.db.transaction() as s:
        notes = s.scalars(select(ProgressUpdate.note).order_by(ProgressUpdate.id)).all()
    assert notes == ["Cabinet meets in January", "campaign started | Cabinet meets in January"]


def test_duplicate_delivery_has_no_second_effect(product):
    """Telegram retrying a webhook (same update_id) is acknowledged, and nothing happens twice."""
    ctx, client, fake = product
    send_weekly_now(ctx)
    fake.wait_for_sent(1)
    body = text_update(900010, "1D 2B")
    first = post_telegram(client, body)
    settle(ctx)
    again = [post_telegram(client, body) for _ in range(3)]
    settle(ctx)
    assert first.json()["duplicate"] is False and all(r.json()["duplicate"] for r in again)
    assert count(ctx, InboxMessage) == 1
    assert count(ctx, ProgressUpdate) == 2
    assert len(fake.wait_for_sent(2)) == 2


def test_weekly_prompt_is_sent_once_per_week(product):
    """Running the weekly command twice in one week does not prompt anyone twice."""
    ctx, _client, fake = product
    send_weekly_now(ctx)
    second = send_weekly_now(ctx)
    assert second["queued"] == [] and any("already prompted" in why for _n, why in second["skipped"])
    settle(ctx)
    assert len(fake.sent) == 1


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
def test_bad_secret_token_is_refused_and_nothing_stored(product, secret):
    """A forged webhook (missing or wrong secret) gets 403 and leaves no trace."""
    ctx, client, fake = product
    r = post_telegram(client, text_update(900020, "1D"), secret=secret)
    assert r.status_code == 403
    assert count(ctx, InboxMessage) == 0 and fake.sent == []


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"update_id": "abc"}'])
def test_malformed_json_gets_400_and_nothing_stored(product, body):
    """An unreadable body is refused with a reason; nothing is stored or answered."""
    ctx, client, fake = product
    r = post_telegram(client, body)
    assert r.status_code == 400 and "unreadable Telegram update" in r.json()["error"]
    assert count(ctx, InboxMessage) == 0


def test_linking_a_telegram_account_by_sharing_ones_own_number(product):
    """An unknown Telegram user is offered the share-my-number button; sharing their own roster
    number links the account; someone else's number is refused."""
    ctx, client, fake = product
    stranger = 555000111
    post_telegram(client, text_update(900030, "hello", user_id=stranger))
    settle(ctx)
    welcome = fake.wait_for_sent(1)[0]
    assert welcome["chat_id"] == str(stranger) and "Share my phone number" in welcome["text"]
    button = welcome["reply_markup"]["keyboard"][0][0]
    assert button["request_contact"] is True

    # Someone else's contact card (a roster phone, but not the sender's): refused, no link.
    post_telegram(client, telegram_update("contact_other.json", update_id=900031))
    settle(ctx)
    assert "your own number" in fake.wait_for_sent(2)[1]["text"]

    # Grace's own number, vouched for by Telegram: linked.
    own = telegram_update("contact_own.json", update_id=900032)
    own = own.replace(b"+254700000001", b"+254722000003").replace(b"254700000001", b"254722000003")
    post_telegram(client, own)
    settle(ctx)
    assert "Thank you, Grace" in fake.wait_for_sent(3)[2]["text"]
    with ctx.db.transaction() as s:
        grace = s.scalar(select(Person).where(Person.phone == "+254722000003"))
        assert grace.telegram_user_id == AMINA_TG  # the id in the recorded payload
        amina = s.scalar(select(Person).where(Person.phone == "+254700000001"))
        assert amina.telegram_user_id is None  # one Telegram account, one person


def test_unknown_sender_learns_nothing(product):
    """A Telegram user not in the roster gets a polite reply and no data about anyone."""
    ctx, client, fake = product
    send_weekly_now(ctx)
    fake.wait_for_sent(1)
    post_telegram(client, text_update(900040, "STATUS", user_id=424242))
    settle(ctx)
    reply = fake.wait_for_sent(2)[1]
    assert reply["chat_id"] == "424242"
    assert "Amina" not in reply["text"] and "Draft" not in reply["text"]
    assert count(ctx, ProgressUpdate) == 0


@pytest.mark.parametrize("name", ["sticker.json", "photo.json", "voice.json", "location.json"])
def test_non_text_gets_a_polite_request_for_text(product, name):
    """Stickers, photos, voice and locations do not crash anything; the person is asked for text."""
    ctx, client, fake = product
    r = post_telegram(client, telegram_update(name))
    assert r.status_code == 200
    settle(ctx)
    assert "reply with text" in fake.wait_for_sent(1)[0]["text"]


def test_telegram_outage_is_retried_then_delivered(product):
    """A 500 and a 429 from Telegram are retried (honouring retry_after) and the reply still arrives
    once. Both are the provider's refusals, not the message's: they are counted apart and leave
    the message's attempts untouched."""
    ctx, client, fake = product
    fake.fail_next(1, 500)
    fake.fail_next(1, 429, "Too Many Requests: retry after 1", retry_after=1)
    post_telegram(client, text_update(900050, "help"))
    wait_until(lambda: outbox_status(ctx) == [("sent", 1)], timeout=20, message="the reply to be sent")
    assert len(fake.sent) == 1
    with ctx.db.transaction() as s:
        assert s.scalar(select(OutboxMessage.provider_errors)) == 2


def test_bot_blocked_is_a_permanent_failure(product):
    """A person who blocked the bot is not retried endlessly: with no other channel the send
    fails, saying why, and the address is marked unreachable for later sends."""
    ctx, client, fake = product
    fake.block_chat(AMINA_TG)
    send_weekly_now(ctx)
    wait_until(lambda: [s for s, _ in outbox_status(ctx)] == ["failed"], message="the send to fail")
    with ctx.db.transaction() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.channel == "telegram"))
        assert row.error.startswith("no channel left: telegram: Forbidden: bot was blocked")
        assert [step["channel"] for step in row.route] == ["telegram"]
        state = s.scalar(select(AddressState).where(AddressState.address == str(AMINA_TG)))
        assert state.unreachable_at is not None
    assert len([c for c in fake.calls if c[0] == "sendMessage"]) == 1
