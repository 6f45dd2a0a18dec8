"""One pass of the scheduler: open the rounds that fell due, remind, escalate, stand down.

The database decides what is due, through two indexed columns: `institution.next_prompt_at`
(when an institution's next round opens) and `reporting_round.next_at` (its next reminder,
escalation or stand-down), and the same for digests and meeting invitations: a pass with nothing
due is a handful of indexed queries whatever the roster's size (bench/scheduler.py prints them). Two
schedulers running at once cannot open a round twice: `reporting_round` has a unique key on
(institution, period), and the loser of the insert moves on. Diagram: conversations/escalation.mmd."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.catalog.models import Action
from backend.config import Settings
from backend.outbox.start import start_message
from backend.progress.rounds import ANSWERED, EXHAUSTED, OPEN, ReportingRound, log
from backend.rhythm import (
    Escalation,
    QuietHours,
    current_round,
    later,
    outside_quiet_hours,
    parse_escalation,
    parse_quiet_hours,
    parse_schedule,
)
from backend.roster.models import FocalPoint, Institution, Person
from backend.schedule import meetings, policy, turnover
from backend.sessions.people import person_view
from backend.sessions.prompts import prompt
from backend.sessions.state import load_state, save_state
from backend.wiring.context import Context, Work
from conversations import escalation

log_ = logging.getLogger(__name__)
# A round opens if the scheduler first sees it at most this long after its prompt time.
LATE_START = timedelta(days=1)


def _quiet(settings: Settings) -> QuietHours | None:
    return parse_quiet_hours(settings.quiet_hours) if settings.quiet_hours else None


def _zone(person: Person | None, settings: Settings) -> ZoneInfo:
    return ZoneInfo(person.timezone if person is not None else settings.default_timezone)


def _view(work: Work, person: Person, now: datetime, settings: Settings):
    return person_view(
        work.session,
        person,
        now,
        answering=False,
        fallback_language=settings.default_language,
        mechanism=settings.mechanism_name,
    )


def tick(ctx: Context, now: datetime) -> dict[str, int]:
    """Everything due at `now`: turnover alerts, rounds opened, reminders, escalations, stand-down notes."""
    done = {"opened": 0, "reminded": 0, "escalated": 0, "stood_down": 0, "digests": 0}
    done["turnover"] = turnover.alert_due(ctx, now)  # the secretariat told of who left a roster
    with ctx.work() as work:
        done["opened"] = _open_due(work, ctx, now)
    for what in _advance_due(ctx, now):
        done[what] += 1
    with ctx.work() as work:
        done["digests"] = _digests(work, ctx, now)
    done["meeting_messages"] = meetings.meeting_messages(ctx, now)  # follow-ups, hand-overs, reminders
    return done


def _without_substitute(work: Work, ctx: Context, now: datetime) -> list[str]:
    """Institutions whose roster has nobody in post after the lead (turnover leaves them bare)."""
    session = work.session
    alone = []
    for institution in session.scalars(select(Institution).order_by(Institution.short_name)):
        people = policy.steps(
            session, institution, day=now.date(), now=now, settings=ctx.settings, configured=ctx.configured
        )
        if sum(1 for _ in zip(range(2), people)) < 2:
            alone.append(institution.short_name)
    return alone


def _digests(work: Work, ctx: Context, now: datetime) -> int:
    """The secretariat's weekly digest (DIGEST_SCHEDULE, in each one's time zone): rounds due in
    the past week, how many were answered, which institutions are overdue."""
    session, settings = work.session, ctx.settings
    schedule, quiet = parse_schedule(settings.digest_schedule), _quiet(settings)
    sent = 0
    due = [
        *session.scalars(select(Person).where(Person.role == "secretariat", Person.next_digest_at.is_(None))),
        *session.scalars(select(Person).where(Person.role == "secretariat", Person.next_digest_at <= now)),
    ]
    for person in due:
        period, due_at, following = current_round(schedule, now, _zone(person, settings), quiet)
        if now < due_at or now - due_at > LATE_START:
            person.next_digest_at = due_at if now < due_at else following
            continue
        person.next_digest_at = following
        if not person.active:
            continue
        rounds = session.scalars(
            select(ReportingRound).where(ReportingRound.due_at > now - timedelta(days=7), ReportingRound.due_at <= now)
        ).all()
        names = {i.id: i.short_name for i in session.scalars(select(Institution))}
        waiting = sorted(names[r.institution_id] for r in rounds if r.status != ANSWERED)
        view = _view(work, person, now, settings)
        text = escalation.digest(view, answered=len(rounds) - len(waiting), prompted=len(rounds), waiting=waiting)
        alone = _without_substitute(work, ctx, now)
        if alone:
            text += "\n" + escalation.no_substitute(view, institutions=alone)
        row, _why = _tell(work, ctx, person, "digest", text, key=f"digest:{period}:{person.id}", now=now)
        if row is not None:
            sent += 1
    return sent


def _open_due(work: Work, ctx: Context, now: datetime) -> int:
    session, settings = work.session, ctx.settings
    opened = 0
    # Two indexed look-ups (an OR of the two would scan the table): never looked at, and due.
    due = [
        *session.scalars(select(Institution).where(Institution.next_prompt_at.is_(None)).order_by(Institution.id)),
        *session.scalars(
            select(Institution).where(Institution.next_prompt_at <= now).order_by(Institution.next_prompt_at)
        ),
    ]
    for institution in due:
        lead = policy.lead(session, institution, now.date())
        period, due_at, following = _round_of(institution, lead, now, settings)
        if now < due_at:
            institution.next_prompt_at = due_at
            continue
        if now - due_at > LATE_START:
            # First look long after this period's prompt time (a new deployment, a new
            # institution, a scheduler that was down): its next period is the first one asked.
            institution.next_prompt_at = following
            continue
        zone = _zone(lead, settings)
        if (resumed := outside_quiet_hours(now, zone, _quiet(settings))) != now:
            institution.next_prompt_at = resumed  # late, and now in the quiet hours: at their end
            continue
        institution.next_prompt_at = following
        if not _has_open_actions(session, institution):
            continue  # nothing to report on: nobody is prompted
        round_ = ReportingRound(
            institution_id=institution.id,
            period=period,
            status=OPEN,
            due_at=due_at,
            step=0,
            reminders=0,
            stood_down=False,
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(round_)
                session.flush()
        except IntegrityError:
            continue  # another scheduler opened it: exactly one round per institution and period
        _ask(work, ctx, round_, institution, now, start=0)
        opened += 1
    return opened


def _round_of(
    institution: Institution, lead: Person | None, now: datetime, settings: Settings
) -> tuple[str, datetime, datetime]:
    """(period, when its prompt is due, when the next period's is) for the institution, in its
    lead's time zone."""
    schedule = parse_schedule(institution.schedule or settings.reporting_schedule)
    return current_round(schedule, now, _zone(lead, settings), _quiet(settings))


def _escalation(institution: Institution, settings: Settings) -> Escalation:
    """The institution's own waits, or the deployment's."""
    if institution.escalation:
        return parse_escalation(institution.escalation)
    return Escalation(tuple(settings.reminder_delays_hours), (settings.escalation_delay_hours,))


def _has_open_actions(session, institution: Institution) -> bool:
    return (
        session.scalar(
            select(Action.id).where(Action.institution_id == institution.id, Action.status != "completed").limit(1)
        )
        is not None
    )


def _prompt_timeout(institution: Institution, lead: Person | None, now: datetime, settings: Settings) -> timedelta:
    """A scheduled prompt's conversation stays open until the next period's prompt: a lead who
    answers late, after their substitute was asked, is still heard (and is the answer)."""
    _period, _due, following = _round_of(institution, lead, now, settings)
    return max(following - now, timedelta(hours=settings.session_timeout_hours))


def _ask(work: Work, ctx: Context, round_: ReportingRound, institution: Institution, now: datetime, start: int) -> None:
    """Ask the first person at or after `start` in the escalation order who can be asked; record
    each skip; at the end of the order, alert the secretariat."""
    session, settings = work.session, ctx.settings
    order = policy.steps(session, institution, day=now.date(), now=now, settings=settings, configured=ctx.configured)
    lead = policy.lead(session, institution, now.date())
    action_ids = [
        a
        for a in session.scalars(
            select(Action.id).where(Action.institution_id == institution.id, Action.status != "completed")
        )
    ]
    for index, step in enumerate(order):
        if index < start:
            continue
        if step.skip:
            log(session, round_, "skipped", now, step.person.id, step.skip)
            continue
        covering = lead is not None and step.person.id != lead.id
        preface = None
        if lead is not None and covering:
            away = lead.away_until if lead.away_until is not None and lead.away_until >= now.date() else None
            preface = _cover(lead.name, institution.short_name, away)
        rows, why = prompt(
            session,
            person=step.person,
            period=round_.period,
            now=now,
            timeout=_prompt_timeout(institution, lead, now, settings),
            settings=settings,
            configured=ctx.configured,
            # the person's own prompt for the period is one, however many rounds ask for it;
            # covering for another institution is a prompt of its own
            key=f"weekly:{round_.period}:{step.person.id}:covers:{institution.id}" if covering else None,
            action_ids=action_ids if covering else (),
            preface=preface,
        )
        if not rows and why and "already prompted" not in why:
            log(session, round_, "skipped", now, step.person.id, why)
            continue
        for row in rows:
            work.send(row)
        round_.holder_id, round_.step, round_.reminders = step.person.id, index, 0
        log(session, round_, "escalated" if start > 0 or covering else "prompted", now, step.person.id, why or None)
        policy_ = _escalation(institution, settings)
        delays = list(policy_.reminders) if index == start == 0 and not covering else []
        first = delays[0] if delays else policy_.wait(index)
        round_.next_at = later(now, timedelta(hours=first), _zone(step.person, settings), _quiet(settings))
        return
    round_.status, round_.next_at, round_.holder_id = EXHAUSTED, None, None
    log(session, round_, "exhausted", now, None, "nobody left to ask")
    for person in policy.secretariat(session):
        view = _view(work, person, now, settings)
        text = escalation.nobody_left(view, institution=institution.short_name, period=round_.period)
        alert, why = _tell(work, ctx, person, "alert", text, key=f"round:{round_.id}:alert:{person.id}", now=now)
        if alert is not None:
            log(session, round_, "alert", now, person.id, "nobody left to ask")
        else:
            log(session, round_, "alert_failed", now, person.id, why)


def _cannot_be_asked(work: Work, ctx: Context, institution: Institution, holder: Person | None, now: datetime):
    """Why the round's holder can no longer be asked (None: they still can)."""
    if holder is None:
        return None
    for step in policy.steps(
        work.session, institution, day=now.date(), now=now, settings=ctx.settings, configured=ctx.configured
    ):
        if step.person.id == holder.id:
            return step.skip
    return "no longer in post"


def _tell(work: Work, ctx: Context, person: Person, kind: str, text: str, *, key: str, now: datetime):
    """Queue a message the bot starts (once per key) and enqueue its send after commit."""
    row, why = start_message(
        work.session,
        person=person,
        kind=kind,
        text=text,
        key=key,
        now=now,
        settings=ctx.settings,
        configured=ctx.configured,
    )
    if row is not None:
        work.send(row)
    return row, why


def _cover(name: str, institution: str, away):
    return lambda view: escalation.cover_note(view, lead=name, institution=institution, away_until=away)


def _advance_due(ctx: Context, now: datetime) -> list[str]:
    """Each due round in a transaction of its own. Locks are taken in the order an answer takes
    them (the people, then the round: an answer locks its sender, then marks the round), so a
    scheduler and a worker never wait for each other in a circle; a round another scheduler
    holds is skipped, not waited for."""
    with ctx.db.transaction() as session:
        due = session.execute(
            select(ReportingRound.id, ReportingRound.institution_id)
            .where(ReportingRound.next_at <= now)
            .order_by(ReportingRound.next_at)
        ).all()
    done = []
    for round_id, institution_id in due:
        with ctx.work() as work:
            session = work.session
            people = select(FocalPoint.person_id).where(FocalPoint.institution_id == institution_id)
            session.scalars(
                select(Person.id).where(Person.id.in_(people)).order_by(Person.id).with_for_update(key_share=True)
            ).all()
            round_ = session.scalar(
                select(ReportingRound)
                .where(ReportingRound.id == round_id, ReportingRound.next_at <= now)
                .with_for_update(skip_locked=True)
            )
            if round_ is not None and (what := _advance_one(work, ctx, round_, now)):
                done.append(what)
    return done


def _advance_one(work: Work, ctx: Context, round_: ReportingRound, now: datetime) -> str | None:
    """Remind, escalate or stand down on one due round; what was done, or None."""
    session, settings = work.session, ctx.settings
    if round_.status == ANSWERED:  # answered after the holder was asked in someone's place
        round_.next_at = None
        return "stood_down" if _stand_down(work, ctx, round_, now) else None
    if round_.status != OPEN:
        round_.next_at = None
        return None
    institution = session.get_one(Institution, round_.institution_id)
    holder = session.get(Person, round_.holder_id) if round_.holder_id else None
    gone = _cannot_be_asked(work, ctx, institution, holder, now)
    if gone is not None:  # away since, left the roster, unreachable: the next one is asked now
        log(session, round_, "holder_gone", now, round_.holder_id, gone)
        _ask(work, ctx, round_, institution, now, start=0 if gone == "no longer in post" else round_.step + 1)
        return "escalated"
    policy_ = _escalation(institution, settings)
    delays = list(policy_.reminders) if round_.step == 0 else []
    if holder is not None and round_.reminders < len(delays):
        view = _view(work, holder, now, settings)
        text = escalation.reminder(view, round_.period)
        _tell(work, ctx, holder, "reminder", text, key=f"round:{round_.id}:reminder:{round_.reminders + 1}", now=now)
        round_.reminders += 1
        log(session, round_, "reminded", now, holder.id, None)
        zone, quiet = _zone(holder, settings), _quiet(settings)
        if round_.reminders < len(delays):
            gap = delays[round_.reminders] - delays[round_.reminders - 1]
        else:
            gap = policy_.wait(round_.step)
        round_.next_at = later(now, timedelta(hours=gap), zone, quiet)
        return "reminded"
    log(session, round_, "no_answer", now, round_.holder_id, None)
    _ask(work, ctx, round_, institution, now, start=round_.step + 1)
    return "escalated"


def _stand_down(work: Work, ctx: Context, round_: ReportingRound, now: datetime) -> bool:
    """Someone answered after the holder was asked in another's place (a lead answering late):
    the holder is told they are no longer needed, and their open prompt for the period closes."""
    session, settings = work.session, ctx.settings
    if round_.stood_down:
        return False
    round_.stood_down = True
    holder = session.get(Person, round_.holder_id) if round_.holder_id else None
    answerer = session.get(Person, round_.answered_by) if round_.answered_by else None
    if holder is None or answerer is None or holder.id == answerer.id:
        return False
    institution = session.get_one(Institution, round_.institution_id)
    view = _view(work, holder, now, settings)
    text = escalation.stood_down(view, name=answerer.name, institution=institution.short_name)
    _tell(work, ctx, holder, "stand_down", text, key=f"round:{round_.id}:stand_down", now=now)
    state = load_state(session, person_id=holder.id)
    if state is not None and getattr(state, "token", "") == f"weekly:{round_.period}":
        save_state(session, person_id=holder.id, state=None, now=now)
    log(session, round_, "stood_down", now, holder.id, f"{answerer.name} answered")
    return True
