"""bot/handlers/telegram.py on recorded Telegram payloads: every kind of update becomes one of our
types, nothing raises, forged and malformed requests are refused."""

import json
from pathlib import Path

import pytest

from bot.handlers import telegram
from bot.message import ChannelEvent, ContentKind, EventKind, Ignored, InboundMessage, WebhookRejected

DATA = Path(__file__).parent / "testdata" / "telegram"


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_text_message_becomes_inbound_text():
    """A typed reply arrives as text from the chat, keyed by update_id."""
    msg = telegram.parse_update(load("text.json"))
    assert isinstance(msg, InboundMessage)
    assert msg.kind is ContentKind.TEXT and msg.text == "1D 2P"
    assert msg.address.channel.value == "telegram" and msg.address.id == "777000111"
    assert msg.provider_id == str(json.loads(load("text.json"))["update_id"])
    assert msg.received_at is not None and msg.received_at.tzinfo is not None


def test_start_command_and_edited_message():
    """/start is a command; an edited message is read again as text, marked edited."""
    assert telegram.parse_update(load("start.json")).kind is ContentKind.COMMAND
    edited = telegram.parse_update(load("edited_text.json"))
    assert edited.kind is ContentKind.TEXT and edited.edited


@pytest.mark.parametrize("name", ["sticker.json", "photo.json", "location.json", "voice.json"])
def test_non_text_messages_are_unsupported_not_errors(name):
    """Stickers, photos, locations and voice notes are recognised so the bot can ask for text."""
    msg = telegram.parse_update(load(name))
    assert isinstance(msg, InboundMessage) and msg.kind is ContentKind.UNSUPPORTED


def test_contact_is_own_only_when_user_id_is_the_sender():
    """A shared contact counts as the sender's own number only when Telegram vouches for it."""
    own = telegram.parse_update(load("contact_own.json"))
    assert own.kind is ContentKind.CONTACT and own.contact.own and own.contact.phone.endswith("254700000001")
    assert not telegram.parse_update(load("contact_other.json")).contact.own
    assert not telegram.parse_update(load("contact_no_user_id.json")).contact.own


def test_blocking_and_unblocking_the_bot_are_channel_events():
    """When a person blocks or unblocks the bot we learn it as an event on their address."""
    blocked = telegram.parse_update(load("my_chat_member_kicked.json"))
    assert isinstance(blocked, ChannelEvent) and blocked.kind is EventKind.BLOCKED
    assert telegram.parse_update(load("my_chat_member_member.json")).kind is EventKind.START


@pytest.mark.parametrize("name", ["callback_query.json", "group_text.json", "channel_post.json"])
def test_updates_we_do_not_use_are_ignored(name):
    """Groups, channels and button callbacks are acknowledged and ignored, never answered."""
    assert isinstance(telegram.parse_update(load(name)), Ignored)


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"hello": 1}', b'{"update_id": "x", "message": 5}', b"\xff\xfe"])
def test_malformed_bodies_are_rejected_with_400(body):
    """Garbage is refused with a 400 and a reason, never a crash."""
    with pytest.raises(WebhookRejected) as err:
        telegram.parse_update(body)
    assert err.value.status == 400


def test_secret_token_is_checked():
    """Only Telegram, which knows the secret, can post updates."""
    telegram.verify_secret("s3cret", "s3cret")
    for received in (None, "", "wrong", "s3cret "):
        with pytest.raises(WebhookRejected) as err:
            telegram.verify_secret("s3cret", received)
        assert err.value.status == 403
    with pytest.raises(WebhookRejected):
        telegram.verify_secret("", "anything")  # no secret configured: refuse, never accept all
