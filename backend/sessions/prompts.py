"""Starting conversations: the progress prompt for a period, to one person or to every lead."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.outbox.models import OutboxMessage
from backend.outbox.start import start_message
from backend.roster import service as roster
from backend.roster.models import Person
from backend.sessions.people import person_view
from backend.sessions.state import load_state, save_state
from conversations import engine, weekly
from conversations.views import CHAT, PersonView, iso_period


def prompt(
    session: Session,
    *,
    person: Person,
    period: str,
    now: datetime,
    timeout: timedelta,
    settings: Settings,
    configured: set[str],
    key: str | None = None,
    action_ids: Sequence[int] = (),
    preface: Callable[[PersonView], str] | None = None,
) -> tuple[list[OutboxMessage], str]:
    """Queue the prompt for `period` to one person: the actions they lead, plus `action_ids`
    (an institution they cover for), after a `preface` message if given (why they are asked).
    (rows, "") when queued; ([], why) when not: no open action, no channel, or sent already."""
    view = person_view(
        session,
        person,
        now,
        extra_action_ids=tuple(action_ids),
        answering=False,
        fallback_language=settings.default_language,
        mechanism=settings.mechanism_name,
    )
    if action_ids:  # covering for someone: their actions, first
        wanted = set(action_ids)
        view = replace(view, actions=tuple(sorted(view.actions, key=lambda a: a.id not in wanted)))
    state, token = load_state(session, person_id=person.id), f"weekly:{period}"
    # Rendered for a chat app (full titles) and for SMS (the segment budget): the send takes the
    # one for the channel it goes out on. The engine is pure: both give the same state.
    outcome = engine.start(weekly.FLOW, replace(view, medium=CHAT), state, now, timeout, token=token)
    by_sms = engine.start(weekly.FLOW, view, state, now, timeout, token=token)
    if outcome is None or by_sms is None:
        return [], "no open action"
    key = key or f"weekly:{period}:{person.id}"
    rows: list[OutboxMessage] = []
    if preface is not None:
        first, why = start_message(
            session,
            person=person,
            kind="cover_note",
            text=preface(replace(view, medium=CHAT)),
            sms_text=preface(view),
            key=f"{key}:why",
            now=now,
            settings=settings,
            configured=configured,
        )
        if first is None:
            return [], f"already asked for {period}" if why == "already sent" else why
        rows.append(first)
    row, why = start_message(
        session,
        person=person,
        kind="weekly_prompt",
        text=outcome.replies[0].text,
        sms_text=by_sms.replies[0].text,
        key=key,
        now=now,
        settings=settings,
        configured=configured,
    )
    if row is None:
        return rows, f"already prompted for {period}" if why == "already sent" else why
    save_state(session, person_id=person.id, state=outcome.state, now=now)
    return [*rows, row], ""


def send_weekly(
    session: Session,
    *,
    now: datetime,
    timeout: timedelta,
    settings: Settings,
    configured: set[str],
    person: Person | None = None,
) -> dict:
    """Queue this week's prompt for each lead with open actions (or just `person`), now, whatever
    the schedules say (`nmirf prompts send-weekly`). Idempotent per person and week: running it
    twice sends nothing more. Returns what was done, with reasons: `queued` outbox rows (enqueue
    them after commit) and `skipped` (name, why) pairs."""
    period = iso_period(now)
    people = [person] if person is not None else roster.leads(session, day=now.date())
    report: dict = {"queued": [], "skipped": []}
    for p in people:
        rows, why = prompt(
            session, person=p, period=period, now=now, timeout=timeout, settings=settings, configured=configured
        )
        if why:
            report["skipped"].append((p.name, why))
        report["queued"].extend(rows)
    return report
