"""Turnover: a focal point leaves an institution's roster (their post ends, `active_to`, in a
roster import; or they are deactivated, or no longer a focal point), and the secretariat is told
at once what cover the institution has left: who leads now and how many substitutes are still in
post, or that there is none.

Each departure is a timer row (`fires`, kind `turnover`, one per focal point and end date): the
import arms it, due at once for a post that has ended, or at the start of the day after a future
`active_to` (UTC, the day the scheduler stops asking them); the admin pages call `deactivated`.
The scheduler's pass runs the due ones: one alert per secretariat member per departure (the
outbox key), held until the end of their quiet hours when it falls in them. A timer whose
departure was undone meanwhile (the post extended again) sends nothing; two schedulers cannot
both run one (the row is locked, skip locked). The rounds themselves move to the new lead through
`rounds.wake` (backend/imports/roster.py) and the planner's `holder_gone`."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.meetings.notices import person_view
from backend.outbox.start import start_message
from backend.rhythm import outside_quiet_hours, parse_quiet_hours
from backend.roster.models import FocalPoint, Institution, Person
from backend.schedule import policy
from backend.sessions.models import Fire
from backend.wiring.context import Context
from conversations import escalation
from conversations.views import CHAT

KIND = "turnover"
log = logging.getLogger(__name__)


def in_post(fp: FocalPoint, now: datetime) -> bool:
    """A step of the institution's escalation order today (as backend/schedule/policy.py reads it)."""
    person = fp.person
    return fp.active_on(now.date()) and person.active and person.role == "focal_point"


def leaving(session: Session, *, fp: FocalPoint, now: datetime, why: str = "active_to") -> Fire | None:
    """Arm the secretariat's alert for this focal point's departure (once per end date): at the
    start of the day after `active_to`, or now when it has passed or `why` is another reason
    (deactivated, no longer a focal point). None when it is armed already."""
    if why == "active_to" and fp.active_to is not None:
        ends = datetime.combine(fp.active_to + timedelta(days=1), time(0), tzinfo=UTC)
        due, token = max(now, ends), fp.active_to.isoformat()
    else:
        due, token = now, f"{why}:{now:%Y-%m-%dT%H:%M}"
    subject = f"focal_point:{fp.id}:institution:{fp.institution_id}"
    armed = session.scalar(
        select(Fire.id).where(Fire.kind == KIND, Fire.subject == subject, Fire.session_token == token[:40])
    )
    if armed is not None:
        return None
    fire = Fire(kind=KIND, due_at=due, person_id=fp.person_id, subject=subject, session_token=token[:40])
    session.add(fire)
    return fire


def deactivated(session: Session, *, person: Person, now: datetime) -> list[Fire]:
    """A person deactivated (or made secretariat or observer): each post they held ends now. Call
    it in the transaction that changes them."""
    return [
        fire
        for fp in session.scalars(select(FocalPoint).where(FocalPoint.person_id == person.id))
        if (fire := leaving(session, fp=fp, now=now, why="inactive" if not person.active else "role")) is not None
    ]


def alert_due(ctx: Context, now: datetime) -> int:
    """The scheduler's part: each due departure told to the secretariat, each in a transaction of
    its own. Returns the alerts queued. One indexed query when nothing is due."""
    with ctx.db.transaction() as session:
        due = session.scalars(
            select(Fire.id)
            .where(Fire.kind == KIND, Fire.done_at.is_(None), Fire.due_at <= now)
            .order_by(Fire.due_at, Fire.id)
        ).all()
    queued = 0
    for fire_id in due:
        with ctx.work() as work:
            fire = work.session.scalar(
                select(Fire).where(Fire.id == fire_id, Fire.done_at.is_(None)).with_for_update(skip_locked=True)
            )
            if fire is not None:
                fire.done_at = now
                queued += _tell(work, ctx, fire, now)
    return queued


def _tell(work, ctx: Context, fire: Fire, now: datetime) -> int:
    session, settings = work.session, ctx.settings
    parts = (fire.subject or "").split(":")
    fp = session.get(FocalPoint, int(parts[1]))
    institution = session.get(Institution, int(parts[3]))
    leaver = session.get(Person, fire.person_id) if fire.person_id is not None else None
    if institution is None or leaver is None or (fp is not None and in_post(fp, now)):
        return 0  # the institution is gone, or the departure was undone meanwhile: nothing to tell
    remaining = [
        step.person
        for step in policy.steps(session, institution, day=now.date(), now=now, settings=settings, configured=set())
    ]
    lead = remaining[0].name if remaining else None
    quiet = parse_quiet_hours(settings.quiet_hours) if settings.quiet_hours else None
    sent = 0
    for person in policy.secretariat(session):
        view = person_view(person, settings)
        about = dict(name=leaver.name, institution=institution.short_name, lead=lead, substitutes=len(remaining) - 1)
        row, why = start_message(
            session,
            person=person,
            kind="alert",
            text=escalation.turnover(replace(view, medium=CHAT), **about),
            sms_text=escalation.turnover(view, **about),
            key=f"turnover:{fire.id}:{person.id}",
            now=now,
            settings=settings,
            configured=ctx.configured,
        )
        if row is None:
            if why != "already sent":
                log.warning("turnover alert to %s not sent: %s", person.name, why)
            continue
        sent += 1
        resume = outside_quiet_hours(now, ZoneInfo(person.timezone), quiet)
        if resume > now:
            row.next_attempt_at = resume  # held: the sweep sends it at the end of their quiet hours
        else:
            work.send(row)
    return sent
