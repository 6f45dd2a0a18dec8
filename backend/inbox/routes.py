"""Webhook routes: one generic route per path each registered channel declares
(`/webhooks/<path>`). The channel authenticates and parses the request (bot.channel); here the
inbox row is committed, then the provider is answered. A duplicate delivery (same channel and
provider id) is acknowledged without a second effect. The job that handles the row is enqueued
only after the commit; a delivery status goes to the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from backend.deps import context
from backend.inbox.service import accept
from backend.outbox import delivery
from backend.wiring.context import Context
from bot.channel import Channel, Parsed, Webhook, WebhookRequest
from bot.message import Ignored, StatusUpdate, UnknownStatus, WebhookRejected

log = logging.getLogger(__name__)


def _reject(exc: WebhookRejected) -> JSONResponse:
    log.warning("webhook rejected (%s): %s", exc.status, exc)
    return JSONResponse({"ok": False, "error": str(exc)}, status_code=exc.status)


def _take(ctx: Context, items: list[Parsed]) -> dict[str, Any]:
    """Store each item (in a worker thread: this blocks on the database)."""
    answer: dict[str, Any] = {"ok": True}
    for item in items:
        if isinstance(item, Ignored):
            answer["ignored"] = item.reason
        elif isinstance(item, StatusUpdate):
            delivery.record_status(ctx, item, datetime.now(UTC))
        else:
            answer["duplicate"] = not accept(ctx, item)
    return answer


def _request(ctx: Context, request: Request, body: bytes) -> WebhookRequest:
    query = request.url.query
    url = ctx.settings.public_base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")
    return WebhookRequest(
        method=request.method,
        url=url,
        path=request.url.path,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
    )


def _route(channel: Channel, hook: Webhook) -> Callable[..., Coroutine[Any, Any, Response]]:
    async def webhook(request: Request, ctx: Context = Depends(context)) -> Response:
        incoming = _request(ctx, request, await request.body())
        try:
            channel.verify(incoming)
            items = channel.parse(incoming)
        except WebhookRejected as exc:
            return _reject(exc)
        except UnknownStatus as exc:
            await run_in_threadpool(delivery.record_unknown_status, ctx, exc.provider_id, exc.status)
            return JSONResponse({"ok": True, "error": str(exc)})
        answer = await run_in_threadpool(_take, ctx, items)
        if hook.answer is not None:
            return Response(hook.answer.body, media_type=hook.answer.media_type)
        return JSONResponse(answer)

    webhook.__name__ = f"webhook_{hook.path.replace('/', '_')}"
    return webhook


def router(channels: dict[str, Channel]) -> APIRouter:
    """/webhooks/<path> for every webhook of every channel."""
    routes = APIRouter(prefix="/webhooks")
    for channel in channels.values():
        for hook in channel.webhooks:
            routes.add_api_route(f"/{hook.path}", _route(channel, hook), methods=["POST"])
    return routes
