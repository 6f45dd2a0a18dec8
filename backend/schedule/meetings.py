"""The scheduler's meeting pass: each invitation's next step, at its time.

- An invitation still unanswered gets **one follow-up** MEETING_FOLLOW_UP_HOURS after it was sent,
  moved out of the quiet hours (in the invitee's time zone), if that is still before the meeting.
- Still unanswered MEETING_SUBSTITUTE_DEADLINE_HOURS before the meeting, it **goes to the
  substitute** (status no_reply; the substitute is invited "in place of" the invitee), out of the
  quiet hours too; a substitute who cannot go (away that day, opted out, unreachable on every
  channel) is skipped and the next one tried, each skip recorded, the secretariat alerted once when
  nobody is left (backend/meetings/handover.py). Whichever comes first: a follow-up due at or after that deadline is not sent,
  unless nobody can go in their place, when it goes at the deadline instead. An invitation sent
  after the deadline (a substitute's, a late one), or whose meeting was moved to a time whose
  deadline had passed, has no hand-over; an observer's never has one.
- Who confirmed is **reminded** MEETING_REMINDER_HOURS before (e.g. 48 and 2), each reminder moved
  out of the quiet hours unless that would put it at or after the start (a meeting that early:
  the reminder goes at its time). A reminder whose time had passed when they confirmed (or when
  the time last changed) is not sent; after downtime only the latest one due is.
- An invitee who goes **away** on the meeting's day (AWAY: the effect wakes their invitations,
  backend/meetings/service.py `wake`) has their pending or confirmed invitation handed to the
  substitute at this pass (status away).
- A change of time or place and a cancellation are not timed here: the service tells everyone at
  once, quiet hours or not (the secretariat acts now, and a notice held until morning could come
  after the old time); it then wakes the invitations so that this pass re-times them.

The database decides what is due: `invitation.next_at` (indexed) is when each one is looked at
next, None when nothing more is to be done, so a pass with nothing due is one query. Whatever
changes an invitation sets its `next_at` to now; this pass then works out the next step from what
the row records (sent, answered, followed up, reminded), never from when the pass runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from backend.config import Settings
from backend.db import aware
from backend.meetings import handover
from backend.meetings.models import SCHEDULED, Invitation
from backend.meetings.notices import notify
from backend.rhythm import QuietHours, later, outside_quiet_hours, parse_quiet_hours
from backend.roster.models import FocalPoint, Person
from backend.wiring.context import Context, Work
from conversations import meetings as texts

FOLLOW_UP, HAND_OVER, REMINDER = "follow_up", "hand_over", "reminder"


@dataclass(frozen=True)
class Step:
    what: str  # follow_up, hand_over or reminder
    at: datetime
    hours: float = 0.0  # a reminder: how long before the meeting


def meeting_messages(ctx: Context, now: datetime) -> int:
    """One pass: every invitation whose step is due, each in a transaction of its own; the number
    of messages queued. Locks go people first, then the invitation, the order an answer takes
    them (it locks its sender, then records the answer), so a worker and a scheduler never wait
    for each other in a circle; an invitation another scheduler holds is skipped."""
    quiet = parse_quiet_hours(ctx.settings.quiet_hours) if ctx.settings.quiet_hours else None
    with ctx.db.transaction() as session:
        due = session.execute(
            select(Invitation.id, Invitation.person_id, Invitation.institution_id)
            .where(Invitation.next_at <= now)
            .order_by(Invitation.next_at, Invitation.id)
        ).all()
    queued = 0
    for invitation_id, person_id, institution_id in due:
        with ctx.work() as work:
            session = work.session
            colleagues = select(FocalPoint.person_id).where(FocalPoint.institution_id == institution_id)
            session.scalars(
                select(Person.id)
                .where(or_(Person.id == person_id, Person.id.in_(colleagues)))
                .order_by(Person.id)
                .with_for_update()
            ).all()
            invitation = session.scalar(
                select(Invitation)
                .where(Invitation.id == invitation_id, Invitation.next_at <= now)
                .with_for_update(skip_locked=True)
            )
            if invitation is not None:
                queued += _look_at(work, ctx, invitation, now, quiet)
    return queued


def steps(invitation: Invitation, settings: Settings, quiet: QuietHours | None) -> list[Step]:
    """What is still to be done for this invitation, in time order (past moments included)."""
    meeting = invitation.meeting
    starts = aware(meeting.starts_at)
    zone = ZoneInfo(invitation.person.timezone)
    out: list[Step] = []
    if invitation.status == "pending":
        deadline = None
        if not invitation.observer and settings.meeting_substitute_deadline_hours > 0:
            moment = starts - timedelta(hours=settings.meeting_substitute_deadline_hours)
            if moment > max(aware(invitation.created_at), aware(meeting.changed_at) or aware(invitation.created_at)):
                deadline = _out_of_quiet(moment, starts, zone, quiet)
                out.append(Step(HAND_OVER, deadline))
        if settings.meeting_follow_up_hours > 0 and invitation.followed_up_at is None:
            moment = later(aware(invitation.created_at), timedelta(hours=settings.meeting_follow_up_hours), zone, quiet)
            if moment < (deadline or starts):
                out.append(Step(FOLLOW_UP, moment))
    elif invitation.status == "confirmed":
        since = max(
            aware(moment)
            for moment in (invitation.answered_at, meeting.changed_at, invitation.reminded_at, invitation.created_at)
            if moment is not None
        )
        for hours in settings.meeting_reminder_hours:  # longest first
            moment = starts - timedelta(hours=hours)
            if moment > since:
                out.append(Step(REMINDER, _out_of_quiet(moment, starts, zone, quiet), hours))
    return sorted(out, key=lambda step: step.at)


def _out_of_quiet(moment: datetime, starts: datetime, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    moved = outside_quiet_hours(moment, zone, quiet)
    return moved if moved < starts else moment


def _look_at(work: Work, ctx: Context, invitation: Invitation, now: datetime, quiet: QuietHours | None) -> int:
    """Do what is due for this invitation; set when it is looked at next. Messages queued."""
    settings = ctx.settings
    meeting = invitation.meeting
    invitation.next_at = None
    if (
        meeting.status != SCHEDULED
        or aware(meeting.starts_at) <= now
        or invitation.status not in ("pending", "confirmed")
    ):
        return 0
    person = invitation.person
    if (
        not invitation.observer
        and person.away_until is not None
        and person.away_until >= handover.meeting_day(meeting, person)
    ):
        handed = _hand_over(work, ctx, invitation, "away", now)
        if handed is not None:
            return handed
    todo = steps(invitation, settings, quiet)
    due = {step.what: step for step in todo if step.at <= now}
    sent = 0
    if HAND_OVER in due:
        handed = _hand_over(work, ctx, invitation, "no_reply", now)
        if handed is not None:
            return handed
        if invitation.followed_up_at is None:  # nobody can go in their place: they are followed up now
            due[FOLLOW_UP] = due[HAND_OVER]
    if FOLLOW_UP in due:
        sent += _tell(work, ctx, invitation, "meeting_follow_up", "follow_up", texts.follow_up, now)
        invitation.followed_up_at = now
    if REMINDER in due:
        latest = max((step for step in todo if step.what == REMINDER and step.at <= now), key=lambda step: step.at)
        key = f"r{meeting.revision}:reminder:{latest.hours:g}"
        sent += _tell(work, ctx, invitation, "meeting_reminder", key, texts.reminder, now)
        invitation.reminded_at = now
    ahead = [step.at for step in steps(invitation, settings, quiet) if step.at > now]
    invitation.next_at = min(ahead) if ahead else None
    return sent


def _hand_over(work: Work, ctx: Context, invitation: Invitation, reason: str, now: datetime) -> int | None:
    """The substitute invited in the invitee's place: messages queued (0 or 1); None when nobody can go
    (the secretariat is then alerted, once: not counted here)."""
    handed = handover.hand_over(
        work.session, invitation=invitation, reason=reason, now=now, settings=ctx.settings, configured=ctx.configured
    )
    for alert in handed.alerts:
        work.send(alert)
    if handed.invitation is None:
        return None
    if handed.row is not None:
        work.send(handed.row)
        return 1
    return 0


def _tell(work: Work, ctx: Context, invitation: Invitation, kind: str, key: str, render, now: datetime) -> int:
    substitute = (
        handover.substitute_for(work.session, invitation, now=now, settings=ctx.settings, configured=ctx.configured)
        if kind == "meeting_follow_up"
        else None
    )
    row, _why = notify(
        work.session,
        invitation=invitation,
        kind=kind,
        key=f"invitation:{invitation.id}:{key}",
        render=render,
        now=now,
        settings=ctx.settings,
        configured=ctx.configured,
        substitute=substitute,
    )
    if row is None:
        return 0
    work.send(row)
    return 1
