"""bot/channel.py: every registered handler implements the one Channel interface, on recorded
payloads: verify and parse a webhook, say when it cannot send, and classify provider errors."""

from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl

import pytest

from bot import handlers
from bot.channel import Channel, ErrorKind, WebhookRequest
from bot.handlers import simulator, telegram, twilio
from bot.message import (
    ContentKind,
    DeliveryError,
    DeliveryStatus,
    InboundMessage,
    OutboundMessage,
    StatusUpdate,
    WebhookRejected,
)
from tests.fakes.twilio_signing import sign

DATA = Path(__file__).parent / "testdata"
BASE = "https://bot.example.org"
TOKEN = "test-auth-token"


def settings(**changes):
    values = dict(
        telegram_bot_token="123:ABC",
        telegram_webhook_secret="s3cret",
        telegram_api_base_url="http://127.0.0.1:9/bot",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=TOKEN,
        twilio_enabled=True,
        twilio_api_base_url="http://127.0.0.1:9",
        twilio_sms_from="+15005550006",
        twilio_messaging_service_sid="",
        twilio_whatsapp_from="+15005550007",
        public_base_url=BASE,
        simulator_enabled=True,
    )
    values.update(changes)
    return SimpleNamespace(**values)


@pytest.fixture
def channels():
    built = handlers.build(settings())
    yield built
    for channel in built.values():
        channel.close()


def request(path: str, body: bytes, **headers: str) -> WebhookRequest:
    return WebhookRequest(
        method="POST", url=BASE + path, path=path, headers={k.lower(): v for k, v in headers.items()}, body=body
    )


def test_every_registered_channel_implements_the_protocol(channels):
    """Each name the registry lists has one object that is a bot.channel.Channel, with its
    webhook paths distinct from every other channel's."""
    assert tuple(channels) == handlers.channel_names() == ("telegram", "sms", "whatsapp", "simulator")
    paths = [hook.path for channel in channels.values() for hook in channel.webhooks]
    assert len(paths) == len(set(paths))
    for name, channel in channels.items():
        assert isinstance(channel, Channel) and channel.name == name


def test_telegram_verifies_its_secret_and_parses_a_recorded_update(channels):
    """The Telegram channel accepts its secret token only, and turns the update into our types."""
    body = (DATA / "telegram" / "text.json").read_bytes()
    tg = channels["telegram"]
    with pytest.raises(WebhookRejected) as refused:
        tg.verify(request("/webhooks/telegram", body, **{telegram.SECRET_HEADER: "wrong"}))
    assert refused.value.status == 403
    ok = request("/webhooks/telegram", body, **{telegram.SECRET_HEADER: "s3cret"})
    tg.verify(ok)
    [message] = tg.parse(ok)
    assert isinstance(message, InboundMessage) and message.address.channel_name == "telegram"


def test_twilio_verifies_the_signature_over_the_public_url(channels):
    """SMS and status callbacks are checked against the public URL and every form field."""
    body = (DATA / "twilio" / "sms_text.txt").read_bytes()
    signature = sign(TOKEN, BASE + "/webhooks/twilio/sms", parse_qsl(body.decode(), keep_blank_values=True))
    sms = channels["sms"]
    sms.verify(request("/webhooks/twilio/sms", body, **{twilio.SIGNATURE_HEADER: signature}))
    with pytest.raises(WebhookRejected) as refused:  # the same signature does not fit another URL
        sms.verify(request("/webhooks/twilio/whatsapp", body, **{twilio.SIGNATURE_HEADER: signature}))
    assert refused.value.status == 403
    [message] = sms.parse(request("/webhooks/twilio/sms", body))
    assert message.kind is ContentKind.TEXT and message.address.channel_name == "sms"
    status = (DATA / "twilio" / "status_delivered.txt").read_bytes()
    [update] = sms.parse(request("/webhooks/twilio/status", status))
    assert isinstance(update, StatusUpdate) and update.status is DeliveryStatus.DELIVERED


def test_twilio_without_an_account_answers_503_and_says_what_to_set():
    """A deployment without Twilio refuses its webhooks with the reason, and cannot send."""
    built = handlers.build(settings(twilio_enabled=False, twilio_account_sid="", twilio_auth_token=""))
    with pytest.raises(WebhookRejected) as refused:
        built["sms"].verify(request("/webhooks/twilio/sms", b"From=%2B1"))
    assert refused.value.status == 503 and "TWILIO_ACCOUNT_SID" in str(refused.value)
    assert "TWILIO_SMS_FROM" in built["sms"].ready() and "TWILIO_WHATSAPP_FROM" in built["whatsapp"].ready()
    with pytest.raises(DeliveryError) as failed:
        built["whatsapp"].send(OutboundMessage(address=simulator_address(), text="x", key="k"))
    assert failed.value.permanent and failed.value.code == "unconfigured"


def simulator_address():
    return simulator.parse(b'{"from": "+254700000001", "text": "hi"}').address


def test_telegram_without_a_token_cannot_send_and_says_why():
    """No bot token: the channel is not ready and every send fails for good, naming the setting."""
    tg = handlers.build(settings(telegram_bot_token=""))["telegram"]
    assert tg.ready() == "set TELEGRAM_BOT_TOKEN"
    with pytest.raises(DeliveryError) as failed:
        tg.send(OutboundMessage(address=simulator_address(), text="x", key="k"))
    assert failed.value.permanent and "TELEGRAM_BOT_TOKEN" in str(failed.value)


@pytest.mark.parametrize(
    "name,error,kind",
    [
        ("telegram", DeliveryError("blocked", permanent=True, code="403"), ErrorKind.UNREACHABLE),
        ("telegram", DeliveryError("bad", permanent=True, code="400"), ErrorKind.FAILED),
        ("telegram", DeliveryError("slow down", permanent=False, code="429", retry_after=3), ErrorKind.RETRY),
        ("sms", DeliveryError("stopped", permanent=True, code="21610"), ErrorKind.OPTED_OUT),
        ("sms", DeliveryError("invalid", permanent=True, code="21211"), ErrorKind.UNREACHABLE),
        ("sms", DeliveryError("outage", permanent=False, code="500"), ErrorKind.RETRY),
        ("whatsapp", DeliveryError("window", permanent=True, code="63016"), ErrorKind.FAILED),
        ("whatsapp", DeliveryError("not on WhatsApp", permanent=True, code="63003"), ErrorKind.UNREACHABLE),
        ("simulator", DeliveryError("boom", permanent=False, code="crash"), ErrorKind.RETRY),
    ],
)
def test_each_channel_classifies_its_provider_errors(channels, name, error, kind):
    """What a provider's error means for the address is the channel's to say, not the back end's."""
    assert channels[name].classify(error) is kind


def test_only_twilio_sms_has_provider_side_stop_words(channels):
    """Twilio answers STOP-type words itself on SMS long codes; no other channel does."""
    assert {"stop", "unsubscribe"} <= channels["sms"].opt_out_words
    assert not channels["whatsapp"].opt_out_words and not channels["telegram"].opt_out_words
