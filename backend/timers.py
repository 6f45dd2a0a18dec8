"""Timers that have come due (`fires` rows), run by the sweep: today, a waiting conversation that
expired is closed and the person gets a short note. A timer whose conversation moved on (answered,
replaced, already closed by the person's next message) does nothing."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from backend import routing
from backend.context import Context
from backend.people import person_view
from backend.pipeline import service as pipeline
from backend.pipeline.models import Fire
from backend.roster.models import Person
from conversations import engine

log = logging.getLogger(__name__)


def fire_due(ctx: Context, now: datetime, *, limit: int = 500) -> int:
    """Run the due expiry timers; the number of notes queued."""
    sends = []
    with ctx.db.transaction() as session:
        due = session.scalars(select(Fire).where(Fire.kind == pipeline.EXPIRY, Fire.done_at.is_(None),
                                                 Fire.due_at <= now).order_by(Fire.due_at).limit(limit)).all()
        for fire in due:
            fire.done_at = now
            # The person's row is the lock their inbound messages take: never both at once.
            person = session.get(Person, fire.person_id, with_for_update=True)
            state = pipeline.load_state(session, person_id=fire.person_id)
            if person is None or pipeline.session_key(state) != fire.session_token:
                continue
            view = person_view(session, person, now, extra_action_ids=state.get("actions", ()),
                               answering=False)
            text = engine.expired_note(view, state)
            pipeline.save_state(session, person_id=person.id, state=None, now=now)
            if not person.active:
                continue
            routes, reasons = routing.plan(session, person=person, kind="session_expired", text=text, now=now,
                                           settings=ctx.settings, configured=ctx.configured)
            if not routes:
                log.warning("expiry note to %s not sent: %s", person.name, "; ".join(reasons))
                continue
            row = pipeline.queue_outbound(session, key=f"expired:{fire.id}", channel=routes[0].channel,
                                          address=routes[0].address, text=text, kind="session_expired", now=now,
                                          person_id=person.id, priority=1)
            if row is not None:
                sends.append((row.id, row.priority, row.channel))
    for outbox_id, priority, channel in sends:
        ctx.dispatcher.enqueue_send(outbox_id, priority, channel)
    return len(sends)
