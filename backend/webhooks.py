"""Webhook routes: authenticate and parse (in bot.handlers), commit the inbox row, then answer 200.

A duplicate delivery (same channel and provider id) is acknowledged without a second effect. The
job that handles the row is enqueued only after the commit."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from backend.context import Context
from backend.deps import context
from backend.pipeline import service as pipeline
from bot.handlers import simulator, telegram
from bot.message import Ignored, WebhookRejected

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks")


def _reject(exc: WebhookRejected) -> JSONResponse:
    log.warning("webhook rejected (%s): %s", exc.status, exc)
    return JSONResponse({"ok": False, "error": str(exc)}, status_code=exc.status)


def _accept(ctx: Context, item) -> JSONResponse:
    if isinstance(item, Ignored):
        return JSONResponse({"ok": True, "ignored": item.reason})
    with ctx.db.transaction() as session:
        inbox_id, new = pipeline.store_inbound(session, item, datetime.now(timezone.utc))
    if new:
        ctx.dispatcher.enqueue_inbound(inbox_id)
    return JSONResponse({"ok": True, "duplicate": not new})


@router.post("/telegram")
async def telegram_webhook(request: Request, ctx: Context = Depends(context)):
    try:
        telegram.verify_secret(ctx.settings.telegram_webhook_secret, request.headers.get(telegram.SECRET_HEADER))
        item = telegram.parse_update(await request.body())
    except WebhookRejected as exc:
        return _reject(exc)
    return await run_in_threadpool(_accept, ctx, item)


@router.post("/simulator")
async def simulator_webhook(request: Request, ctx: Context = Depends(context)):
    try:
        item = simulator.parse(await request.body())
    except WebhookRejected as exc:
        return _reject(exc)
    return await run_in_threadpool(_accept, ctx, item)
