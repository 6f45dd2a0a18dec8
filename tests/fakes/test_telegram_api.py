"""Tests proving FakeTelegramAPI works with the real python-telegram-bot library."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import httpx
import pytest
import telegram
from telegram import KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.error import (
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from .telegram_api import BLOCKED_DESCRIPTION, FakeTelegramAPI

TOKEN = "123456:TEST"
TESTDATA = Path(__file__).resolve().parent.parent / "bot" / "testdata" / "telegram"
PAYLOADS = [
    "text.json",
    "start.json",
    "edited_text.json",
    "sticker.json",
    "photo.json",
    "location.json",
    "voice.json",
    "contact_own.json",
    "contact_other.json",
    "contact_no_user_id.json",
    "my_chat_member_kicked.json",
    "my_chat_member_member.json",
    "callback_query.json",
    "group_text.json",
    "channel_post.json",
]


@pytest.fixture
def fake():
    with FakeTelegramAPI(TOKEN) as api:
        yield api


def run_with_bot(fake: FakeTelegramAPI, fn, token: str = TOKEN):
    """Run ``await fn(bot)`` inside ``async with Bot(...)`` against the fake."""

    async def main():
        async with telegram.Bot(token, base_url=fake.base_url) as bot:
            return await fn(bot)

    return asyncio.run(main())


def load(name: str) -> dict:
    return json.loads((TESTDATA / name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------- real PTB


def test_get_me(fake):
    me = run_with_bot(fake, lambda bot: bot.get_me())
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "nmirf_test_bot"
    # `async with bot` itself calls getMe (Bot.initialize) before ours.
    assert [m for m, _ in fake.calls] == ["getMe", "getMe"]


def test_send_message_with_contact_keyboard(fake):
    markup = ReplyKeyboardMarkup(
        [[KeyboardButton("Share my phone number", request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )

    async def send(bot):
        first = await bot.send_message(777000111, "Hello", reply_markup=markup)
        second = await bot.send_message(777000111, "Again")
        return first, second

    first, second = run_with_bot(fake, send)
    assert isinstance(first, telegram.Message)
    assert first.text == "Hello"
    assert first.chat.id == 777000111 and first.chat.type == "private"
    assert first.from_user.id == 123456
    assert second.message_id == first.message_id + 1

    sent = fake.wait_for_sent(2, timeout=1)
    assert sent[0]["chat_id"] == "777000111"
    assert sent[0]["text"] == "Hello"
    assert sent[0]["message_id"] == first.message_id
    assert sent[0]["reply_markup"] == {
        "keyboard": [[{"text": "Share my phone number", "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    assert sent[1]["reply_markup"] is None
    assert sent[0]["params"]["text"] == "Hello"


def test_set_webhook_then_get_webhook_info(fake):
    async def go(bot):
        before = await bot.get_webhook_info()
        ok = await bot.set_webhook("https://example.test/tg/hook", secret_token="s3cret-Token_1")
        after = await bot.get_webhook_info()
        assert fake.webhook["secret_token"] == "s3cret-Token_1"
        deleted = await bot.delete_webhook()
        final = await bot.get_webhook_info()
        return before, ok, after, deleted, final

    before, ok, after, deleted, final = run_with_bot(fake, go)
    assert before.url == "" and before.api_kwargs["has_secret_token"] is False
    assert ok is True
    assert after.url == "https://example.test/tg/hook"
    assert after.api_kwargs["has_secret_token"] is True
    assert deleted is True
    assert final.url == "" and fake.webhook["secret_token"] is None


def test_429_surfaces_as_retry_after(fake, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # opt in to timedelta, silences PTB warning
    fake.fail_next(1, 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(RetryAfter) as exc_info:
        run_with_bot(fake, lambda bot: bot.send_message(1, "hi"))
    assert exc_info.value.retry_after.total_seconds() == 7
    assert fake.sent == []
    assert fake.calls[-1][0] == "sendMessage"  # failed call still recorded

    # Only the next n calls fail.
    run_with_bot(fake, lambda bot: bot.send_message(1, "hi"))
    assert len(fake.sent) == 1


def test_403_surfaces_as_forbidden(fake):
    fake.block_chat(777000111)

    async def go(bot):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(777000111, "hi")
        await bot.send_message(42, "other chat still works")

    run_with_bot(fake, go)
    assert [s["chat_id"] for s in fake.sent] == ["42"]

    fake.fail_next(1, 403, BLOCKED_DESCRIPTION)
    with pytest.raises(Forbidden):
        run_with_bot(fake, lambda bot: bot.send_message(42, "hi"))


def test_500_surfaces_as_network_error(fake):
    fake.fail_next(2, 500, "Internal Server Error")

    async def go(bot):
        for _ in range(2):
            with pytest.raises(NetworkError) as exc_info:
                await bot.send_message(1, "hi")
            # NetworkError is a TelegramError; it's not a more specific subclass.
            assert isinstance(exc_info.value, TelegramError)
            assert type(exc_info.value) is NetworkError
            assert "Internal Server Error" in exc_info.value.message
        return await bot.send_message(1, "recovered")

    assert run_with_bot(fake, go).text == "recovered"


def test_storm_fails_every_send_for_a_while(fake, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    fake.storm(0.3, status=429, retry_after=2)

    async def go(bot):
        for _ in range(3):
            with pytest.raises(RetryAfter) as exc_info:
                await bot.send_message(1, "hi")
            assert exc_info.value.retry_after.total_seconds() == 2
        fake.storm(0.3, status=500)
        with pytest.raises(NetworkError):
            await bot.send_message(1, "hi")
        await asyncio.sleep(0.35)
        return await bot.send_message(1, "after the storm")

    assert run_with_bot(fake, go).text == "after the storm"
    assert [s["text"] for s in fake.sent] == ["after the storm"]
    fake.storm(60, status=500)
    fake.end_storm()
    run_with_bot(fake, lambda bot: bot.send_message(1, "ended"))
    assert len(fake.sent) == 2


def test_wrong_token_is_invalid_token(fake):
    with pytest.raises(InvalidToken):
        run_with_bot(fake, lambda bot: bot.get_me(), token="999999:WRONG")
    assert fake.calls == []  # rejected before dispatch


def test_get_updates_returns_queued_updates(fake):
    fake.queue_update(load("text.json"))
    fake.queue_update(load("contact_own.json"))

    async def go(bot):
        empty_started = time.monotonic()
        first = await bot.get_updates(timeout=0)
        second = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
        waited = await bot.get_updates(offset=first[-1].update_id + 1, timeout=5)
        return first, second, waited, time.monotonic() - empty_started

    first, second, waited, elapsed = run_with_bot(fake, go)
    assert [type(u) for u in first] == [Update, Update]
    assert first[0].message.text == "1D 2P"
    assert first[1].message.contact.phone_number == "+254700000001"
    assert second == () and waited == ()
    assert elapsed < 4  # long-poll capped at 1 s


def test_get_updates_long_poll_wakes_on_queue(fake):
    late_update = {"message": load("text.json")["message"]}  # update_id assigned by the fake
    timer = threading.Timer(0.2, fake.queue_update, args=[late_update])
    timer.start()
    updates = run_with_bot(fake, lambda bot: bot.get_updates(timeout=10))
    timer.join()
    assert len(updates) == 1 and updates[0].update_id >= 1


def test_get_updates_conflicts_with_webhook(fake):
    async def go(bot):
        await bot.set_webhook("https://example.test/hook")
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)

    run_with_bot(fake, go)


def test_set_my_commands_and_answer_callback_query(fake):
    async def go(bot):
        ok1 = await bot.set_my_commands([("start", "Start"), ("help", "Help")])
        ok2 = await bot.answer_callback_query("3337294860019817541", text="Done")
        return ok1, ok2

    assert run_with_bot(fake, go) == (True, True)
    assert fake.commands == [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Help"},
    ]
    assert fake.calls[-1] == (
        "answerCallbackQuery",
        {"callback_query_id": "3337294860019817541", "text": "Done"},
    )


# --------------------------------------------------------------------- raw wire


def test_wire_formats_and_errors(fake):
    url = f"{fake.base_url}{TOKEN}"
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}
    with httpx.Client() as client:
        # JSON body with reply_markup as a JSON-encoded string.
        body = {"chat_id": 5, "text": "json", "reply_markup": json.dumps(markup)}
        r = client.post(f"{url}/sendMessage", json=body)
        assert r.status_code == 200 and r.json()["ok"] is True
        assert r.json()["result"]["reply_markup"] == markup  # inline keyboards are echoed
        # multipart/form-data (what PTB sends when uploading files).
        r = client.post(
            f"{url}/sendMessage",
            data={"chat_id": "6", "text": "multi"},
            files={"f": ("a.txt", b"x")},
        )
        assert r.status_code == 200, r.text
        # Unknown method -> 404, bad token -> 401.
        r = client.post(f"{url}/sendTelepathy", data={"chat_id": "1"})
        assert r.status_code == 404
        assert r.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        r = client.post(f"{fake.base_url}1:nope/getMe")
        assert r.status_code == 401 and r.json()["description"] == "Unauthorized"
        # 429 body carries parameters.retry_after.
        fake.fail_next(1, 429, "Too Many Requests: retry after 3", retry_after=3)
        r = client.post(f"{url}/sendMessage", data={"chat_id": "1", "text": "x"})
        assert r.status_code == 429
        assert r.json()["parameters"] == {"retry_after": 3}

    sent = fake.sent
    assert [(s["chat_id"], s["text"]) for s in sent] == [("5", "json"), ("6", "multi")]
    assert sent[0]["reply_markup"] == markup
    assert sent[1]["params"]["f"]["data"] == b"x"


def test_wait_for_sent_timeout_and_clear(fake):
    with pytest.raises(AssertionError, match="got 0"):
        fake.wait_for_sent(1, timeout=0.1)
    run_with_bot(fake, lambda bot: bot.send_message(1, "hi"))
    assert len(fake.wait_for_sent(1)) == 1
    fake.clear()
    assert fake.sent == [] and fake.calls == []


# --------------------------------------------------------------------- payloads


def test_payload_set_is_complete():
    assert sorted(p.name for p in TESTDATA.glob("*.json")) == sorted(PAYLOADS)
    ids = [load(name)["update_id"] for name in PAYLOADS]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("name", PAYLOADS)
def test_payload_parses_as_update(name):
    bot = telegram.Bot("123456:TEST")  # de_json needs no network
    update = Update.de_json(load(name), bot)
    assert isinstance(update, Update)
    assert update.update_id == load(name)["update_id"]


def test_payload_semantics():
    bot = telegram.Bot("123456:TEST")

    def parse(name):
        return Update.de_json(load(name), bot)

    assert parse("start.json").message.entities[0].type == "bot_command"
    assert parse("edited_text.json").edited_message is not None
    own = parse("contact_own.json").message
    assert own.contact.user_id == own.from_user.id
    assert parse("contact_other.json").message.contact.user_id not in (None, 777000111)
    assert parse("contact_no_user_id.json").message.contact.user_id is None
    assert parse("my_chat_member_kicked.json").my_chat_member.new_chat_member.status == "kicked"
    assert parse("my_chat_member_member.json").my_chat_member.new_chat_member.status == "member"
    assert parse("photo.json").message.caption is None
    assert parse("group_text.json").effective_chat.id < 0
    assert parse("channel_post.json").channel_post.chat.type == "channel"
    assert parse("callback_query.json").callback_query.data == "confirm:yes"
