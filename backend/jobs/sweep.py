"""The sweep: re-enqueue whatever is unfinished (inbox rows not handled, outbox rows due or whose
lease ended). Losing Redis, or a worker dying mid-job, loses nothing: the rows say what is left."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from backend.accounts import sessions as web_sessions
from backend.inbox.models import InboxMessage
from backend.outbox.models import OutboxMessage
from backend.schedule import planner
from backend.sessions.timers import fire_due
from backend.wiring.context import Context


def sweep(ctx: Context, now: datetime, *, limit: int = 1000, schedule: bool | None = None) -> dict[str, int]:
    """Re-enqueue what no queue holds any more: rows whose job Redis lost (or never got), sends
    whose lease ended (their worker died). A row whose job is still waiting in a queue is left
    alone, however long the queue and however old the row: re-enqueuing old rows at every sweep
    grew the queues faster than workers drained them (docs/faults.md). With SCHEDULER_ENABLED, the scheduler's pass first
    (backend/schedule/planner.py): one process does both."""
    run = ctx.settings.scheduler_enabled if schedule is None else schedule
    rounds = planner.tick(ctx, now) if run else None
    expired = fire_due(ctx, now)
    grace = timedelta(seconds=ctx.settings.stale_after_seconds)
    stale = now - grace
    waiting_in, waiting_out = ctx.dispatcher.pending("inbound"), ctx.dispatcher.pending("send")
    with ctx.db.transaction() as session:
        # Signed-in browsers past their idle or absolute timeout: their rows go.
        web_sessions.purge(
            session,
            now,
            idle=timedelta(minutes=ctx.settings.admin_idle_minutes),
            absolute=timedelta(hours=ctx.settings.admin_absolute_hours),
        )
        # Messages held for the end of the quiet hours (backend/outbox/send.py `held`) whose time has
        # come at `now` are released: due like any fresh row, even by a `nmirf tick` ahead of the clock.
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == "queued",
                OutboxMessage.attempts == 0,
                OutboxMessage.next_attempt_at <= now,
                OutboxMessage.next_attempt_at > OutboxMessage.created_at,
            )
            .values(next_attempt_at=OutboxMessage.created_at)
        )
        inbox = [
            row_id
            for (row_id,) in session.execute(
                select(InboxMessage.id)
                .where(InboxMessage.status == "new", InboxMessage.received_at <= stale)
                .order_by(InboxMessage.id)
            )
            if row_id not in waiting_in
        ][:limit]
        outbox = [
            (row_id, priority, channel)
            for row_id, priority, channel, status in session.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.priority,
                    OutboxMessage.channel,
                    OutboxMessage.status,
                )
                .where(
                    OutboxMessage.status.in_(("queued", "sending")),
                    OutboxMessage.next_attempt_at <= now,
                    # a fresh row was enqueued by whoever created it; leave it that moment
                    or_(OutboxMessage.attempts > 0, OutboxMessage.created_at <= stale),
                )
                .order_by(OutboxMessage.priority, OutboxMessage.id)
            )
            if status == "sending" or row_id not in waiting_out
        ][:limit]
    for inbox_id in inbox:
        ctx.dispatcher.enqueue_inbound(inbox_id)
    ctx.dispatcher.enqueue_sends(outbox)
    done = {"inbound": len(inbox), "outbound": len(outbox), "expired": expired}
    return done | {"rounds": sum(rounds.values())} if rounds is not None else done
