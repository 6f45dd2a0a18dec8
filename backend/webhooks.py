"""Webhook routes: authenticate and parse (in bot.handlers), commit the inbox row, then answer 200.

A duplicate delivery (same channel and provider id) is acknowledged without a second effect. The
job that handles the row is enqueued only after the commit."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from backend.context import Context
from backend.deps import context
from backend.pipeline import service as pipeline
from backend import delivery
from bot.handlers import simulator, telegram, twilio
from bot.message import Channel, Ignored, WebhookRejected

log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
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


def _twilio_form(request: Request, body: bytes, ctx: Context):
    """Authenticate a Twilio webhook; returns its form fields."""
    if not ctx.settings.twilio_enabled:
        raise WebhookRejected("Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN", status=503)
    form = twilio.read_form(body)
    twilio.verify(ctx.settings.twilio_auth_token, ctx.settings.public_base_url, request.url.path,
                  request.url.query, form, request.headers.get(twilio.SIGNATURE_HEADER))
    return form


async def _twilio_message(request: Request, ctx: Context, channel: Channel):
    try:
        form = _twilio_form(request, await request.body(), ctx)
        item = twilio.parse_inbound(form, channel)
    except WebhookRejected as exc:
        return _reject(exc)
    await run_in_threadpool(_accept, ctx, item)
    return Response(EMPTY_TWIML, media_type="text/xml")  # we answer later, through the API


@router.post("/twilio/sms")
async def twilio_sms(request: Request, ctx: Context = Depends(context)):
    return await _twilio_message(request, ctx, Channel.SMS)


@router.post("/twilio/whatsapp")
async def twilio_whatsapp(request: Request, ctx: Context = Depends(context)):
    return await _twilio_message(request, ctx, Channel.WHATSAPP)


@router.post("/twilio/status")
async def twilio_status(request: Request, ctx: Context = Depends(context)):
    try:
        form = _twilio_form(request, await request.body(), ctx)
        update = twilio.parse_status(form)
    except WebhookRejected as exc:
        return _reject(exc)
    except twilio.UnknownStatus as exc:
        await run_in_threadpool(_unknown_status, ctx, exc)
        return JSONResponse({"ok": True, "error": str(exc)})
    await run_in_threadpool(_status, ctx, update)
    return JSONResponse({"ok": True})


def _status(ctx: Context, update) -> None:
    with ctx.db.transaction() as session:
        row = delivery.apply_status(session, update, datetime.now(timezone.utc))
        again = (row.id, row.priority, row.channel) if row is not None else None
    if again:
        ctx.dispatcher.enqueue_send(*again)


def _unknown_status(ctx: Context, exc) -> None:
    with ctx.db.transaction() as session:
        delivery.record_unknown_status(session, exc.provider_id, exc.status)


@router.post("/simulator")
async def simulator_webhook(request: Request, ctx: Context = Depends(context)):
    try:
        item = simulator.parse(await request.body())
    except WebhookRejected as exc:
        return _reject(exc)
    return await run_in_threadpool(_accept, ctx, item)
