"""Timers that have come due (`fires` rows), run by the sweep: today, a waiting conversation that
expired is closed and the person gets a short note. A timer whose conversation moved on (answered,
replaced, already closed by the person's next message) does nothing."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from sqlalchemy import select

from backend.outbox.start import start_message
from backend.roster.models import Person
from backend.sessions.models import Fire
from backend.sessions.people import person_view
from backend.sessions.state import EXPIRY, load_state, save_state, session_key
from backend.wiring.context import Context
from conversations import engine

log = logging.getLogger(__name__)


def fire_due(ctx: Context, now: datetime, *, limit: int = 500) -> int:
    """Run the due expiry timers; the number of notes queued."""
    with ctx.work() as work:
        session = work.session
        due = session.scalars(
            select(Fire)
            .where(Fire.kind == EXPIRY, Fire.done_at.is_(None), Fire.due_at <= now)
            .order_by(Fire.due_at)
            .limit(limit)
        ).all()
        for fire in due:
            fire.done_at = now
            # The person's row is the lock their inbound messages take: never both at once.
            person = session.get(Person, fire.person_id, with_for_update={"key_share": True})
            # Expiry timers are always armed for a person (sessions.state._arm_expiry).
            state = load_state(session, person_id=cast(int, fire.person_id))
            if person is None or state is None or session_key(state) != fire.session_token:
                continue
            view = person_view(
                session,
                person,
                now,
                extra_action_ids=state.action_ids(),
                answering=False,
                fallback_language=ctx.settings.default_language,
                mechanism=ctx.settings.mechanism_name,
            )
            text = engine.expired_note(view, state)
            save_state(session, person_id=person.id, state=None, now=now)
            if not person.active:
                continue
            row, why = start_message(
                session,
                person=person,
                kind="session_expired",
                text=text,
                key=f"expired:{fire.id}",
                now=now,
                settings=ctx.settings,
                configured=ctx.configured,
            )
            if row is not None:
                work.send(row)
            elif why != "already sent":
                log.warning("expiry note to %s not sent: %s", person.name, why)
    return len(work.sends)
