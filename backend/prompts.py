"""Starting conversations: this week's progress prompt for every lead focal point."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from backend.people import person_view, reach
from backend.pipeline import service as pipeline
from backend.roster import service as roster
from backend.roster.models import Person
from conversations import engine
from conversations.views import iso_period

log = logging.getLogger(__name__)


def send_weekly(session: Session, *, now: datetime, timeout: timedelta, person: Person | None = None) -> dict:
    """Queue this week's prompt for each lead with open actions (or just `person`). Idempotent per
    person and week: running it twice sends nothing more. Returns what was done, with reasons."""
    period = iso_period(now)
    people = [person] if person is not None else roster.leads(session, day=now.date())
    report = {"queued": [], "skipped": []}
    for p in people:
        view = person_view(session, p, now)
        target = reach(p)
        if target is None:
            report["skipped"].append((p.name, f"no {p.preferred_channel} address yet (not linked)"))
            continue
        outcome = engine.start_weekly(view, pipeline.load_state(session, person_id=p.id), now, timeout,
                                      token=f"weekly:{period}")
        if outcome is None:
            report["skipped"].append((p.name, "no open action"))
            continue
        row = pipeline.queue_outbound(session, key=f"weekly:{period}:{p.id}", channel=target[0], address=target[1],
                                      text=outcome.replies[0].text, kind="weekly_prompt", now=now, person_id=p.id,
                                      priority=1)
        if row is None:
            report["skipped"].append((p.name, f"already prompted for {period}"))
            continue
        pipeline.save_state(session, person_id=p.id, state=outcome.state, now=now)
        report["queued"].append(row)
    return report
