"""Starting conversations: this week's progress prompt for every lead focal point."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.outbox.start import start_message
from backend.roster import service as roster
from backend.roster.models import Person
from backend.sessions.people import person_view
from backend.sessions.state import load_state, save_state
from conversations import engine, weekly
from conversations.views import CHAT, iso_period


def send_weekly(
    session: Session,
    *,
    now: datetime,
    timeout: timedelta,
    settings: Settings,
    configured: set[str],
    person: Person | None = None,
) -> dict:
    """Queue this week's prompt for each lead with open actions (or just `person`). Idempotent per
    person and week: running it twice sends nothing more. Returns what was done, with reasons:
    `queued` outbox rows (enqueue them after commit) and `skipped` (name, why) pairs."""
    period = iso_period(now)
    people = [person] if person is not None else roster.leads(session, day=now.date())
    report: dict = {"queued": [], "skipped": []}
    for p in people:
        view = person_view(
            session,
            p,
            now,
            answering=False,
            fallback_language=settings.default_language,
            mechanism=settings.mechanism_name,
        )
        state, token = load_state(session, person_id=p.id), f"weekly:{period}"
        # Rendered for a chat app (full titles) and for SMS (the segment budget): the send takes
        # the one for the channel it goes out on. The engine is pure: both give the same state.
        outcome = engine.start(weekly.FLOW, replace(view, medium=CHAT), state, now, timeout, token=token)
        by_sms = engine.start(weekly.FLOW, view, state, now, timeout, token=token)
        if outcome is None or by_sms is None:
            report["skipped"].append((p.name, "no open action"))
            continue
        row, why = start_message(
            session,
            person=p,
            kind="weekly_prompt",
            text=outcome.replies[0].text,
            sms_text=by_sms.replies[0].text,
            key=f"weekly:{period}:{p.id}",
            now=now,
            settings=settings,
            configured=configured,
        )
        if row is None:
            report["skipped"].append((p.name, f"already prompted for {period}" if why == "already sent" else why))
            continue
        save_state(session, person_id=p.id, state=outcome.state, now=now)
        report["queued"].append(row)
    return report
