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
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.concurrency import run_in_threadpool

from backend.deps import context
from backend.inbox.service import accept, unstorable
from backend.outbox import delivery
from backend.wiring.context import Context
from bot.channel import Channel, Parsed, Webhook, WebhookRequest
from bot.message import Ignored, StatusUpdate, UnknownStatus, WebhookRejected

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


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


def _too_large(limit: int) -> WebhookRejected:
    return WebhookRejected(f"body larger than this webhook takes ({limit} bytes)", status=413)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it passes `limit`: never read whole first."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise WebhookRejected("unreadable Content-Length", status=400)
        if int(declared) > limit:
            raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _verify_and_parse(channel: Channel, hook: Webhook, incoming: WebhookRequest) -> list[Parsed]:
    """In a worker thread: signature checks and form or JSON parsing are CPU work."""
    if not hook.verify_headers_only:
        channel.verify(incoming)
    try:
        items = channel.parse(incoming)
    except UnknownStatus as exc:
        _storable((exc.provider_id, exc.status))
        raise
    for item in items:
        _storable(item)
    return items


def _storable(item: object) -> None:
    reason = unstorable(item)
    if reason is not None:
        raise WebhookRejected(f"not stored: the message carries {reason}", status=400)


def _unavailable() -> JSONResponse:
    """The database cannot be reached: nothing was stored, so the provider should try again."""
    return JSONResponse(
        {"ok": False, "error": "the store is unavailable; retry later"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _route(channel: Channel, hook: Webhook) -> Callable[..., Coroutine[Any, Any, Response]]:
    async def webhook(request: Request, ctx: Context = Depends(context)) -> Response:
        try:
            # Cheap refusals first, before a byte of the body is read.
            if hook.required_header and not request.headers.get(hook.required_header):
                raise WebhookRejected(f"missing {hook.required_header}", status=403)
            if hook.verify_headers_only:
                channel.verify(_request(ctx, request, b""))
            incoming = _request(ctx, request, await _read_body(request, hook.max_bytes))
            items = await run_in_threadpool(_verify_and_parse, channel, hook, incoming)
        except WebhookRejected as exc:
            return _reject(exc)
        except UnknownStatus as exc:
            try:
                await run_in_threadpool(delivery.record_unknown_status, ctx, exc.provider_id, exc.status)
            except (OperationalError, InterfaceError):
                return _unavailable()
            return JSONResponse({"ok": True, "error": str(exc)})
        try:
            answer = await run_in_threadpool(_take, ctx, items)
        except (OperationalError, InterfaceError):
            log.warning("webhook %s: the database is unavailable; answered 503", hook.path)
            return _unavailable()
        if hook.answer is not None:
            return Response(hook.answer.body, media_type=hook.answer.media_type)
        return JSONResponse(answer)

    webhook.__name__ = f"webhook_{hook.path.replace('/', '_')}"
    return webhook


ANSWER = {
    "type": "object",
    "required": ["ok"],
    "properties": {
        n: {"type": t}
        for n, t in (("ok", "boolean"), ("error", "string"), ("duplicate", "boolean"), ("ignored", "string"))
    },
}
REFUSALS = {
    "400": "the body is unreadable (not the provider's form or JSON, nested too deep, a bad Content-Length)",
    "403": "the credential header is missing or wrong",
    "413": "the body is larger than the provider ever sends",
    "503": "the store is unavailable (retry after Retry-After seconds), or the channel is not configured",
}


def _openapi(hook: Webhook) -> tuple[type[Response], dict[str, Any]]:
    """The response class and the OpenAPI fragment of a webhook's route (its request as the
    channel describes it, and what it answers); for the schema only: every answer is a Response."""
    responses: dict[str, Any] = {
        c: {"description": d, "content": {"application/json": {"schema": ANSWER}}} for c, d in REFUSALS.items()
    }
    if hook.answer is None:
        ok = {"application/json": {"schema": ANSWER}}
    else:
        ok = {hook.answer.media_type: {"schema": {"type": "string"}}}
    responses["200"] = {"description": "stored (or a duplicate delivery, or nothing to store)", "content": ok}
    return (JSONResponse if hook.answer is None else Response), {**(hook.openapi or {}), "responses": responses}


def router(channels: dict[str, Channel]) -> APIRouter:
    """/webhooks/<path> for every webhook of every channel."""
    routes = APIRouter(prefix="/webhooks")
    for channel in channels.values():
        for hook in channel.webhooks:
            answer, openapi = _openapi(hook)
            routes.add_api_route(
                f"/{hook.path}", _route(channel, hook), methods=["POST"], response_class=answer, openapi_extra=openapi
            )
    return routes
