"""Job: handle an inbox row. Idempotent; a crash before commit leaves the row `new` for the sweep.

Rows from one address are handled in arrival order under a lock on the person, so two workers
never interleave one person's conversation."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from backend.inbox.models import InboxMessage
from backend.roster import service as roster
from backend.sessions.runner import Runner
from backend.wiring.context import get_context, outage_errors
from backend.wiring.ride_out import ride_out

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def process_inbound(inbox_id: int) -> None:
    ctx = get_context()
    ctx.dispatcher.started("inbound", inbox_id)
    try:
        ride_out(ctx.db, lambda: _process(ctx, inbox_id))
    finally:  # handled, failed or set aside: no job of ours waits for it now (the sweep may retry it)
        ctx.dispatcher.finished("inbound", inbox_id)


def _process(ctx, inbox_id: int) -> None:
    now = datetime.now(UTC)
    try:
        with ctx.work() as work:
            session = work.session
            row = session.get(InboxMessage, inbox_id)
            if row is None or row.status != "new":
                return
            # A channel switched off (the simulator, by default) finds nobody, whatever was stored.
            person = (
                roster.find_by_address(session, channel=row.channel, address=row.address, lock=True)
                if row.channel in ctx.channels
                else None
            )
            # Everything still waiting from this address up to this row, oldest first.
            rows = session.scalars(
                select(InboxMessage)
                .where(
                    InboxMessage.channel == row.channel,
                    InboxMessage.address == row.address,
                    InboxMessage.status == "new",
                    InboxMessage.id <= inbox_id,
                )
                .order_by(InboxMessage.id)
                .with_for_update(key_share=True)  # answers refer to these rows: no wait on their inserts
            ).all()
            runner = Runner(session, settings=ctx.settings, channels=ctx.channels, configured=ctx.configured)
            for item in rows:
                if item.status != "new":
                    continue
                if person is not None and item.person_id is None:
                    item.person_id = person.id
                runner.handle(item, person, now)
                item.status = "done"
                item.attempts += 1
                item.processed_at = now
            for out in runner.outbox:
                work.send(out)
    except outage_errors():
        raise  # the database or Redis went away: not this message's fault, not an attempt
    except Exception as exc:
        _record_failure(inbox_id, exc)
        raise


def _record_failure(inbox_id: int, exc: Exception) -> None:
    """Count the failed attempt; after MAX_ATTEMPTS the row is set aside as `failed`."""
    ctx = get_context()
    try:
        with ctx.work() as work:
            session = work.session
            row = session.get(InboxMessage, inbox_id)
            if row is None or row.status != "new":
                return
            row.attempts += 1
            row.error = f"{type(exc).__name__}: {exc}"[:1000]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
                log.error("inbox %s failed %s times; set aside: %s", inbox_id, row.attempts, row.error)
    except Exception:  # noqa: BLE001 - the database itself may be the problem; the sweep retries
        log.exception("could not record the failure of inbox %s", inbox_id)
