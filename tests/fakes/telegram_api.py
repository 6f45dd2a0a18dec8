"""A local fake of the Telegram Bot API for tests.

``FakeTelegramAPI`` runs a real HTTP server on 127.0.0.1 (ephemeral port) that
speaks the Bot API wire protocol closely enough for python-telegram-bot to talk
to it unmodified::

    with FakeTelegramAPI() as fake:
        bot = telegram.Bot(fake.token, base_url=fake.base_url)
        ...
        fake.wait_for_sent(1)

Wire format notes (python-telegram-bot 22, ``HTTPXRequest``): every call is a
``POST /bot<token>/<method>``. Parameters are passed to httpx as ``data=`` (a
dict of strings; non-string values are JSON-encoded by PTB, e.g. ``chat_id``
-> ``"42"``, ``reply_markup`` -> ``'{"keyboard": ...}'``) plus ``files=``.
With no files httpx sends ``application/x-www-form-urlencoded``; with files it
sends ``multipart/form-data``; parameterless calls (``getMe``) have an empty
body. The fake also accepts ``application/json`` bodies and query-string
parameters, as the real API does.

Responses follow the Bot API envelope: ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections import deque
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .server import LocalServer

BOT_ID = 123456
BOT_USERNAME = "nmirf_test_bot"
BOT_USER = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "NMIRF Test Bot",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

BLOCKED_DESCRIPTION = "Forbidden: bot was blocked by the user"

# Longest time getUpdates will long-poll, whatever `timeout` the client asks for.
MAX_LONG_POLL = 1.0

# Form-encoded parameters whose values PTB JSON-encodes and we decode again.
_JSON_PARAMS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "allowed_updates",
    "commands",
    "scope",
    "link_preview_options",
    "reply_parameters",
}
_INT_PARAMS = {"offset", "limit", "timeout", "max_connections", "message_id", "cache_time"}
_BOOL_PARAMS = {
    "drop_pending_updates",
    "disable_notification",
    "protect_content",
    "show_alert",
    "allow_sending_without_reply",
}

_PATH_RE = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z0-9_]+)/?$")


class _ApiError(Exception):
    """Raised inside a method handler to produce an ``ok: false`` response."""

    def __init__(self, status: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class FakeTelegramAPI(LocalServer):
    """In-process fake Bot API server with call recording and programmable failures."""

    def __init__(self, token: str = "123456:TEST"):
        self.token = token
        # One condition (re-entrant lock) guards all mutable state below; it is
        # also notified whenever a message is sent or an update is queued.
        self._cond = threading.Condition(threading.RLock())
        self._sent: list[dict[str, Any]] = []
        self._calls: list[tuple[str, dict[str, Any]]] = []
        self._failures: deque[_ApiError] = deque()
        self._blocked: set[str] = set()
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._next_message_id = 1
        self._webhook: dict[str, Any] = {"url": "", "secret_token": None}
        self.commands: list[dict[str, Any]] = []
        self._stopping = False
        self._hold = threading.Event()  # set: sendMessage calls wait for release_sends()
        self._released = threading.Event()
        self._deliver_held = True
        self.held = 0  # how many sendMessage calls are waiting now
        self._storm: _ApiError | None = None  # set: every sendMessage fails so until _storm_until
        self._storm_until = 0.0

    # ------------------------------------------------------------------ lifecycle

    def _before_start(self) -> None:
        self._stopping = False

    def _before_stop(self) -> None:
        with self._cond:  # release any long-polling getUpdates
            self._stopping = True
            self._cond.notify_all()

    @property
    def base_url(self) -> str:
        """Value for ``telegram.Bot(token, base_url=...)``; PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    # ------------------------------------------------------------------ recording

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Snapshot of successful sendMessage calls (chat_id, text, reply_markup, ...)."""
        with self._cond:
            return list(self._sent)

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Snapshot of every API call as ``(method, params)``, failed ones included."""
        with self._cond:
            return list(self._calls)

    def wait_for_sent(self, n: int, timeout: float = 10) -> list[dict[str, Any]]:
        """Block until at least ``n`` messages were sent; return them all."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._sent) >= n, timeout=timeout):
                raise AssertionError(
                    f"expected at least {n} sent message(s) within {timeout}s, got {len(self._sent)}: {self._sent!r}"
                )
            return list(self._sent)

    def clear(self) -> None:
        """Forget recorded ``sent`` messages and ``calls`` (failure programming stays)."""
        with self._cond:
            self._sent.clear()
            self._calls.clear()

    # ------------------------------------------------------------------ programming

    def fail_next(
        self,
        n: int,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Make the next ``n`` sendMessage calls fail with this error."""
        if description is None:
            description = HTTPStatus(status).phrase
            if retry_after is not None:
                description = f"Too Many Requests: retry after {retry_after}"
        with self._cond:
            self._failures.extend(_ApiError(status, description, retry_after) for _ in range(n))

    def storm(self, duration_s: float, status: int = 429, retry_after: int | None = 1) -> None:
        """For the next ``duration_s`` seconds answer every sendMessage with this error (429 with
        ``retry_after``, or e.g. 500), like a provider throttling or failing for a while."""
        description = HTTPStatus(status).phrase
        if status == 429 and retry_after is not None:
            description = f"Too Many Requests: retry after {retry_after}"
        with self._cond:
            self._storm = _ApiError(status, description, retry_after if status == 429 else None)
            self._storm_until = time.monotonic() + duration_s

    def end_storm(self) -> None:
        with self._cond:
            self._storm, self._storm_until = None, 0.0

    def wait_held(self, n: int = 1, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.held < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {n} held sendMessage call(s), have {self.held}")
                self._cond.wait(left)

    def block_chat(self, chat_id: int | str) -> None:
        """Every sendMessage to ``chat_id`` fails with 403 (user blocked the bot)."""
        with self._cond:
            self._blocked.add(str(chat_id))

    def unblock_chat(self, chat_id: int | str) -> None:
        with self._cond:
            self._blocked.discard(str(chat_id))

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an Update payload for getUpdates; assigns update_id if missing."""
        update = copy.deepcopy(update)
        with self._cond:
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
            self._updates.append(update)
            self._cond.notify_all()
        return update

    @property
    def webhook(self) -> dict[str, Any]:
        """Current webhook settings: ``{"url": ..., "secret_token": ...}``."""
        with self._cond:
            return dict(self._webhook)

    # ------------------------------------------------------------------ dispatch

    def _handle(self, method: str, params: dict[str, Any]) -> Any:
        """Run one API method; returns the ``result`` or raises ``_ApiError``."""
        with self._cond:
            self._calls.append((method, params))
        handler = self._METHODS.get(method.lower())
        if handler is None:
            raise _ApiError(404, "Not Found")
        return handler(self, params)

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(BOT_USER)

    def hold_sends(self) -> None:
        """Make sendMessage calls hang (like a provider that stops answering) until released."""
        self._released.clear()
        self._hold.set()

    def release_sends(self, deliver: bool) -> None:
        """Let held calls go on: delivered (recorded) or failed with 500 (never delivered)."""
        self._deliver_held = deliver
        self._hold.clear()
        self._released.set()

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        text = params.get("text")
        if self._hold.is_set():
            with self._cond:
                self.held += 1
                self._cond.notify_all()
            self._released.wait(60)
            with self._cond:
                self.held -= 1
            if not self._deliver_held:
                raise _ApiError(500, "Internal Server Error")
        with self._cond:
            if self._failures:
                raise self._failures.popleft()
            if self._storm is not None and time.monotonic() < self._storm_until:
                raise _ApiError(self._storm.status, self._storm.description, self._storm.retry_after)
            if str(chat_id) in self._blocked:
                raise _ApiError(403, BLOCKED_DESCRIPTION)
            if chat_id in (None, ""):
                raise _ApiError(400, "Bad Request: chat_id is empty")
            if not text:
                raise _ApiError(400, "Bad Request: message text is empty")

            message_id = self._next_message_id
            self._next_message_id += 1
            message: dict[str, Any] = {
                "message_id": message_id,
                "from": dict(BOT_USER),
                "chat": _chat_for(chat_id),
                "date": int(time.time()),
                "text": text,
            }
            if params.get("entities"):
                message["entities"] = params["entities"]
            markup = params.get("reply_markup")
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                message["reply_markup"] = markup  # Telegram echoes inline keyboards only

            self._sent.append(
                {
                    "chat_id": str(chat_id),
                    "text": text,
                    "reply_markup": markup,
                    "message_id": message_id,
                    "params": params,
                    "at": time.monotonic(),
                }
            )
            self._cond.notify_all()
        return message

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self._webhook = {
                "url": params.get("url") or "",
                "secret_token": params.get("secret_token") or None,
                "max_connections": params.get("max_connections"),
                "allowed_updates": params.get("allowed_updates"),
            }
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self._webhook = {"url": "", "secret_token": None}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            info: dict[str, Any] = {
                "url": self._webhook["url"],
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
                # Not part of the real API (PTB exposes it via WebhookInfo.api_kwargs).
                "has_secret_token": self._webhook.get("secret_token") is not None,
            }
            if self._webhook.get("max_connections") is not None:
                info["max_connections"] = self._webhook["max_connections"]
            if self._webhook.get("allowed_updates") is not None:
                info["allowed_updates"] = self._webhook["allowed_updates"]
            return info

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), MAX_LONG_POLL)
        deadline = time.monotonic() + wait
        with self._cond:
            if self._webhook["url"]:
                raise _ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            # Like Telegram: a positive offset confirms (drops) all earlier updates;
            # a negative one keeps only the last -offset updates.
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            while not self._updates and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return copy.deepcopy(self._updates[: max(1, min(limit, 100))])

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self.commands = list(params.get("commands") or [])
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        return True

    _METHODS = {
        "getme": _get_me,
        "sendmessage": _send_message,
        "setwebhook": _set_webhook,
        "deletewebhook": _delete_webhook,
        "getwebhookinfo": _get_webhook_info,
        "getupdates": _get_updates,
        "setmycommands": _set_my_commands,
        "answercallbackquery": _answer_callback_query,
    }


def _chat_for(chat_id: Any) -> dict[str, Any]:
    """A plausible Chat object for a sendMessage target."""
    try:
        numeric = int(chat_id)
    except (TypeError, ValueError):  # "@channelusername"
        return {"id": -1000000000001, "type": "channel", "username": str(chat_id).lstrip("@")}
    if numeric > 0:
        return {"id": numeric, "type": "private", "first_name": "User"}
    kind = "supergroup" if str(numeric).startswith("-100") else "group"
    return {"id": numeric, "type": kind, "title": "Chat"}


def _coerce(params: dict[str, Any]) -> dict[str, Any]:
    """Decode the JSON-encoded values PTB sends as form fields."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str):
            try:
                if key in _JSON_PARAMS:
                    value = json.loads(value)
                elif key in _INT_PARAMS:
                    value = int(value)
                elif key in _BOOL_PARAMS and value in ("true", "false"):
                    value = value == "true"
            except ValueError:
                pass  # leave malformed values as the raw string
        out[key] = value
    return out


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Parse a JSON, urlencoded or multipart request body into a dict."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}
    if mime == "application/json":
        data = json.loads(body)
        if not isinstance(data, dict):
            raise _ApiError(400, "Bad Request: request body must be a JSON object")
        return data
    if mime == "multipart/form-data":
        msg = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        fields: dict[str, Any] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:  # uploaded file: keep the raw bytes
                fields[name] = {
                    "filename": filename,
                    "content_type": part.get_content_type(),
                    "data": payload,
                }
            else:
                fields[name] = payload.decode(part.get_content_charset() or "utf-8")
        return fields
    # application/x-www-form-urlencoded (and anything unlabelled)
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeTelegramAPI/1.0"

    def do_POST(self) -> None:  # noqa: N802 (stdlib naming)
        self._dispatch()

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _dispatch(self) -> None:
        fake: FakeTelegramAPI = self.server.fake  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            match = _PATH_RE.match(url.path)
            if match is None:
                raise _ApiError(404, "Not Found")
            if match["token"] != fake.token:
                raise _ApiError(401, "Unauthorized")
            params: dict[str, Any] = dict(parse_qsl(url.query, keep_blank_values=True))
            try:
                params.update(_parse_body(self.headers.get("Content-Type", ""), body))
            except ValueError as exc:
                raise _ApiError(400, f"Bad Request: can't parse request body: {exc}") from exc
            result = fake._handle(match["method"], _coerce(params))
        except _ApiError as err:
            self._reply(err.status, err.body())
        except Exception as exc:  # a bug in the fake: surface it as a 500
            self._reply(500, {"ok": False, "error_code": 500, "description": repr(exc)})
        else:
            self._reply(200, {"ok": True, "result": result})

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


FakeTelegramAPI.handler = _Handler
