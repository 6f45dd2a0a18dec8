"""bot/handlers/twilio.py on recorded Twilio payloads, signed here with the library's validator:
inbound SMS and WhatsApp, media, every delivery status, and forged or tampered requests."""

from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from bot.handlers import twilio
from bot.message import Channel, ContentKind, DeliveryStatus, WebhookRejected
from tests.fakes.twilio_signing import form_body, sign

DATA = Path(__file__).parent / "testdata" / "twilio"
TOKEN = "test-auth-token"
BASE = "https://bot.example.org"


def fields(name: str) -> list[tuple[str, str]]:
    return parse_qsl((DATA / name).read_text(), keep_blank_values=True)


def form(name: str):
    return twilio.read_form((DATA / name).read_bytes())


def test_sms_becomes_inbound_text_from_an_e164_number():
    """An SMS arrives as text from the sender's E.164 number, keyed by MessageSid."""
    msg = twilio.parse_inbound(form("sms_text.txt"), Channel.SMS)
    assert (msg.address.channel, msg.address.id, msg.kind, msg.text) == (
        Channel.SMS,
        "+254700000006",
        ContentKind.TEXT,
        "1D 2P",
    )
    assert msg.provider_id == dict(fields("sms_text.txt"))["MessageSid"]


def test_unicode_sms_is_kept_whole():
    """Arabic digits and accents in an SMS reach the conversation unchanged."""
    assert twilio.parse_inbound(form("sms_unicode.txt"), Channel.SMS).text == "١ تم, réussi"


def test_whatsapp_prefix_is_removed_and_profile_name_kept():
    """A WhatsApp sender is the same E.164 number as on SMS."""
    msg = twilio.parse_inbound(form("whatsapp_text.txt"), Channel.WHATSAPP)
    assert (msg.address.channel, msg.address.id, msg.sender_name, msg.text) == (
        Channel.WHATSAPP,
        "+254700000007",
        "Claire",
        "1 done",
    )


@pytest.mark.parametrize(
    "name,channel",
    [
        ("sms_media_only.txt", Channel.SMS),
        ("whatsapp_media_only.txt", Channel.WHATSAPP),
        ("whatsapp_location.txt", Channel.WHATSAPP),
    ],
)
def test_media_and_locations_without_text_are_unsupported(name, channel):
    """A photo or a location alone gets the polite "please reply with text"."""
    assert twilio.parse_inbound(form(name), channel).kind is ContentKind.UNSUPPORTED


def test_a_whatsapp_sender_on_the_sms_route_is_refused():
    """Routes do not mix channels: a WhatsApp payload posted to the SMS route is rejected."""
    with pytest.raises(WebhookRejected):
        twilio.parse_inbound(form("whatsapp_text.txt"), Channel.SMS)


@pytest.mark.parametrize(
    "name,status",
    [
        ("status_accepted.txt", DeliveryStatus.QUEUED),
        ("status_queued.txt", DeliveryStatus.QUEUED),
        ("status_sent.txt", DeliveryStatus.SENT),
        ("status_delivered.txt", DeliveryStatus.DELIVERED),
        ("status_read.txt", DeliveryStatus.READ),
        ("status_undelivered.txt", DeliveryStatus.UNDELIVERED),
        ("status_failed.txt", DeliveryStatus.FAILED),
        ("status_whatsapp_failed_63016.txt", DeliveryStatus.FAILED),
    ],
)
def test_every_delivery_status_is_understood(name, status):
    """Each status Twilio reports maps to ours, with its error code."""
    update = twilio.parse_status(form(name))
    assert update.status is status and update.provider_id.startswith("SM")
    assert update.error_code == dict(fields(name)).get("ErrorCode", "")


def test_unknown_status_is_an_error_not_silence():
    """A status we do not know raises, so the backend logs it as an error."""
    pairs = [(k, "exploded" if k in ("MessageStatus", "SmsStatus") else v) for k, v in fields("status_sent.txt")]
    with pytest.raises(twilio.UnknownStatus):
        twilio.parse_status(twilio.read_form(form_body(pairs)))


PATH = "/webhooks/twilio/sms"


def check(pairs, signature, path=PATH, query="", base=BASE, token=TOKEN):
    twilio.verify(token, base, path, query, twilio.read_form(form_body(pairs)), signature)


def test_signed_request_is_accepted():
    """A request Twilio signed for our public URL passes."""
    pairs = fields("sms_text.txt")
    check(pairs, sign(TOKEN, BASE + PATH, pairs))


def test_query_string_is_part_of_the_signed_url():
    """Twilio signs the URL with its query; so do we."""
    pairs = fields("sms_text.txt")
    check(pairs, sign(TOKEN, BASE + PATH + "?channel=a", pairs), query="channel=a")
    with pytest.raises(WebhookRejected):
        check(pairs, sign(TOKEN, BASE + PATH, pairs), query="channel=a")


@pytest.mark.parametrize("tamper", ["body", "extra_field", "missing_field", "wrong_token", "no_signature", "proxy_url"])
def test_forged_or_tampered_requests_are_refused(tamper):
    """Any change to what Twilio signed, or a signature for another URL, gets 403."""
    pairs = fields("sms_text.txt")
    signature = sign(TOKEN, BASE + PATH, pairs)
    base = BASE
    if tamper == "body":
        pairs = [(k, "3D" if k == "Body" else v) for k, v in pairs]
    elif tamper == "extra_field":
        pairs = pairs + [("Injected", "1")]
    elif tamper == "missing_field":
        pairs = pairs[1:]
    elif tamper == "wrong_token":
        signature = sign("someone-else", BASE + PATH, pairs)
    elif tamper == "no_signature":
        signature = None
    elif tamper == "proxy_url":  # signed for the URL the app sees behind a proxy, not the public one
        signature = sign(TOKEN, "http://10.0.0.5:8000" + PATH, pairs)
    with pytest.raises(WebhookRejected) as err:
        check(pairs, signature, base=base)
    assert err.value.status == 403


def test_repeated_keys_are_all_signed():
    """Fields that appear twice (MediaUrl, say) are all part of the signature."""
    pairs = fields("sms_media_only.txt") + [("MediaUrl1", "https://x/1"), ("MediaUrl1", "https://x/2")]
    check(pairs, sign(TOKEN, BASE + PATH, pairs))
    with pytest.raises(WebhookRejected):
        check(pairs[:-1], sign(TOKEN, BASE + PATH, pairs))


def test_no_auth_token_refuses_everything():
    """Without TWILIO_AUTH_TOKEN nothing is accepted, never everything."""
    pairs = fields("sms_text.txt")
    with pytest.raises(WebhookRejected):
        check(pairs, sign("", BASE + PATH, pairs), token="")


def test_error_codes_say_what_they_mean_for_the_address():
    """Opted out, bad number and closed WhatsApp window are told apart; others say nothing."""
    assert [twilio.error_kind(c) for c in ("21610", "21211", "21614", "63016", "30003")] == [
        "opted_out",
        "bad_number",
        "bad_number",
        "window",
        None,
    ]
