"""Tests proving FakeTwilioAPI works with the real ``twilio`` library, and that the
recorded webhook payloads parse and sign like Twilio's."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from .twilio_api import ACCOUNT_SID, AUTH_TOKEN, FakeTwilioAPI, status_callback_params
from .twilio_signing import FormParams, form_body, sign, validate

TESTDATA = Path(__file__).resolve().parent.parent / "bot" / "testdata" / "twilio"
PAYLOADS = [
    "sms_text.txt",
    "sms_unicode.txt",
    "sms_media_only.txt",
    "whatsapp_text.txt",
    "whatsapp_media_only.txt",
    "whatsapp_location.txt",
    "status_queued.txt",
    "status_sent.txt",
    "status_delivered.txt",
    "status_undelivered.txt",
    "status_failed.txt",
    "status_read.txt",
    "status_accepted.txt",
    "status_whatsapp_failed_63016.txt",
]
WEBHOOK_URL = "https://bot.example.org/twilio/webhook"
SID_RE = re.compile(r"^(SM|MM)[0-9a-f]{32}$")
SENDER = "+15005550006"
RECIPIENT = "+254700000006"

TWILIO_API = "https://api.twilio.com"


class FakeHostHttpClient(TwilioHttpClient):
    """Sends what the library addresses to https://api.twilio.com to ``base_url``,
    and keeps the last response per thread (headers included)."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url
        self.local = threading.local()

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        response = super().request(method, url, *args, **kwargs)
        self.local.last_response = response
        return response


@pytest.fixture
def fake():
    with FakeTwilioAPI() as api:
        yield api


def make_client(fake: FakeTwilioAPI, sid: str = ACCOUNT_SID, token: str = AUTH_TOKEN) -> Client:
    return Client(sid, token, http_client=FakeHostHttpClient(fake.base_url))


@pytest.fixture
def client(fake):
    return make_client(fake)


def load(name: str) -> bytes:
    return (TESTDATA / name).read_bytes()


# ------------------------------------------------------------------ real twilio client


def test_create_with_body_and_status_callback(fake, client):
    msg = client.messages.create(
        to=RECIPIENT,
        from_=SENDER,
        body="Hello ١ تم",
        status_callback="https://bot.example.org/twilio/status",
    )
    assert SID_RE.match(msg.sid) and msg.sid.startswith("SM")
    assert msg.status == "queued"
    assert msg.to == RECIPIENT and msg.from_ == SENDER and msg.body == "Hello ١ تم"
    assert msg.num_segments == "1"
    assert msg.account_sid == ACCOUNT_SID
    assert msg.error_code is None
    assert msg.direction == "outbound-api"
    assert msg.date_created is not None and msg.date_created.tzinfo is not None
    assert msg.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{msg.sid}.json"

    (sent,) = fake.wait_for_messages(1)
    assert sent["sid"] == msg.sid
    assert sent["to"] == RECIPIENT and sent["from"] == SENDER
    assert sent["body"] == "Hello ١ تم"
    assert sent["status_callback"] == "https://bot.example.org/twilio/status"
    assert sent["content_sid"] is None and sent["content_variables"] is None
    assert sent["messaging_service_sid"] is None
    assert isinstance(sent["at"], float)
    assert [r.status for r in fake.requests] == [201]

    fetched = client.messages(msg.sid).fetch()
    assert fetched.sid == msg.sid and fetched.body == msg.body


def test_num_segments(fake, client):
    assert client.messages.create(to=RECIPIENT, from_=SENDER, body="a" * 160).num_segments == "1"
    assert client.messages.create(to=RECIPIENT, from_=SENDER, body="a" * 161).num_segments == "2"
    assert client.messages.create(to=RECIPIENT, from_=SENDER, body="ت" * 71).num_segments == "2"


def test_create_with_content_template(fake, client):
    msg = client.messages.create(
        to="whatsapp:+254700000007",
        from_="whatsapp:+14155238886",
        content_sid="HX" + "1" * 32,
        content_variables=json.dumps({"1": "Claire", "2": "3 doses"}),
    )
    assert msg.status == "queued"
    (sent,) = fake.wait_for_messages(1)
    assert sent["content_sid"] == "HX" + "1" * 32
    assert sent["content_variables"] == {"1": "Claire", "2": "3 doses"}
    assert sent["body"] == ""
    assert sent["to"] == "whatsapp:+254700000007"


def test_create_with_invalid_content_variables(fake, client):
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=RECIPIENT, from_=SENDER, content_sid="HX" + "1" * 32, content_variables="{not json")
    assert (info.value.status, info.value.code) == (400, 21656)


def test_create_with_messaging_service(fake, client):
    service = "MG" + "a" * 32
    msg = client.messages.create(to=RECIPIENT, messaging_service_sid=service, body="hi")
    assert msg.messaging_service_sid == service
    assert msg.from_ is None
    assert msg.status == "accepted"  # as Twilio: the service picks the sender later
    (sent,) = fake.wait_for_messages(1)
    assert sent["messaging_service_sid"] == service and sent["from"] is None


def test_media_url_is_repeated(fake, client):
    msg = client.messages.create(to=RECIPIENT, from_=SENDER, media_url=["https://e.org/a.jpg", "https://e.org/b.jpg"])
    assert msg.sid.startswith("MM") and msg.num_media == "2"
    assert fake.messages[0]["media_url"] == ["https://e.org/a.jpg", "https://e.org/b.jpg"]


def test_validation_errors(fake, client):
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=RECIPIENT, from_=SENDER)
    assert (info.value.status, info.value.code) == (400, 21602)
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to="", from_=SENDER, body="x")
    assert (info.value.status, info.value.code) == (400, 21604)
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=RECIPIENT, body="x")
    assert (info.value.status, info.value.code) == (400, 21603)
    assert fake.messages == []
    assert [r.status for r in fake.requests] == [400, 400, 400]


def test_wrong_auth(fake):
    bad = make_client(fake, token="wrong-token")
    with pytest.raises(TwilioRestException) as info:
        bad.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    assert info.value.status == 401
    assert info.value.code == 20003
    assert "Authenticate" in info.value.msg

    other = make_client(fake, sid="AC" + "9" * 32)
    with pytest.raises(TwilioRestException) as info:
        other.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    assert info.value.status == 401
    assert fake.messages == []
    assert [r.status for r in fake.requests] == [401, 401]
    assert fake.requests[0].params["Body"] == "x"


def test_fail_next_429_and_retry_after(fake, client):
    fake.fail_next(1, 429, 20429, retry_after=7)
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    err = info.value
    assert err.status == 429 and err.code == 20429
    assert err.msg == "Unable to create record: Too Many Requests"
    # TwilioRestException carries no headers. The response (with headers) is only
    # reachable from the HttpClient: the library keeps the last one on a private,
    # per-client (not per-thread) attribute, or a subclass can keep its own.
    assert client.http_client._test_only_last_response.headers["Retry-After"] == "7"
    assert client.http_client.local.last_response.headers["retry-after"] == "7"  # case-insensitive
    assert client.http_client.local.last_response.status_code == 429

    # the failure was consumed
    msg = client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    assert msg.status == "queued"
    assert [r.status for r in fake.requests] == [429, 201]
    assert "Retry-After" not in client.http_client.local.last_response.headers


def test_fail_next_other_errors(fake, client):
    fake.fail_next(1, 500, 20500)
    fake.fail_next(1, 400, 21211, "Invalid 'To' Phone Number: +25470000000X")
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    assert (info.value.status, info.value.code) == (500, 20500)
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    assert (info.value.status, info.value.code) == (400, 21211)
    assert info.value.msg.endswith("Invalid 'To' Phone Number: +25470000000X")


def test_reject_number(fake, client):
    fake.reject_number(RECIPIENT)
    with pytest.raises(TwilioRestException) as info:
        client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    assert info.value.msg.endswith("Attempt to send to unsubscribed recipient")
    fake.reject_number("+254700000008", code=21614, message="'To' number is not a valid mobile number")
    fake.reject_number("whatsapp:+254700000007", code=63016)
    for to, code in [(RECIPIENT, 21610), ("+254700000008", 21614), ("whatsapp:+254700000007", 63016)]:
        for _ in range(2):  # persistent, not one-shot
            with pytest.raises(TwilioRestException) as info:
                client.messages.create(to=to, from_=SENDER, body="x")
            assert (info.value.status, info.value.code) == (400, code)
    client.messages.create(to="+254700000009", from_=SENDER, body="x")
    fake.accept_number(RECIPIENT)
    client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    assert [m["to"] for m in fake.messages] == ["+254700000009", RECIPIENT]


def test_storm(fake, client):
    fake.storm(0.5, every_nth=2, retry_after=3)
    outcomes = []
    for _ in range(4):
        try:
            client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
            outcomes.append(201)
        except TwilioRestException as err:
            assert err.code == 20429
            assert client.http_client.local.last_response.headers["Retry-After"] == "3"
            outcomes.append(err.status)
    assert outcomes == [201, 429, 201, 429]
    time.sleep(0.6)
    for _ in range(3):
        client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    assert len(fake.messages) == 5

    fake.storm(10)  # every request
    with pytest.raises(TwilioRestException):
        client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    fake.end_storm()
    client.messages.create(to=RECIPIENT, from_=SENDER, body="x")


def test_latency_and_concurrency(fake):
    fake.latency = 0.3
    start = time.monotonic()
    make_client(fake).messages.create(to=RECIPIENT, from_=SENDER, body="x")
    assert time.monotonic() - start >= 0.3

    errors = []

    def send(i):
        try:
            make_client(fake).messages.create(to=f"+2547000001{i:02d}", from_=SENDER, body=str(i))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    assert not errors
    assert len(fake.wait_for_messages(9)) == 9
    assert elapsed < 0.3 * 8 * 0.75  # served in parallel, not one after another
    assert len({m["sid"] for m in fake.messages}) == 9


def test_wait_for_messages_times_out(fake):
    with pytest.raises(AssertionError):
        fake.wait_for_messages(1, timeout=0.1)


def test_clear_keeps_programming(fake, client):
    fake.reject_number(RECIPIENT)
    client.messages.create(to="+254700000009", from_=SENDER, body="x")
    fake.clear()
    assert fake.messages == [] and fake.requests == []
    with pytest.raises(TwilioRestException):
        client.messages.create(to=RECIPIENT, from_=SENDER, body="x")


def test_unknown_path(fake, client):
    with pytest.raises(TwilioRestException) as info:
        client.messages("SM" + "0" * 32).fetch()
    assert (info.value.status, info.value.code) == (404, 20404)


# ------------------------------------------------------------------ webhook payloads


@pytest.mark.parametrize("name", PAYLOADS)
def test_payload_parses_and_signs(name):
    raw = load(name)
    assert not raw.endswith(b"\n")
    pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    fields = dict(pairs)
    assert len(fields) == len(pairs)  # Twilio never repeats a key
    assert fields["AccountSid"] == ACCOUNT_SID
    assert fields["ApiVersion"] == "2010-04-01"
    assert SID_RE.match(fields["MessageSid"])
    assert fields["SmsSid"] == fields["MessageSid"]
    assert fields["To"] and fields["From"]
    if name.startswith("status_"):
        assert fields["MessageStatus"] == fields["SmsStatus"]
        assert name.startswith(f"status_{fields['MessageStatus']}") or name == ("status_whatsapp_failed_63016.txt")
    else:
        assert fields["SmsStatus"] == "received"
        assert fields["SmsMessageSid"] == fields["MessageSid"]
        assert "Body" in fields and "NumMedia" in fields and "NumSegments" in fields

    signature = sign(AUTH_TOKEN, WEBHOOK_URL, pairs)
    validator = RequestValidator(AUTH_TOKEN)
    assert validator.validate(WEBHOOK_URL, FormParams(pairs), signature)
    assert validator.validate(WEBHOOK_URL, fields, signature)  # plain dict: no repeats here
    assert validate(AUTH_TOKEN, WEBHOOK_URL, raw, signature)
    assert form_body(pairs) == raw  # encoded exactly as Twilio does

    tampered = (
        pairs + [("Body", "x")] if "Body" not in fields else [(k, v + "x" if k == "Body" else v) for k, v in pairs]
    )
    assert not validator.validate(WEBHOOK_URL, FormParams(tampered), signature)
    assert not validate(AUTH_TOKEN, WEBHOOK_URL, form_body(tampered), signature)
    assert not validate("other-token", WEBHOOK_URL, raw, signature)
    assert not validate(AUTH_TOKEN, WEBHOOK_URL + "?x=1", raw, signature)


def test_payload_contents():
    sms = dict(parse_qsl(load("sms_text.txt").decode(), keep_blank_values=True))
    assert (sms["From"], sms["To"], sms["Body"]) == ("+254700000006", "+15005550006", "1D 2P")
    uni = dict(parse_qsl(load("sms_unicode.txt").decode(), keep_blank_values=True))
    assert "١ تم" in uni["Body"] and "réussi" in uni["Body"]
    media = dict(parse_qsl(load("sms_media_only.txt").decode(), keep_blank_values=True))
    assert media["NumMedia"] == "1" and media["Body"] == ""
    assert media["MediaContentType0"] == "image/jpeg" and media["MediaUrl0"].startswith("https://")
    wa = dict(parse_qsl(load("whatsapp_text.txt").decode(), keep_blank_values=True))
    assert wa["From"] == "whatsapp:+254700000007" and wa["To"] == "whatsapp:+14155238886"
    assert (wa["ProfileName"], wa["WaId"], wa["Body"], wa["MessageType"]) == (
        "Claire",
        "254700000007",
        "1 done",
        "text",
    )
    wam = dict(parse_qsl(load("whatsapp_media_only.txt").decode(), keep_blank_values=True))
    assert (wam["MessageType"], wam["NumMedia"], wam["Body"]) == ("image", "1", "")
    loc = dict(parse_qsl(load("whatsapp_location.txt").decode(), keep_blank_values=True))
    assert loc["MessageType"] == "location" and float(loc["Latitude"]) and float(loc["Longitude"])
    codes = {
        "status_undelivered.txt": "30003",
        "status_failed.txt": "30008",
        "status_whatsapp_failed_63016.txt": "63016",
    }
    for name in PAYLOADS:
        if name.startswith("status_"):
            fields = dict(parse_qsl(load(name).decode(), keep_blank_values=True))
            assert fields.get("ErrorCode") == codes.get(name)


def test_repeated_keys_are_signed():
    pairs = [("To", "+1"), ("Tag", "b"), ("Tag", "a")]
    signature = sign(AUTH_TOKEN, WEBHOOK_URL, pairs)
    assert validate(AUTH_TOKEN, WEBHOOK_URL, form_body(pairs), signature)
    # a dict would keep only one value: the signature no longer matches
    assert not RequestValidator(AUTH_TOKEN).validate(WEBHOOK_URL, dict(pairs), signature)
    assert not validate(AUTH_TOKEN, WEBHOOK_URL, form_body(pairs[:2]), signature)


def test_status_callback_params_for_a_sent_message(fake, client):
    msg = client.messages.create(to=RECIPIENT, from_=SENDER, body="x")
    params = dict(status_callback_params(fake.messages[0], "undelivered", error_code=30003))
    assert params["MessageSid"] == msg.sid and params["MessageStatus"] == "undelivered"
    assert params["ErrorCode"] == "30003" and params["To"] == RECIPIENT
