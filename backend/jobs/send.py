"""Job: send an outbox row (the work is in backend/outbox/send.py)."""

from __future__ import annotations

from backend.outbox.send import send
from backend.wiring.context import get_context
from backend.wiring.ride_out import ride_out


def send_outbound(outbox_id: int, channel: str = "", bulk: bool = False) -> str:
    """`channel` and `bulk` are hints from the queue (the row decides): with them a bulk send
    whose channel has no slot yet goes back in the queue before touching the database."""
    ctx = get_context()
    ctx.dispatcher.started("send", outbox_id)
    status = "crashed"
    try:
        status = ride_out(ctx.db, lambda: send(ctx, outbox_id, channel, bulk))
        return status
    finally:
        if status not in ("deferred", "queued", "sending"):  # no job of ours waits for this row now
            ctx.dispatcher.finished("send", outbox_id)
