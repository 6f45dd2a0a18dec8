"""SMS and WhatsApp through Twilio: webhook authentication and parsing, sending, status callbacks.

Every webhook is checked with the library's RequestValidator over the *public* URL (rebuilt from
the configured base URL, never from what the app sees behind a proxy) and every form field,
repeated keys included."""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qsl

import phonenumbers
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channel import ErrorKind, Parsed, Webhook, WebhookAnswer, WebhookRequest, not_ready
from bot.handlers import schemas
from bot.message import (
    Address,
    Channel,
    ContentKind,
    DeliveryError,
    DeliveryStatus,
    InboundMessage,
    OutboundMessage,
    StatusUpdate,
    UnknownStatus,
    WebhookRejected,
)

SIGNATURE_HEADER = "X-Twilio-Signature"
# Keywords Twilio itself answers (and acts on) on long codes; other words are ours to answer.
TWILIO_OPT_OUT_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"}
TWILIO_API = "https://api.twilio.com"
# Errors that say something about the address itself: do not retry it, try another channel.
OPTED_OUT = {"21610"}
BAD_NUMBER = {"21211", "21612", "21614", "63003"}
WINDOW_CLOSED = {"63016"}
STATUSES = {
    "accepted": DeliveryStatus.QUEUED,
    "scheduled": DeliveryStatus.QUEUED,
    "queued": DeliveryStatus.QUEUED,
    "sending": DeliveryStatus.QUEUED,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "undelivered": DeliveryStatus.UNDELIVERED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
FORM = "application/x-www-form-urlencoded"
SIGNED = "HMAC-SHA1 of the public URL and every form field with TWILIO_AUTH_TOKEN, base64"


class _Form:
    """Form fields with repeated keys, in the shape RequestValidator reads (`getall`)."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs

    def __iter__(self):
        return iter({k for k, _ in self.pairs})

    def getall(self, key: str) -> list[str]:
        return [v for k, v in self.pairs if k == key]

    def first(self, key: str, default: str = "") -> str:
        values = self.getall(key)
        return values[0] if values else default


def read_form(body: bytes) -> _Form:
    try:
        # errors="strict": a percent-escape of bytes that are not UTF-8 is refused, not read as U+FFFD
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body), errors="strict")
        return _Form(pairs)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected("unreadable form body", status=400) from None


def verify(auth_token: str, public_base_url: str, path: str, query: str, form: _Form, signature: str | None) -> None:
    """Raise WebhookRejected(403) unless Twilio signed exactly this URL and these fields."""
    verify_url(auth_token, public_base_url.rstrip("/") + path + (f"?{query}" if query else ""), form, signature)


def verify_url(auth_token: str, url: str, form: _Form, signature: str | None) -> None:
    """`verify` for the public URL the request was made to."""
    if not auth_token:
        raise WebhookRejected("TWILIO_AUTH_TOKEN is not set: refusing Twilio webhooks", status=403)
    if not signature or not RequestValidator(auth_token).validate(url, form, signature):
        raise WebhookRejected("missing or wrong X-Twilio-Signature", status=403)


def _e164(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise WebhookRejected(f"sender {raw!r} is not a phone number", status=400) from None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Characters in one message: Twilio joins an SMS of up to 1,600; WhatsApp carries 4,096.
MAX_TEXT = {Channel.SMS: 1600, Channel.WHATSAPP: 4096}


def parse_inbound(form: _Form, channel: Channel) -> InboundMessage:
    sid = form.first("MessageSid") or form.first("SmsMessageSid")
    sender = form.first("From")
    if not sid or not sender:
        raise WebhookRejected("not a Twilio message: MessageSid and From are required", status=400)
    if (channel is Channel.WHATSAPP) != sender.startswith("whatsapp:"):
        raise WebhookRejected(f"{sender!r} on the {channel.value} route", status=400)
    body = form.first("Body")
    media = form.first("NumMedia", "0")
    # Media or a location without text: we need text. An empty SMS is answered like any text.
    kind = (
        ContentKind.UNSUPPORTED if not body.strip() and (media != "0" or form.first("Latitude")) else ContentKind.TEXT
    )
    return InboundMessage(
        address=Address(channel, _e164(sender.removeprefix("whatsapp:"))),
        provider_id=sid,
        kind=kind,
        text=body[: MAX_TEXT[channel]],  # the provider's own limit per message
        sender_name=form.first("ProfileName"),
    )


def parse_status(form: _Form) -> StatusUpdate:
    sid = form.first("MessageSid") or form.first("SmsSid")
    raw = (form.first("MessageStatus") or form.first("SmsStatus")).lower()
    if not sid or not raw:
        raise WebhookRejected("not a Twilio status callback: MessageSid and MessageStatus are required", status=400)
    if raw not in STATUSES:
        raise UnknownStatus(sid, raw)
    channel = Channel.WHATSAPP if form.first("To").startswith("whatsapp:") else Channel.SMS
    return StatusUpdate(channel=channel, provider_id=sid, status=STATUSES[raw], error_code=form.first("ErrorCode"))


def error_kind(code: str) -> str | None:
    """What a Twilio error code says about the address: opted_out, bad_number, window, or None."""
    if code in OPTED_OUT:
        return "opted_out"
    if code in BAD_NUMBER:
        return "bad_number"
    if code in WINDOW_CLOSED:
        return "window"
    return None


class _HttpClient(TwilioHttpClient):
    """Sends the library's requests to a configurable API base (tests: a local fake) and keeps
    the last response's headers per thread, for Retry-After."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")
        self.local = threading.local()

    def request(self, method, url, *args, **kwargs):
        if self.base_url != TWILIO_API and url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        response = super().request(method, url, *args, **kwargs)
        self.local.headers = response.headers
        return response


class TwilioSender:
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        base_url: str,
        sms_from: str = "",
        messaging_service_sid: str = "",
        whatsapp_from: str = "",
        status_callback: str = "",
        timeout: float = 10.0,
    ):
        self.http = _HttpClient(base_url, timeout)
        self.client = Client(account_sid, auth_token, http_client=self.http)
        self.sms_from, self.service, self.whatsapp_from = sms_from, messaging_service_sid, whatsapp_from
        self.status_callback = status_callback

    def _params(self, message: OutboundMessage) -> dict:
        params: dict = {"status_callback": self.status_callback} if self.status_callback else {}
        if message.address.channel is Channel.WHATSAPP:
            if not self.whatsapp_from:
                raise DeliveryError("TWILIO_WHATSAPP_FROM is not set", permanent=True, code="unconfigured")
            params.update(to=f"whatsapp:{message.address.id}", from_=f"whatsapp:{self.whatsapp_from}")
        else:
            params["to"] = message.address.id
            if self.service:
                params["messaging_service_sid"] = self.service
            elif self.sms_from:
                params["from_"] = self.sms_from
            else:
                raise DeliveryError("TWILIO_SMS_FROM is not set", permanent=True, code="unconfigured")
        if message.template is not None:
            params.update(
                content_sid=message.template.content_sid,
                content_variables=json.dumps(message.template.variables, ensure_ascii=False),
            )
        else:
            params["body"] = message.text
        return params

    def send(self, message: OutboundMessage) -> str:
        try:
            return self.client.messages.create(**self._params(message)).sid
        except TwilioRestException as exc:
            raise self._error(exc) from None
        except (requests.RequestException, TwilioException) as exc:
            raise DeliveryError(
                f"Twilio not reachable: {exc}", permanent=False, code="network", provider_wide=True
            ) from None

    def _error(self, exc: TwilioRestException) -> DeliveryError:
        code = str(exc.code or exc.status)
        text = f"Twilio {exc.status} {exc.code}: {exc.msg}"
        if exc.status == 429 or exc.status >= 500:
            headers = getattr(self.http.local, "headers", None) or {}
            retry = headers.get("Retry-After") or headers.get("retry-after")
            try:
                retry_after = float(retry) if retry else None
            except ValueError:
                retry_after = None
            return DeliveryError(text, permanent=False, code=code, retry_after=retry_after, provider_wide=True)
        return DeliveryError(text, permanent=True, code=code)


class _TwilioChannel:
    """SMS or WhatsApp through Twilio as a bot.channel.Channel. Both share one REST client."""

    name: str
    channel: Channel
    webhooks: tuple[Webhook, ...]
    opt_out_words: frozenset[str] = frozenset()

    def __init__(self, *, enabled: bool, auth_token: str, sender: TwilioSender | None, missing: str):
        self.enabled, self.auth_token, self.sender, self.missing = enabled, auth_token, sender, missing

    def ready(self) -> str | None:
        return self.missing or None

    def verify(self, request: WebhookRequest) -> None:
        if not self.enabled:
            raise WebhookRejected("Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN", status=503)
        verify_url(self.auth_token, request.url, read_form(request.body), request.header(SIGNATURE_HEADER))

    def parse(self, request: WebhookRequest) -> list[Parsed]:
        form = read_form(request.body)
        if request.path.endswith("/status"):
            return [parse_status(form)]
        return [parse_inbound(form, self.channel)]

    def send(self, message: OutboundMessage) -> str:
        if self.sender is None or self.missing:
            raise not_ready(self.name, self.missing)
        return self.sender.send(message)

    def classify(self, error: DeliveryError) -> ErrorKind:
        kind = error_kind(error.code)
        if kind == "opted_out":
            return ErrorKind.OPTED_OUT
        if kind == "bad_number":
            return ErrorKind.UNREACHABLE
        return ErrorKind.FAILED if error.permanent else ErrorKind.RETRY

    def close(self) -> None:
        return None


class SmsChannel(_TwilioChannel):
    name = "sms"
    channel = Channel.SMS
    # Inbound SMS answered with empty TwiML: we answer later, through the API. Status callbacks
    # for SMS and WhatsApp alike come to /webhooks/twilio/status.
    # A Twilio webhook is a few KB (an SMS body is at most 1,600 characters): 64 KiB, signed.
    webhooks = (
        Webhook(
            "twilio/sms",
            WebhookAnswer(EMPTY_TWIML, "text/xml"),
            required_header=SIGNATURE_HEADER,
            openapi=schemas.request(FORM, schemas.twilio_message(), SIGNATURE_HEADER, SIGNED),
        ),
        Webhook(
            "twilio/status",
            required_header=SIGNATURE_HEADER,
            openapi=schemas.request(FORM, schemas.TWILIO_STATUS, SIGNATURE_HEADER, SIGNED),
        ),
    )
    opt_out_words = frozenset(TWILIO_OPT_OUT_WORDS)  # Twilio answers these on long codes itself


class WhatsAppChannel(_TwilioChannel):
    name = "whatsapp"
    channel = Channel.WHATSAPP
    webhooks = (
        Webhook(
            "twilio/whatsapp",
            WebhookAnswer(EMPTY_TWIML, "text/xml"),
            required_header=SIGNATURE_HEADER,
            openapi=schemas.request(FORM, schemas.twilio_message("whatsapp:"), SIGNATURE_HEADER, SIGNED),
        ),
    )


NAMES = ("sms", "whatsapp")


def from_settings(settings) -> list[_TwilioChannel]:
    """The SMS and WhatsApp channels, sharing one client when Twilio is configured."""
    enabled = bool(settings.twilio_enabled)
    sender = None
    if enabled:
        sender = TwilioSender(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            base_url=settings.twilio_api_base_url,
            sms_from=settings.twilio_sms_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            whatsapp_from=settings.twilio_whatsapp_from,
            status_callback=f"{settings.public_base_url}/webhooks/twilio/status",
        )
    sms_ready = enabled and (settings.twilio_sms_from or settings.twilio_messaging_service_sid)
    whatsapp_ready = enabled and settings.twilio_whatsapp_from
    return [
        SmsChannel(
            enabled=enabled,
            auth_token=settings.twilio_auth_token,
            sender=sender,
            missing=""
            if sms_ready
            else "set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID",
        ),
        WhatsAppChannel(
            enabled=enabled,
            auth_token=settings.twilio_auth_token,
            sender=sender,
            missing="" if whatsapp_ready else "set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM",
        ),
    ]
