"""Starting conversations: this week's progress prompt for every lead focal point."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from backend import routing
from backend.config import Settings
from backend.people import person_view
from backend.pipeline import service as pipeline
from backend.roster import service as roster
from backend.roster.models import Person
from conversations import engine
from conversations.views import iso_period

log = logging.getLogger(__name__)


def send_weekly(session: Session, *, now: datetime, timeout: timedelta, settings: Settings, configured: set[str],
                person: Person | None = None) -> dict:
    """Queue this week's prompt for each lead with open actions (or just `person`). Idempotent per
    person and week: running it twice sends nothing more. Returns what was done, with reasons."""
    period = iso_period(now)
    people = [person] if person is not None else roster.leads(session, day=now.date())
    report = {"queued": [], "skipped": []}
    for p in people:
        view = person_view(session, p, now, answering=False)
        outcome = engine.start_weekly(view, pipeline.load_state(session, person_id=p.id), now, timeout,
                                      token=f"weekly:{period}")
        if outcome is None:
            report["skipped"].append((p.name, "no open action"))
            continue
        routes, reasons = routing.plan(session, person=p, kind="weekly_prompt", text=outcome.replies[0].text,
                                       now=now, settings=settings, configured=configured)
        if not routes:
            report["skipped"].append((p.name, "no channel: " + "; ".join(reasons)))
            continue
        row = pipeline.queue_outbound(session, key=f"weekly:{period}:{p.id}", channel=routes[0].channel,
                                      address=routes[0].address,
                                      text=outcome.replies[0].text, kind="weekly_prompt", now=now, person_id=p.id,
                                      priority=1)
        if row is None:
            report["skipped"].append((p.name, f"already prompted for {period}"))
            continue
        pipeline.save_state(session, person_id=p.id, state=outcome.state, now=now)
        report["queued"].append(row)
    return report
