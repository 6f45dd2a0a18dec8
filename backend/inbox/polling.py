"""Telegram without a public URL: register the webhook (with its secret), or long-poll getUpdates
and feed each update into the same inbox the webhook would."""

from __future__ import annotations

import logging

from backend.inbox.service import accept
from backend.wiring.context import Context
from bot.channel import WebhookRequest
from bot.handlers.telegram import TelegramChannel, TelegramSender
from bot.message import Ignored, StatusUpdate, WebhookRejected

log = logging.getLogger(__name__)


def _telegram(ctx: Context) -> tuple[TelegramChannel, TelegramSender]:
    channel = ctx.channels.get("telegram")
    if not isinstance(channel, TelegramChannel) or channel.sender is None:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set")
    return channel, channel.sender


def set_webhook(ctx: Context) -> str:
    if not ctx.settings.telegram_webhook_secret:
        raise SystemExit("TELEGRAM_WEBHOOK_SECRET is not set: the webhook would accept forged updates")
    url = f"{ctx.settings.public_base_url}/webhooks/telegram"
    _telegram(ctx)[1].set_webhook(url, ctx.settings.telegram_webhook_secret)
    return f"webhook set to {url} (with secret token)"


def poll(ctx: Context, *, rounds: int | None = None, timeout: int = 20) -> int:
    """Long-poll getUpdates and feed each update into the same inbox as the webhook would."""
    channel, sender = _telegram(ctx)
    sender.delete_webhook()
    offset = None
    done = 0
    while rounds is None or done < rounds:
        done += 1
        for update_id, raw in sender.get_updates(offset, timeout=timeout):
            offset = update_id + 1
            try:
                items = channel.parse(WebhookRequest(method="POST", url="", path="", headers={}, body=raw))
            except WebhookRejected as exc:
                log.warning("skipping unreadable update %s: %s", update_id, exc)
                continue
            for item in items:
                if not isinstance(item, (Ignored, StatusUpdate)):
                    accept(ctx, item)
    return 0
