"""SMS and WhatsApp end to end through the real twilio client against a fake Twilio API, with the
delivery rules: channel order and failover, WhatsApp's window and templates, status callbacks,
STOP/START, strangers, segments. (The same on real Redis with two workers: test_twilio_rq.py.)"""

from __future__ import annotations

from datetime import UTC

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app import create_app
from backend.cli.prompts import send_weekly_now
from backend.inbox.models import InboxMessage
from backend.outbox.models import AddressState, OutboxMessage
from backend.progress.models import ProgressUpdate
from backend.roster.models import Person
from tests.backend.helpers import count, wait_until
from tests.backend.twilio_setup import (
    AMINA,
    AMINA_TG,
    CLAIRE,
    FATUMA,
    GRACE,
    JOSEPH,
    ROSTER,
    load,
    post_twilio,
    sms,
    twilio_settings,
    whatsapp,
)
from tests.conftest import running_context
from tests.fakes.twilio_api import FakeTwilioAPI, status_callback_params


@pytest.fixture
def fake_twilio():
    with FakeTwilioAPI() as fake:
        yield fake


@pytest.fixture
def product(database_url, fake_telegram, fake_twilio, tmp_path):
    with running_context(twilio_settings(database_url, fake_telegram, fake_twilio, sweep_interval_seconds=0.2)) as ctx:
        load(ctx, tmp_path)
        with TestClient(create_app(ctx, run_jobs=True)) as client:
            yield ctx, client, fake_telegram, fake_twilio


def rows(ctx, **where):
    with ctx.db.transaction() as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        for key, value in where.items():
            query = query.where(getattr(OutboxMessage, key) == value)
        return s.scalars(query).all()


def settled(ctx, n: int | None = None):
    def done():
        all_rows = rows(ctx)
        return (n is None or len(all_rows) == n) and all(r.status not in ("queued", "sending") for r in all_rows)

    wait_until(done, timeout=20, message="every message sent or failed")
    return rows(ctx)


def test_weekly_prompts_go_out_on_each_persons_first_usable_channel(product):
    """Amina on Telegram, SMS-only people by SMS, Grace on WhatsApp by template (outside the
    window), Claire (WhatsApp only, no French template) falls back to the English template."""
    ctx, _client, telegram, twilio = product
    send_weekly_now(ctx)
    by_person = {r.address: r for r in settled(ctx, 5)}
    assert by_person[str(AMINA_TG)].channel == "telegram" and len(telegram.sent) == 1
    assert {by_person[p].channel for p in (JOSEPH, FATUMA)} == {"sms"}
    sent = {m["to"]: m for m in twilio.messages}
    assert sent[FATUMA]["body"].startswith("Week of") and sent[FATUMA]["from"] == "+15005550006"
    assert sent[FATUMA]["status_callback"] == "https://bot.example.org/webhooks/twilio/status"
    assert by_person[FATUMA].segments == 1
    grace = sent[f"whatsapp:{GRACE}"]
    assert grace["content_sid"] == "HXweekly_en" and not grace["body"]
    assert grace["content_variables"]["1"] == "Grace" and "1 Deploy mobile maternal" in grace["content_variables"]["2"]
    assert sent[f"whatsapp:{CLAIRE}"]["content_sid"] == "HXweekly_en"


def test_inside_the_whatsapp_window_free_text_goes_out(product):
    """Someone who wrote on WhatsApp in the last 24 hours gets the prompt itself, not a template."""
    ctx, client, _telegram, twilio = product
    post_twilio(client, "/webhooks/twilio/whatsapp", whatsapp("SMin1", GRACE, "hello"))
    settled(ctx, 1)
    send_weekly_now(ctx, GRACE)
    settled(ctx, 2)
    prompt = twilio.messages[-1]
    assert prompt["to"] == f"whatsapp:{GRACE}" and prompt["content_sid"] is None
    assert prompt["body"].startswith("Week of")


def test_no_template_falls_back_to_sms_and_says_why(tmp_path, database_url, fake_telegram, fake_twilio):
    """A kind with no WhatsApp template is not sent on WhatsApp but on the next channel, and the
    secretariat can read why."""
    settings = twilio_settings(database_url, fake_telegram, fake_twilio, whatsapp_templates={})
    with running_context(settings) as ctx:
        ctx.dispatcher.start()
        load(ctx, tmp_path)
        report = send_weekly_now(ctx)
        assert any(
            name == "Claire Dupont" and "no template for weekly_prompt in fr" in why for name, why in report["skipped"]
        )
        settled(ctx, 4)
        grace = rows(ctx, person_id=2)[0]
        assert grace.channel == "sms" and grace.status == "sent"
        assert [m["to"] for m in fake_twilio.messages if m["to"].endswith(GRACE)] == [GRACE]


def test_telegram_blocked_falls_over_to_sms(product):
    """Amina blocked the bot on Telegram: the prompt reaches her by SMS, and the row says so."""
    ctx, _client, telegram, twilio = product
    telegram.block_chat(AMINA_TG)
    send_weekly_now(ctx, AMINA)
    [row] = settled(ctx, 1)
    assert row.status == "sent" and row.channel == "sms" and row.address == AMINA
    assert row.route[0]["channel"] == "telegram" and "blocked" in row.route[0]["error"]
    assert [m["to"] for m in twilio.messages] == [AMINA] and telegram.sent == []
    # Rendered again for SMS: the title cut to the segment budget, not the Telegram text.
    assert "1 Draft the Children Protection Bill and submit it to Cabinet" in row.text
    body = twilio.messages[0]["body"]
    assert body == row.sms_text and "1 Draft the Children Protection Bil..." in body and row.segments == 1


def test_undelivered_status_callback_moves_to_the_next_channel(product):
    """WhatsApp reports `undelivered` for Grace's template: the prompt goes again by SMS."""
    ctx, client, _telegram, twilio = product
    send_weekly_now(ctx, GRACE)
    settled(ctx, 1)
    first = twilio.messages[0]
    r = post_twilio(client, "/webhooks/twilio/status", status_callback_params(first, "undelivered", error_code=63016))
    assert r.status_code == 200
    wait_until(lambda: len(twilio.messages) == 2)
    [row] = settled(ctx, 1)
    assert (row.channel, row.status, twilio.messages[1]["to"]) == ("sms", "sent", GRACE)
    assert "63016" in row.route[0]["error"]
    post_twilio(client, "/webhooks/twilio/status", status_callback_params(twilio.messages[1], "delivered"))
    assert rows(ctx)[0].status == "delivered"


def test_status_callbacks_never_go_backwards_and_unknown_ones_are_recorded(product):
    """`sent` after `delivered` keeps `delivered`; an unknown status is recorded as an error."""
    ctx, client, _telegram, twilio = product
    send_weekly_now(ctx, FATUMA)
    settled(ctx, 1)
    msg = twilio.messages[0]
    for status in ("delivered", "sent", "queued"):
        post_twilio(client, "/webhooks/twilio/status", status_callback_params(msg, status))
    assert rows(ctx)[0].status == "delivered"
    r = post_twilio(client, "/webhooks/twilio/status", status_callback_params(msg, "teleported"))
    assert r.status_code == 200 and "unknown" in r.json()["error"]
    assert "unknown delivery status 'teleported'" in rows(ctx)[0].error


def test_sms_reply_is_recorded_and_answered_by_sms(product):
    """Fatuma answers the prompt by SMS; her update is stored and the confirmation comes by SMS."""
    ctx, client, _telegram, twilio = product
    send_weekly_now(ctx, FATUMA)
    settled(ctx, 1)
    r = post_twilio(client, "/webhooks/twilio/sms", sms("SMr1", FATUMA, "1P shelter site chosen"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    settled(ctx, 2)
    assert twilio.messages[-1]["to"] == FATUMA and "1 in progress" in twilio.messages[-1]["body"]
    with ctx.db.transaction() as s:
        update = s.scalar(select(ProgressUpdate))
        assert (update.status, update.note) == ("in_progress", "shelter site chosen")


@pytest.mark.parametrize("signature", [None, "bad"])
def test_forged_twilio_webhooks_store_nothing(product, signature):
    """A missing or wrong X-Twilio-Signature gets 403 and leaves no trace."""
    ctx, client, _telegram, _twilio = product
    for path in ("/webhooks/twilio/sms", "/webhooks/twilio/whatsapp", "/webhooks/twilio/status"):
        assert post_twilio(client, path, sms("SMx", FATUMA, "1D"), signature=signature).status_code == 403
    assert count(ctx, InboxMessage) == 0


def test_stop_is_respected_by_every_later_send_and_start_undoes_it(product):
    """STOP by SMS opts Fatuma out (Twilio answers STOP itself, so we do not); her next prompt is
    not sent; START brings her back with a welcome."""
    ctx, client, _telegram, twilio = product
    post_twilio(client, "/webhooks/twilio/sms", sms("SMs1", FATUMA, "STOP"))
    wait_until(lambda: count(ctx, InboxMessage, InboxMessage.status == "done") == 1)
    report = send_weekly_now(ctx, FATUMA)
    assert report["queued"] == [] and "opted out" in report["skipped"][0][1]
    assert twilio.messages == []
    post_twilio(client, "/webhooks/twilio/sms", sms("SMs2", FATUMA, "start"))
    settled(ctx, 1)
    assert "Welcome back" in twilio.messages[0]["body"]
    assert send_weekly_now(ctx, FATUMA)["queued"]


def test_provider_opt_out_error_marks_the_address(product):
    """Twilio's 21610 (the person opted out with the carrier) is not retried and is remembered."""
    ctx, _client, _telegram, twilio = product
    twilio.reject_number(JOSEPH, code=21610)
    send_weekly_now(ctx, JOSEPH)
    [row] = settled(ctx, 1)
    assert row.status == "failed" and "21610" in row.error
    assert len([r for r in twilio.requests if r.params.get("To") == JOSEPH]) == 1
    with ctx.db.transaction() as s:
        assert s.scalar(select(AddressState).where(AddressState.address == JOSEPH)).opted_out_at is not None


def test_a_stranger_gets_one_answer_a_day_and_no_data(product):
    """An unknown number is told it is not registered once a day, and learns nothing else."""
    ctx, client, _telegram, twilio = product
    for n in range(3):
        post_twilio(client, "/webhooks/twilio/sms", sms(f"SMu{n}", "+254799999999", "STATUS"))
    wait_until(lambda: count(ctx, InboxMessage, InboxMessage.status == "done") == 3)
    settled(ctx, 1)
    assert [m["body"] for m in twilio.messages] == [
        "This number is not registered with the NMIRF focal point network. "
        "Please ask your NMIRF secretariat to add you."
    ]


def test_media_only_sms_gets_asked_for_text(product):
    """A photo by MMS or WhatsApp is answered with a request for text."""
    ctx, client, _telegram, twilio = product
    pairs = [(k, v) for k, v in sms("SMm1", FATUMA, "") if k != "NumMedia"] + [
        ("NumMedia", "1"),
        ("MediaUrl0", "https://x/y.jpg"),
    ]
    post_twilio(client, "/webhooks/twilio/sms", pairs)
    settled(ctx, 1)
    assert "reply with text" in twilio.messages[0]["body"]


def test_a_number_that_changes_owner_does_not_carry_the_old_conversation(product, tmp_path):
    """When the roster gives Fatuma's number to someone else, the new owner does not see her
    open prompt, and her history stays hers."""
    ctx, client, _telegram, twilio = product
    send_weekly_now(ctx, FATUMA)
    settled(ctx, 1)
    post_twilio(client, "/webhooks/twilio/sms", sms("SMo1", FATUMA, "1P"))
    settled(ctx, 2)
    moved = (
        ROSTER.replace(f"Fatuma Achieng,{FATUMA}", "Fatuma Achieng,+254700000066")
        + f"KSM,County Government of Kisumu,local,Kisumu,Omar Said,{FATUMA},,sms,en,Africa/Nairobi,2\n"
    )
    load(ctx, tmp_path, moved)
    post_twilio(client, "/webhooks/twilio/sms", sms("SMo2", FATUMA, "1D"))
    settled(ctx, 3)
    assert "Hello Omar. Nothing is waiting" in twilio.messages[-1]["body"]
    with ctx.db.transaction() as s:
        omar = s.scalar(select(Person).where(Person.phone == FATUMA))
        updates = s.scalars(select(ProgressUpdate)).all()
        assert omar.name == "Omar Said" and [u.person.name for u in updates] == ["Fatuma Achieng"]


def test_sms_text_is_folded_to_gsm7_and_segments_recorded(product):
    """Curly quotes and dashes never push an SMS into UCS-2; the row records its segments."""
    ctx, _client, _telegram, twilio = product
    from datetime import datetime

    from backend.outbox import start as pipeline

    with ctx.db.transaction() as s:
        row = pipeline.queue_outbound(
            s,
            key="t1",
            channel="sms",
            address=FATUMA,
            kind="reply",
            person_id=4,
            text="It’s “done” — thanks",
            now=datetime.now(UTC),
        )
        row_id = row.id
    ctx.dispatcher.enqueue_send(row_id, 0)
    settled(ctx, 1)
    assert twilio.messages[0]["body"] == 'It\'s "done" - thanks'
    assert rows(ctx)[0].segments == 1


def test_messages_list_shows_the_secretariat_where_each_message_went(product, monkeypatch, capsys):
    """`nmirf messages list` says which channel carried a message and why others were skipped."""
    from backend.cli import main
    from backend.config import get_settings

    ctx, _client, telegram, _twilio = product
    telegram.block_chat(AMINA_TG)
    send_weekly_now(ctx, AMINA)
    settled(ctx, 1)
    monkeypatch.setenv("DATABASE_URL", ctx.settings.database_url)
    get_settings.cache_clear()
    try:
        assert main(["messages", "list"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert f"weekly_prompt sms:{AMINA} sent 1 seg tried [telegram: Forbidden: bot was blocked by the user]" in out
