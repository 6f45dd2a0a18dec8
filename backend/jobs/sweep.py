"""The sweep: re-enqueue whatever is unfinished (inbox rows not handled, outbox rows due or whose
lease ended). Losing Redis, or a worker dying mid-job, loses nothing: the rows say what is left."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select

from backend.context import Context
from backend.pipeline.models import InboxMessage, OutboxMessage


def sweep(ctx: Context, now: datetime, *, limit: int = 1000) -> dict[str, int]:
    stale = now - timedelta(seconds=ctx.settings.stale_after_seconds)
    with ctx.db.transaction() as session:
        inbox = session.scalars(
            select(InboxMessage.id).where(InboxMessage.status == "new", InboxMessage.received_at <= stale)
            .order_by(InboxMessage.id).limit(limit)).all()
        outbox = session.execute(
            select(OutboxMessage.id, OutboxMessage.priority, OutboxMessage.channel).where(
                OutboxMessage.status.in_(("queued", "sending")),
                OutboxMessage.next_attempt_at <= now,
                # a fresh row was enqueued by whoever created it; leave it that moment
                or_(OutboxMessage.attempts > 0, OutboxMessage.created_at <= stale),
            ).order_by(OutboxMessage.priority, OutboxMessage.id).limit(limit)).all()
    for inbox_id in inbox:
        ctx.dispatcher.enqueue_inbound(inbox_id)
    for outbox_id, priority, channel in outbox:
        ctx.dispatcher.enqueue_send(outbox_id, priority, channel)
    return {"inbound": len(inbox), "outbound": len(outbox)}
