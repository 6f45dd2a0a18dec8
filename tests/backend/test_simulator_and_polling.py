"""The simulator channel's webhook, and Telegram polling mode (no public URL) feeding the same inbox."""

from __future__ import annotations

import json
from datetime import UTC

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app import create_app
from backend.inbox.models import InboxMessage
from backend.inbox.polling import poll, set_webhook
from backend.progress.models import ProgressUpdate
from tests.backend.helpers import TELEGRAM_DATA, count, wait_until
from tests.conftest import import_demo, running_context, settings_for


@pytest.fixture
def product(sqlite_url, fake_telegram):
    settings = settings_for(sqlite_url, telegram_api_base_url=fake_telegram.base_url)
    with running_context(settings) as ctx:
        import_demo(ctx)
        with TestClient(create_app(ctx, run_jobs=True)) as client:
            yield ctx, client, fake_telegram


@pytest.mark.parametrize(
    "body", [b"nope", b"{}", b'{"from": "", "text": "x"}', b'{"from": "+254700000001", "text": 5}']
)
def test_simulator_rejects_malformed_posts(product, body):
    """A malformed simulator post gets 400 with the expected shape, and nothing is stored."""
    ctx, client, _fake = product
    r = client.post("/webhooks/simulator", content=body)
    assert r.status_code == 400 and '"from"' in r.json()["error"]
    assert count(ctx, InboxMessage) == 0


def test_simulator_round_trip_and_duplicate_id(product):
    """A simulator message is handled like any channel's, and a repeated id has no second effect."""
    ctx, client, _fake = product
    from backend.cli.prompts import send_weekly_now

    send_weekly_now(ctx, "+254700000005")
    for _ in range(2):
        r = client.post(
            "/webhooks/simulator", json={"from": "+254700000005", "text": "1 blocked no trainers", "id": "m1"}
        )
        assert r.status_code == 200
    wait_until(
        lambda: (
            count(ctx, ProgressUpdate) == 1
            and len(client.get("/simulator/messages", params={"phone": "+254700000005"}).json()["messages"]) == 2
        )
    )
    messages = client.get("/simulator/messages", params={"phone": "+254700000005"}).json()["messages"]
    assert messages[0]["kind"] == "weekly_prompt" and "1 blocked" in messages[1]["text"]
    assert count(ctx, InboxMessage) == 1


def test_polling_feeds_the_inbox_and_set_webhook_sends_the_secret(product):
    """`nmirf telegram poll` stores updates like the webhook does; `set-webhook` registers the
    public URL with the secret token."""
    ctx, _client, fake = product
    update = json.loads((TELEGRAM_DATA / "start.json").read_text())
    fake.queue_update(update)
    poll(ctx, rounds=2, timeout=0)
    wait_until(lambda: len(fake.sent) == 1, message="the answer to /start")
    with ctx.db.transaction() as s:
        row = s.scalar(select(InboxMessage))
        assert row.channel == "telegram" and row.provider_id == str(update["update_id"])
    assert "Share my phone number" in fake.sent[0]["text"]

    assert "https://bot.example.org/webhooks/telegram" in set_webhook(ctx)
    assert fake.webhook["url"] == "https://bot.example.org/webhooks/telegram"
    assert fake.webhook["secret_token"] == ctx.settings.telegram_webhook_secret


def test_lang_changes_the_language_of_every_later_message(product):
    """`LANG fr` through the simulator stores the choice; what follows, including this week's
    prompt, comes in French."""
    from backend.cli.prompts import send_weekly_now
    from backend.roster.models import Person
    from conversations import weekly
    from conversations.i18n import T

    ctx, client, _fake = product
    phone = "+254700000005"
    client.post("/webhooks/simulator", json={"from": phone, "text": "LANG fr", "id": "l1"})
    wait_until(lambda: len(client.get("/simulator/messages", params={"phone": phone}).json()["messages"]) == 1)
    with ctx.db.transaction() as s:
        assert s.scalar(select(Person.language).where(Person.phone == phone)) == "fr"
    send_weekly_now(ctx, phone)
    wait_until(lambda: len(client.get("/simulator/messages", params={"phone": phone}).json()["messages"]) == 2)
    messages = client.get("/simulator/messages", params={"phone": phone}).json()["messages"]
    assert messages[0]["text"] == T("fr")("Language set to {language}.", language="français")
    legend = weekly._legend(T("fr"))
    assert messages[1]["text"].endswith(legend) and legend != weekly._legend(T("en"))
    assert "1T 2E" in legend  # French status letters


def test_away_hands_the_weekly_prompt_to_the_substitute_until_back(product):
    """Amina (MOJ lead) sends AWAY: this week's MOJ prompt goes to Peter, her substitute; after
    BACK it is hers again."""
    from datetime import datetime, timedelta

    from backend.roster.models import Person
    from backend.sessions.prompts import send_weekly

    ctx, client, _fake = product
    amina, peter = "+254700000001", "+254711000002"

    def say(text, n):
        client.post("/webhooks/simulator", json={"from": amina, "text": text, "id": f"a{n}"})
        wait_until(lambda: len(client.get("/simulator/messages", params={"phone": amina}).json()["messages"]) == n)

    def prompted(now):
        with ctx.db.transaction() as s:
            report = send_weekly(
                s, now=now, timeout=timedelta(hours=72), settings=ctx.settings, configured=ctx.configured
            )
            return {row.address: (row.text, row.sms_text) for row in report["queued"]}

    say("AWAY 2099-01-01", 1)
    with ctx.db.transaction() as s:
        assert str(s.scalar(select(Person.away_until).where(Person.phone == amina))) == "2099-01-01"
    this_week = prompted(datetime.now(UTC))
    assert amina not in this_week and this_week[peter][0].startswith("Week of")
    # In full for a chat app; by SMS (if it fails over) the title is cut to the segment budget.
    text, sms_text = this_week[peter]
    assert "1 Draft the Children Protection Bill and submit it to Cabinet" in text
    assert "1 Draft the Children Protection Bil..." in sms_text
    say("BACK", 2)
    next_week = prompted(datetime.now(UTC) + timedelta(days=7))
    assert peter not in next_week and next_week[amina][0].startswith("Week of")


def test_community_report_is_stored_as_a_community_level_update(product):
    """A report sent through the simulator lands as a community-level progress update with its place."""
    from backend.progress.models import ProgressUpdate

    ctx, client, _fake = product
    phone = "+254700000006"  # Fatuma, County Government of Kisumu
    # Fatuma's list: her county's action, then the recommendation clusters it answers.
    for n, text in enumerate(["REPORT", "1", "Kondele ward", "Shelter site chosen with elders", "45"], 1):
        client.post("/webhooks/simulator", json={"from": phone, "text": text, "id": f"r{n}"})
        wait_until(lambda: len(client.get("/simulator/messages", params={"phone": phone}).json()["messages"]) == n)
    with ctx.db.transaction() as s:
        update = s.scalar(select(ProgressUpdate))
        assert (update.level, update.locality, update.people_reached, update.status, update.action.code) == (
            "community",
            "Kondele ward",
            45,
            "in_progress",
            "KSM-1",
        )
        assert update.note == "Shelter site chosen with elders"
