"""A local fake of the Twilio REST API (Programmable Messaging) for tests.

``FakeTwilioAPI`` runs a real HTTP server on 127.0.0.1 (ephemeral port) that
speaks the Messages API wire protocol closely enough for the real ``twilio``
library to talk to it, given an HTTP client that swaps the host::

    with FakeTwilioAPI() as fake:
        client = twilio.rest.Client(fake.account_sid, fake.auth_token,
                                    http_client=<client rewriting https://api.twilio.com
                                                 to fake.base_url>)
        client.messages.create(to="+254700000006", from_="+15005550006", body="hi")
        fake.wait_for_messages(1)

Wire format notes (twilio 9.x, ``TwilioHttpClient`` on top of requests):
``messages.create`` is ``POST https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json``
with HTTP Basic auth ``(account_sid, auth_token)`` and an
``application/x-www-form-urlencoded`` body of CamelCase parameters (``To``,
``From``, ``MessagingServiceSid``, ``Body``, ``ContentSid``, ``ContentVariables``
(a JSON string), ``StatusCallback``, ``MediaUrl`` (repeated), ...). Unset
parameters are omitted. Success is ``201`` with a Message resource; errors are
``{"code": N, "message": "...", "more_info": "...", "status": S}`` which the
library turns into ``TwilioRestException(status=S, code=N)``.

``GET .../Messages/{Sid}.json`` (``client.messages(sid).fetch()``) returns a
message created earlier.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import secrets
import threading
import time
from collections import deque
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from .server import LocalServer

ACCOUNT_SID = "ACtest0000000000000000000000000000"
AUTH_TOKEN = "test-auth-token"
API_VERSION = "2010-04-01"

# Default messages for the Twilio error codes tests commonly program.
ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    21211: "Invalid 'To' Phone Number",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    21656: "The ContentVariables Parameter is invalid.",
    63016: (
        "Failed to send freeform message because you are outside the allowed window. "
        "If you are using WhatsApp, please use a Message Template."
    ),
}

# Parameters the library may repeat (serialize.map -> list -> repeated form keys).
_LIST_PARAMS = {"MediaUrl", "PersistentAction"}

_CREATE_RE = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages\.json$")
_FETCH_RE = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)\.json$")

# GSM-7 basic character set (plus the extension table, counted once for simplicity).
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "^{}\\[~]|€"
)


class RecordedRequest(NamedTuple):
    """One request the fake answered: ``(at, params, status)``."""

    at: float  # time.monotonic() when the answer was decided
    params: dict[str, Any]  # form fields (repeated keys -> list)
    status: int  # HTTP status returned


class TwilioError(Exception):
    """Raised inside a handler to produce a Twilio JSON error response."""

    def __init__(self, status: int, code: int, message: str | None = None, retry_after: int | None = None):
        if message is None:
            message = ERROR_MESSAGES.get(code) or HTTPStatus(status).phrase
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def num_segments(body: str) -> int:
    """SMS segment count: GSM-7 160/153 chars, otherwise UCS-2 70/67 chars."""
    if not body:
        return 1
    if all(ch in _GSM7 for ch in body):
        single, multi = 160, 153
    else:
        single, multi = 70, 67
    return 1 if len(body) <= single else math.ceil(len(body) / multi)


def new_sid(prefix: str) -> str:
    """A Twilio-style SID: two-letter prefix + 32 lowercase hex digits."""
    return prefix + secrets.token_hex(16)


class FakeTwilioAPI(LocalServer):
    """In-process fake Twilio Messages API with recording and programmable failures."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN):
        self.account_sid = account_sid
        self.auth_token = auth_token
        #: seconds to sleep in every create call before answering (provider round trip)
        self.latency: float = 0.0
        # One condition (re-entrant lock) guards the mutable state below; it is
        # notified whenever a message is accepted.
        self._cond = threading.Condition(threading.RLock())
        self._messages: list[dict[str, Any]] = []
        self._resources: dict[str, dict[str, Any]] = {}
        self._requests: list[RecordedRequest] = []
        self._failures: deque[TwilioError] = deque()
        self._rejected: dict[str, TwilioError] = {}
        self._storm_until = 0.0
        self._storm_every = 1
        self._storm_retry_after: int | None = 1
        self._storm_count = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: substitute it for ``https://api.twilio.com``."""
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ recording

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Snapshot of accepted messages: sid, to, from, body, content_sid,
        content_variables (dict or None), status_callback, messaging_service_sid,
        media_url (list), at (time.monotonic()), params (raw form fields)."""
        with self._cond:
            return [dict(m) for m in self._messages]

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of every request answered, failed ones included."""
        with self._cond:
            return list(self._requests)

    def wait_for_messages(self, n: int, timeout: float = 10) -> list[dict[str, Any]]:
        """Block until at least ``n`` messages were accepted; return them all."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._messages) >= n, timeout=timeout):
                raise AssertionError(
                    f"expected at least {n} message(s) within {timeout}s, got {len(self._messages)}: {self._messages!r}"
                )
            return [dict(m) for m in self._messages]

    def clear(self) -> None:
        """Forget recorded ``messages`` and ``requests`` (failure programming stays)."""
        with self._cond:
            self._messages.clear()
            self._requests.clear()

    # ------------------------------------------------------------------ programming

    def fail_next(
        self,
        n: int,
        status: int,
        code: int,
        message: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Make the next ``n`` create calls (with valid auth) fail with this error.

        ``retry_after`` adds a ``Retry-After: <seconds>`` response header."""
        with self._cond:
            self._failures.extend(TwilioError(status, code, message, retry_after) for _ in range(n))

    def reject_number(
        self,
        to: str,
        status: int = 400,
        code: int = 21610,
        message: str | None = None,
    ) -> None:
        """Every create to ``to`` (exact ``To`` value, e.g. ``+2547...`` or
        ``whatsapp:+2547...``) fails with this error until ``accept_number``."""
        with self._cond:
            self._rejected[to] = TwilioError(status, code, message)

    def accept_number(self, to: str) -> None:
        with self._cond:
            self._rejected.pop(to, None)

    def storm(self, duration_s: float, every_nth: int = 1, retry_after: int | None = 1) -> None:
        """For the next ``duration_s`` seconds answer every ``every_nth`` create call
        (counting from the start of the storm) with 429 / 20429 and ``Retry-After``."""
        if every_nth < 1:
            raise ValueError("every_nth must be >= 1")
        with self._cond:
            self._storm_until = time.monotonic() + duration_s
            self._storm_every = every_nth
            self._storm_retry_after = retry_after
            self._storm_count = 0

    def end_storm(self) -> None:
        with self._cond:
            self._storm_until = 0.0

    # ------------------------------------------------------------------ dispatch

    def _record(self, params: dict[str, Any], status: int) -> None:
        with self._cond:
            self._requests.append(RecordedRequest(time.monotonic(), params, status))

    def _check_auth(self, authorization: str | None) -> None:
        if not authorization or not authorization.lower().startswith("basic "):
            raise TwilioError(401, 20003)
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise TwilioError(401, 20003) from None
        user, _, password = decoded.partition(":")
        if user != self.account_sid or password != self.auth_token:
            raise TwilioError(401, 20003)

    def _create(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.latency > 0:
            time.sleep(self.latency)
        with self._cond:
            if self._failures:
                raise self._failures.popleft()
            now = time.monotonic()
            if now < self._storm_until:
                self._storm_count += 1
                if self._storm_count % self._storm_every == 0:
                    raise TwilioError(429, 20429, retry_after=self._storm_retry_after)

            to = params.get("To") or ""
            from_ = params.get("From") or None
            service = params.get("MessagingServiceSid") or None
            body = params.get("Body") or ""
            content_sid = params.get("ContentSid") or None
            media = params.get("MediaUrl") or []
            if not to:
                raise TwilioError(400, 21604)
            if not from_ and not service:
                raise TwilioError(400, 21603)
            if not body and not content_sid and not media:
                raise TwilioError(400, 21602)
            content_variables = None
            if params.get("ContentVariables"):
                try:
                    content_variables = json.loads(params["ContentVariables"])
                except ValueError:
                    raise TwilioError(400, 21656) from None
                if not isinstance(content_variables, dict):
                    raise TwilioError(400, 21656)
            if to in self._rejected:
                raise self._rejected[to]

            sid = new_sid("SM" if not media else "MM")
            stamp = format_datetime(datetime.now(UTC))
            uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
            resource = {
                "account_sid": self.account_sid,
                "api_version": API_VERSION,
                "body": body,
                "date_created": stamp,
                "date_sent": None,
                "date_updated": stamp,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": from_,
                "messaging_service_sid": service,
                "num_media": str(len(media)),
                "num_segments": str(num_segments(body)),
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                # Twilio answers "accepted" when a Messaging Service picks the sender.
                "status": "queued" if from_ else "accepted",
                "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
                "to": to,
                "uri": uri,
            }
            self._resources[sid] = resource
            self._messages.append(
                {
                    "sid": sid,
                    "to": to,
                    "from": from_,
                    "body": body,
                    "content_sid": content_sid,
                    "content_variables": content_variables,
                    "status_callback": params.get("StatusCallback") or None,
                    "messaging_service_sid": service,
                    "media_url": list(media),
                    "at": now,
                    "params": params,
                }
            )
            self._cond.notify_all()
            return dict(resource)

    def _fetch(self, sid: str) -> dict[str, Any]:
        with self._cond:
            resource = self._resources.get(sid)
            if resource is None:
                raise TwilioError(
                    404,
                    20404,
                    f"The requested resource /{API_VERSION}/Accounts/{self.account_sid}"
                    f"/Messages/{sid}.json was not found",
                )
            return dict(resource)


def status_callback_params(
    message: dict[str, Any],
    status: str,
    account_sid: str = ACCOUNT_SID,
    error_code: int | None = None,
) -> list[tuple[str, str]]:
    """The form fields Twilio would POST to ``message["status_callback"]`` for a
    message recorded by the fake (``fake.messages[i]``) reaching ``status``."""
    params: list[tuple[str, str]] = []
    if error_code is not None:
        params.append(("ErrorCode", str(error_code)))
    params += [
        ("SmsSid", message["sid"]),
        ("SmsStatus", status),
        ("MessageStatus", status),
        ("To", message["to"]),
    ]
    if message.get("messaging_service_sid"):
        params.append(("MessagingServiceSid", message["messaging_service_sid"]))
    params += [
        ("MessageSid", message["sid"]),
        ("AccountSid", account_sid),
        ("From", message.get("from") or ""),
        ("ApiVersion", API_VERSION),
    ]
    return params


def _parse_form(body: bytes) -> dict[str, Any]:
    """Parse an urlencoded body; repeated keys (and list params) become lists."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        if key in _LIST_PARAMS:
            out.setdefault(key, []).append(value)
        elif key in out:
            prev = out[key]
            out[key] = (prev if isinstance(prev, list) else [prev]) + [value]
        else:
            out[key] = value
    return out


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeTwilioAPI/1.0"

    def do_POST(self) -> None:  # noqa: N802 (stdlib naming)
        self._dispatch("POST")

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _dispatch(self, method: str) -> None:
        fake: FakeTwilioAPI = self.server.fake  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        params: dict[str, Any] = {}
        try:
            try:
                params = _parse_form(body)
            except (UnicodeDecodeError, ValueError):
                raise TwilioError(400, 20001, "Unable to parse request body") from None
            fake._check_auth(self.headers.get("Authorization"))
            create = _CREATE_RE.match(url.path)
            fetch = _FETCH_RE.match(url.path)
            match = create if method == "POST" else fetch if method == "GET" else None
            if match is None or match["account"] != fake.account_sid:
                raise TwilioError(404, 20404, f"The requested resource {url.path} was not found")
            if create is not None:
                status, result = 201, fake._create(params)
            else:
                status, result = 200, fake._fetch(fetch["sid"])  # type: ignore[index]
        except TwilioError as err:
            fake._record(params, err.status)
            self._reply(err.status, err.body(), err.retry_after)
        except Exception as exc:  # a bug in the fake: surface it as a 500
            fake._record(params, 500)
            self._reply(500, {"code": 20500, "message": repr(exc), "more_info": "", "status": 500})
        else:
            fake._record(params, status)
            self._reply(status, result)

    def _reply(self, status: int, payload: dict[str, Any], retry_after: int | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Twilio-Request-Id", new_sid("RQ"))
        if retry_after is not None:
            self.send_header("Retry-After", str(retry_after))
        self.end_headers()
        self.wfile.write(data)


FakeTwilioAPI.handler = _Handler
