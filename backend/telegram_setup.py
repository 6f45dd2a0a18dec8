"""Telegram set-up: register the webhook (with its secret), or poll when there is no public URL."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from backend.context import Context
from backend.pipeline import service as pipeline
from bot.handlers import telegram
from bot.message import Ignored, WebhookRejected

log = logging.getLogger(__name__)


def _sender(ctx: Context) -> telegram.TelegramSender:
    sender = ctx.senders.get("telegram")
    if not isinstance(sender, telegram.TelegramSender):
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set")
    return sender


def set_webhook(ctx: Context) -> str:
    if not ctx.settings.telegram_webhook_secret:
        raise SystemExit("TELEGRAM_WEBHOOK_SECRET is not set: the webhook would accept forged updates")
    url = f"{ctx.settings.public_base_url}/webhooks/telegram"
    _sender(ctx).set_webhook(url, ctx.settings.telegram_webhook_secret)
    return f"webhook set to {url} (with secret token)"


def poll(ctx: Context, *, rounds: int | None = None, timeout: int = 20) -> int:
    """Long-poll getUpdates and feed each update into the same inbox as the webhook would."""
    sender = _sender(ctx)
    sender.delete_webhook()
    offset = None
    done = 0
    while rounds is None or done < rounds:
        done += 1
        for update_id, raw in sender.get_updates(offset, timeout=timeout):
            offset = update_id + 1
            try:
                item = telegram.parse_update(raw)
            except WebhookRejected as exc:
                log.warning("skipping unreadable update %s: %s", update_id, exc)
                continue
            if isinstance(item, Ignored):
                continue
            with ctx.db.transaction() as session:
                inbox_id, new = pipeline.store_inbound(session, item, datetime.now(timezone.utc))
            if new:
                ctx.dispatcher.enqueue_inbound(inbox_id)
    return 0
