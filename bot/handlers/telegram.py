"""Telegram through python-telegram-bot: webhook parsing and authentication, sending, webhook set-up.

The library is used for what it is good at (Update.de_json, Bot, setWebhook); conversations are
our own. Sending runs the library's async Bot on one private event loop so that synchronous
workers can call `send()` without paying for a new HTTP client and a getMe per message."""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
import warnings
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import TypeVar

from telegram import Bot, KeyboardButton, ReplyKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from bot.channel import ErrorKind, Parsed, Webhook, WebhookRequest, not_ready
from bot.handlers import schemas
from bot.message import (
    Address,
    Channel,
    ChannelEvent,
    Contact,
    ContentKind,
    DeliveryError,
    EventKind,
    Ignored,
    InboundMessage,
    OutboundMessage,
    WebhookRejected,
)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
T = TypeVar("T")
UPDATES = ["message", "edited_message", "my_chat_member"]


MAX_TEXT = 4096  # characters in one Telegram message


def verify_secret(expected: str, received: str | None) -> None:
    """Raise WebhookRejected(403) unless the secret header matches (constant-time)."""
    if not expected:
        raise WebhookRejected("TELEGRAM_WEBHOOK_SECRET is not set: refusing Telegram webhooks", status=403)
    if not received or not hmac.compare_digest(expected.encode(), received.encode()):
        raise WebhookRejected("missing or wrong X-Telegram-Bot-Api-Secret-Token", status=403)


def parse_update(body: bytes) -> InboundMessage | ChannelEvent | Ignored:
    """Turn a webhook body into our types. Malformed JSON -> WebhookRejected(400)."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise ValueError("not a Telegram update")
        update = Update.de_json(data, None)
    except RecursionError:
        raise WebhookRejected("unreadable Telegram update: nested too deep", status=400) from None
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, OSError) as exc:
        # OverflowError, OSError: a `date` past what the platform's clock can hold
        raise WebhookRejected(f"unreadable Telegram update: {exc}", status=400) from None
    return from_update(update)


def from_update(update: Update) -> InboundMessage | ChannelEvent | Ignored:
    uid = str(update.update_id)
    member = update.my_chat_member
    if member is not None:
        if member.chat.type != "private":
            return Ignored("membership change outside a private chat")
        status = member.new_chat_member.status
        kind = EventKind.BLOCKED if status in ("kicked", "left") else EventKind.START
        return ChannelEvent(Address(Channel.TELEGRAM, str(member.chat.id)), uid, kind)

    msg = update.message or update.edited_message
    if msg is None:
        return Ignored("update without a message")
    if msg.chat.type != "private":
        return Ignored("message outside a private chat")
    address = Address(Channel.TELEGRAM, str(msg.chat.id))
    sender = msg.from_user
    when = msg.edit_date or msg.date

    def inbound(kind: ContentKind, text: str = "", contact: Contact | None = None) -> InboundMessage:
        return InboundMessage(
            address=address,
            provider_id=uid,
            kind=kind,
            text=text,
            contact=contact,
            sender_name=sender.full_name if sender else "",
            received_at=when.astimezone(UTC) if when else None,
            edited=update.edited_message is not None,
        )

    if msg.contact is not None:
        own = sender is not None and msg.contact.user_id is not None and msg.contact.user_id == sender.id
        return inbound(ContentKind.CONTACT, contact=Contact(msg.contact.phone_number, own))
    if msg.text:
        # Telegram's own limit; a longer text is not from Telegram, and is cut there.
        text = msg.text[:MAX_TEXT]
        return inbound(ContentKind.COMMAND if text.startswith("/") else ContentKind.TEXT, text)
    return inbound(ContentKind.UNSUPPORTED)


def _markup(message: OutboundMessage):
    if not message.buttons:
        return None
    rows = [[KeyboardButton(b.text, request_contact=b.request_contact)] for b in message.buttons]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


def _delivery_error(exc: TelegramError) -> DeliveryError:
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta
            warnings.simplefilter("ignore")
            retry = exc.retry_after
        seconds = retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
        return DeliveryError(str(exc), permanent=False, code="429", retry_after=seconds, provider_wide=True)
    if isinstance(exc, Forbidden):
        return DeliveryError(str(exc), permanent=True, code="403")
    if isinstance(exc, InvalidToken):
        return DeliveryError(f"Telegram rejected TELEGRAM_BOT_TOKEN: {exc}", permanent=False, code="401")
    if isinstance(exc, BadRequest):
        return DeliveryError(str(exc), permanent=True, code="400")
    if isinstance(exc, (TimedOut, NetworkError)):
        return DeliveryError(str(exc), permanent=False, code="network", provider_wide=True)
    return DeliveryError(str(exc), permanent=False, code="telegram")


class TelegramSender:
    """Sends through one long-lived Bot on a private event loop (thread-safe)."""

    def __init__(self, token: str, base_url: str, timeout: float = 10.0):
        if not token:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self._token, self._base_url, self._timeout = token, base_url, timeout
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bot: Bot | None = None

    def _started(self) -> tuple[asyncio.AbstractEventLoop, Bot]:
        with self._lock:
            if self._loop is None or self._bot is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="telegram-send", daemon=True).start()
                request = HTTPXRequest(
                    connection_pool_size=16,
                    read_timeout=self._timeout,
                    connect_timeout=self._timeout,
                    write_timeout=self._timeout,
                )
                self._bot = Bot(self._token, base_url=self._base_url, request=request)
            return self._loop, self._bot

    def _run(self, call: Callable[[Bot], Awaitable[T]], wait: float | None = None) -> T:
        """Run `call(bot)` on the private loop and wait for its result."""
        loop, bot = self._started()

        async def go() -> T:
            return await call(bot)

        return asyncio.run_coroutine_threadsafe(go(), loop).result(wait or self._timeout * 3)

    def send(self, message: OutboundMessage) -> str:
        try:
            sent = self._run(
                lambda bot: bot.send_message(
                    chat_id=int(message.address.id), text=message.text, reply_markup=_markup(message)
                )
            )
        except TelegramError as exc:
            raise _delivery_error(exc) from None
        except TimeoutError:
            raise DeliveryError(
                "Telegram did not answer in time", permanent=False, code="timeout", provider_wide=True
            ) from None
        return str(sent.message_id)

    def set_webhook(self, url: str, secret: str) -> bool:
        return bool(self._run(lambda bot: bot.set_webhook(url=url, secret_token=secret, allowed_updates=UPDATES)))

    def delete_webhook(self) -> bool:
        return bool(self._run(lambda bot: bot.delete_webhook()))

    def get_updates(self, offset: int | None, timeout: int = 20) -> list[tuple[int, bytes]]:
        """Long-poll for updates (for running without a public URL): (update_id, raw JSON) pairs."""
        updates = self._run(
            lambda bot: bot.get_updates(
                offset=offset, timeout=timeout, allowed_updates=UPDATES, read_timeout=timeout + 10
            ),
            wait=max(self._timeout * 3, timeout + 30),
        )
        return [(u.update_id, json.dumps(u.to_dict()).encode()) for u in updates]

    def close(self) -> None:
        if self._loop is not None:

            async def stop():
                if self._bot is not None:
                    await self._bot.shutdown()

            try:
                asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
            except Exception:  # noqa: BLE001 - best effort on shutdown
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop = None


class TelegramChannel:
    """Telegram as a bot.channel.Channel: the webhook at /webhooks/telegram, checked against the
    secret token given to setWebhook; sends through one TelegramSender."""

    name = "telegram"
    # An update is a few KB (a text is at most 4,096 characters); 256 KiB leaves room for any.
    webhooks = (
        Webhook(
            "telegram",
            max_bytes=256 * 1024,
            required_header=SECRET_HEADER,
            verify_headers_only=True,
            openapi=schemas.request(
                "application/json", schemas.TELEGRAM_UPDATE, SECRET_HEADER, "the secret token given to setWebhook"
            ),
        ),
    )
    opt_out_words: frozenset[str] = frozenset()  # Telegram has no provider-side STOP

    def __init__(self, *, token: str, webhook_secret: str, api_base_url: str):
        self.webhook_secret = webhook_secret
        self.sender = TelegramSender(token, api_base_url) if token else None

    @classmethod
    def from_settings(cls, settings) -> list[TelegramChannel]:
        return [
            cls(
                token=settings.telegram_bot_token,
                webhook_secret=settings.telegram_webhook_secret,
                api_base_url=settings.telegram_api_base_url,
            )
        ]

    def ready(self) -> str | None:
        return None if self.sender is not None else "set TELEGRAM_BOT_TOKEN"

    def verify(self, request: WebhookRequest) -> None:
        verify_secret(self.webhook_secret, request.header(SECRET_HEADER))

    def parse(self, request: WebhookRequest) -> list[Parsed]:
        return [parse_update(request.body)]

    def send(self, message: OutboundMessage) -> str:
        if self.sender is None:
            raise not_ready(self.name, "set TELEGRAM_BOT_TOKEN")
        return self.sender.send(message)

    def classify(self, error: DeliveryError) -> ErrorKind:
        if error.code == "403":  # the person blocked the bot
            return ErrorKind.UNREACHABLE
        return ErrorKind.FAILED if error.permanent else ErrorKind.RETRY

    def close(self) -> None:
        if self.sender is not None:
            self.sender.close()


NAMES = ("telegram",)
from_settings = TelegramChannel.from_settings
