"""What the overview shows: this period's response rate (overall and per institution) and its trend,
the rounds still owed, escalations and alerts, people who cannot be reached, institutions with no
substitute, and blocked actions. Every list is bounded; each query is indexed or grouped, so the
page costs a handful of queries whatever the store's size.

A round is *prompted* once a prompt went out (a `prompted` or `escalated` step: a round whose whole
escalation order was skipped asked nobody) and *answered* when its status says so; only prompted
rounds count, so a rate never passes 100%. "This period" is the period of the round due last."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Row, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from backend.catalog.models import Action
from backend.db import aware
from backend.outbox.models import AddressState
from backend.progress.models import ProgressUpdate
from backend.progress.rounds import ANSWERED, OPEN, ReportingRound, RoundStep
from backend.roster.models import CHANNELS, FocalPoint, Institution, Person

PROMPT_KINDS = ("prompted", "escalated")  # backend/schedule/planner.py: a prompt went out
ALERT_KINDS = ("alert", "alert_failed")  # the secretariat alerted (or not) when nobody was left
TREND = 12  # periods in the chart
LIMIT = 50  # rows per list
T = TypeVar("T")


@dataclass(frozen=True)
class Rate:
    answered: int
    prompted: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.answered / self.prompted) if self.prompted else None


@dataclass(frozen=True)
class PeriodRate:
    period: str
    rate: Rate


@dataclass(frozen=True)
class InstitutionRound:
    short_name: str
    name: str
    status: str  # open / answered / exhausted
    prompted: bool
    answered_by: str | None
    answered_at: datetime | None
    trend: Rate  # over the chart's periods


@dataclass(frozen=True)
class Owed:
    """A round not answered: overdue, or escalated to the holder."""

    short_name: str
    period: str
    status: str
    due_at: datetime
    holder: str | None
    step: int
    reminders: int


@dataclass(frozen=True)
class Alert:
    at: datetime
    short_name: str
    period: str
    what: str
    person: str | None
    reason: str | None


@dataclass(frozen=True)
class Unreachable:
    person_id: int
    name: str
    role: str
    institutions: tuple[str, ...]
    problems: tuple[str, ...]  # "sms: opted out (sent STOP)", ...
    none_left: bool  # no channel of theirs can carry a message


@dataclass(frozen=True)
class Bare:
    """An institution with nobody in post after the lead (as the secretariat's digest counts)."""

    short_name: str
    name: str
    in_post: int


@dataclass(frozen=True)
class Blocked:
    action_id: int
    code: str
    title: str
    short_name: str
    at: datetime | None
    note: str | None
    person: str | None


@dataclass(frozen=True)
class Bounded(Generic[T]):
    items: tuple[T, ...]
    total: int


@dataclass(frozen=True)
class Overview:
    period: str | None
    rate: Rate
    trend: tuple[PeriodRate, ...]  # oldest first
    institutions: Bounded[InstitutionRound]
    overdue: Bounded[Owed]
    escalations: Bounded[Owed]
    alerts: tuple[Alert, ...]
    unreachable: Bounded[Unreachable]
    bare: Bounded[Bare]
    blocked: tuple[Blocked, ...]


def _prompted():
    return exists().where(RoundStep.round_id == ReportingRound.id, RoundStep.what.in_(PROMPT_KINDS))


def _prompts():
    """How many prompts went out on the round: a scalar subquery, so that each round is one
    look-up in `ix_round_step_round_id_what` (PostgreSQL turns an EXISTS in a WHERE into a hash
    of every prompt step ever logged)."""
    return (
        select(func.count())
        .select_from(RoundStep)
        .where(RoundStep.round_id == ReportingRound.id, RoundStep.what.in_(PROMPT_KINDS))
        .correlate(ReportingRound)
        .scalar_subquery()
    )


def _rates(session: Session, *, periods: Sequence[str], by, where=()) -> dict:
    """answered / prompted over `periods`, grouped by the column `by` (a group that prompted
    nobody is absent). Each round counts once, its steps looked up rather than joined (a join
    needs a DISTINCT over every step)."""
    rows = session.execute(
        select(by, func.count(), func.sum(case((ReportingRound.status == ANSWERED, 1), else_=0)))
        .where(ReportingRound.period.in_(list(periods)), _prompts() > 0, *where)
        .group_by(by)
    )
    return {key: Rate(int(answered or 0), int(asked or 0)) for key, asked, answered in rows}


def trend(session: Session, *, periods: int = TREND) -> tuple[PeriodRate, ...]:
    """The last `periods` periods (by when their rounds were due), oldest first."""
    latest = func.max(ReportingRound.due_at)
    names = [
        p
        for (p,) in session.execute(
            select(ReportingRound.period).group_by(ReportingRound.period).order_by(latest.desc()).limit(periods)
        )
    ]
    rates = _rates(session, periods=names, by=ReportingRound.period)
    return tuple(PeriodRate(p, rates.get(p, Rate(0, 0))) for p in reversed(names))


def institutions(
    session: Session, *, period: str, trend_periods: Sequence[str], page: int = 1
) -> Bounded[InstitutionRound]:
    """This period's round of each institution that has one, the unanswered first."""
    where = ReportingRound.period == period
    total = session.scalar(select(func.count()).select_from(ReportingRound).where(where)) or 0
    answerer = Person.name.label("answerer")
    rows = session.execute(
        select(ReportingRound, Institution.short_name, Institution.name, answerer, _prompted().label("prompted"))
        .join(Institution, Institution.id == ReportingRound.institution_id)
        .outerjoin(Person, Person.id == ReportingRound.answered_by)
        .where(where)
        .order_by(case((ReportingRound.status == ANSWERED, 1), else_=0), Institution.short_name)
        .limit(LIMIT)
        .offset((page - 1) * LIMIT)
    ).all()
    ids = [r.institution_id for r, *_ in rows]
    tally = (
        _rates(
            session,
            periods=trend_periods,
            by=ReportingRound.institution_id,
            where=(ReportingRound.institution_id.in_(ids),),
        )
        if ids
        else {}
    )
    items = tuple(
        InstitutionRound(
            short_name=short,
            name=name,
            status=r.status,
            prompted=bool(prompted),
            answered_by=who,
            answered_at=aware(r.answered_at),
            trend=tally.get(r.institution_id, Rate(0, 0)),
        )
        for r, short, name, who, prompted in rows
    )
    return Bounded(items, total)


def _owed(session: Session, where) -> Bounded[Owed]:
    total = session.scalar(select(func.count()).select_from(ReportingRound).where(*where)) or 0
    rows = session.execute(
        select(ReportingRound, Institution.short_name, Person.name)
        .join(Institution, Institution.id == ReportingRound.institution_id)
        .outerjoin(Person, Person.id == ReportingRound.holder_id)
        .where(*where)
        .order_by(ReportingRound.due_at, Institution.short_name)
        .limit(LIMIT)
    ).all()
    items = tuple(
        Owed(short, r.period, r.status, aware(r.due_at), holder, r.step, r.reminders) for r, short, holder in rows
    )
    return Bounded(items, total)


def overdue(session: Session, *, now: datetime) -> Bounded[Owed]:
    """Institutions whose latest round is past its due time and not answered (still open, or
    with nobody left to ask)."""
    latest = select(func.max(ReportingRound.id)).group_by(ReportingRound.institution_id)
    return _owed(
        session, (ReportingRound.id.in_(latest), ReportingRound.status != ANSWERED, ReportingRound.due_at <= now)
    )


def escalations(session: Session) -> Bounded[Owed]:
    """Open rounds now with someone after the lead (a substitute asked in their place)."""
    return _owed(session, (ReportingRound.status == OPEN, ReportingRound.step > 0))


def alerts(session: Session, *, limit: int = 20) -> tuple[Alert, ...]:
    """The latest alerts, newest first: the latest `limit` of each kind, each read in order from
    `ix_round_step_what_at` (however many alerts the store has kept), then merged."""
    rows: list[Row] = []
    for kind in ALERT_KINDS:
        rows += session.execute(
            select(RoundStep, ReportingRound.period, Institution.short_name, Person.name)
            .join(ReportingRound, ReportingRound.id == RoundStep.round_id)
            .join(Institution, Institution.id == ReportingRound.institution_id)
            .outerjoin(Person, Person.id == RoundStep.person_id)
            .where(RoundStep.what == kind)
            .order_by(RoundStep.at.desc(), RoundStep.id.desc())
            .limit(limit)
        ).all()
    rows.sort(key=lambda row: (aware(row[0].at), row[0].id), reverse=True)
    return tuple(Alert(aware(s.at), short, period, s.what, who, s.reason) for s, period, short, who in rows[:limit])


def _why_not(state: AddressState | None) -> str | None:
    if state is None:
        return None
    if state.opted_out_at is not None:
        return "opted out (sent STOP)"
    if state.unreachable_at is not None:
        return "unreachable" + (f": {state.unreachable_reason}" if state.unreachable_reason else "")
    return None


def unreachable(session: Session, *, configured: Iterable[str]) -> Bounded[Unreachable]:
    """Active people with an address opted out or unreachable, or with no channel left at all."""
    configured = set(configured)
    failing = or_(AddressState.opted_out_at.is_not(None), AddressState.unreachable_at.is_not(None))
    bad = {(s.channel, s.address): s for s in session.scalars(select(AddressState).where(failing))}
    # Only people who may be listed are read (not the whole roster): an address that fails, a
    # channel with no address, or a channel this deployment does not run.
    telegram_ids = [int(a) for c, a in bad if c == "telegram" and a.isdecimal()]
    maybe = [
        Person.phone.in_(select(AddressState.address).where(failing, AddressState.channel != "telegram")),
        Person.telegram_user_id.in_(telegram_ids),
        Person.phone.is_(None),
        and_(Person.channels.contains("telegram"), Person.telegram_user_id.is_(None)),
        *(Person.channels.contains(c) for c in CHANNELS if c not in configured),
    ]
    found = []
    people = select(Person.id, Person.name, Person.role, Person.phone, Person.telegram_user_id, Person.channels)
    for pid, name, role, phone, telegram, channels in session.execute(
        people.where(Person.active.is_(True), or_(*maybe)).order_by(Person.name, Person.id)
    ):
        problems, usable, blocked = [], 0, False
        for channel in (c for c in channels.split(",") if c):
            # as backend/outbox/routing.py's address_of, on columns (no 10,000 objects loaded)
            address = (str(telegram) if telegram else None) if channel == "telegram" else phone
            why = None
            if channel not in configured:
                why = "not configured"
            elif address is None:
                why = "not linked yet" if channel == "telegram" else "no phone number"
            elif (why := _why_not(bad.get((channel, address)))) is not None:
                blocked = True
            if why is None:
                usable += 1
            else:
                problems.append(f"{channel}: {why}")
        if blocked or not usable:
            found.append((pid, name, role, tuple(problems) or ("no channel",), not usable))
    shown = found[:LIMIT]
    where: dict[int, list[str]] = {}
    if shown:
        for pid, short in session.execute(
            select(FocalPoint.person_id, Institution.short_name)
            .join(Institution, Institution.id == FocalPoint.institution_id)
            .where(FocalPoint.person_id.in_([f[0] for f in shown]))
            .order_by(FocalPoint.rank, Institution.short_name)
        ):
            where.setdefault(pid, []).append(short)
    items = tuple(
        Unreachable(pid, name, role, tuple(where.get(pid, ())), problems, none_left)
        for pid, name, role, problems, none_left in shown
    )
    return Bounded(items, len(found))


def bare(session: Session, *, now: datetime) -> Bounded[Bare]:
    """Institutions with fewer than two focal points in post and active today (the lead and a
    substitute), as the planner's digest counts them."""
    day = now.date()
    in_post = dict(
        session.execute(
            select(FocalPoint.institution_id, func.count())
            .join(Person, Person.id == FocalPoint.person_id)
            .where(
                or_(FocalPoint.active_from.is_(None), FocalPoint.active_from <= day),
                or_(FocalPoint.active_to.is_(None), FocalPoint.active_to >= day),
                Person.active.is_(True),
                Person.role == "focal_point",
            )
            .group_by(FocalPoint.institution_id)
        ).all()
    )
    found = [
        Bare(short, name, int(in_post.get(iid, 0)))
        for iid, short, name in session.execute(
            select(Institution.id, Institution.short_name, Institution.name).order_by(Institution.short_name)
        )
        if in_post.get(iid, 0) < 2
    ]
    return Bounded(tuple(found[:LIMIT]), len(found))


def blocked(session: Session, *, limit: int = 20) -> tuple[Blocked, ...]:
    """Actions whose latest status is blocked, the latest report first."""
    # Each blocked action's latest update: one look-up in ix_progress_update_action_id_id per action
    # (not a grouping of every update of the blocked actions).
    latest = (
        select(func.max(ProgressUpdate.id))
        .where(ProgressUpdate.action_id == Action.id)
        .correlate(Action)
        .scalar_subquery()
        .label("update_id")
    )
    last = select(Action.id.label("action_id"), latest).where(Action.status == "blocked").subquery()
    rows = session.execute(
        select(Action, Institution.short_name, ProgressUpdate.created_at, ProgressUpdate.note, Person.name)
        .join(Institution, Institution.id == Action.institution_id)
        .outerjoin(last, last.c.action_id == Action.id)
        .outerjoin(ProgressUpdate, ProgressUpdate.id == last.c.update_id)
        .outerjoin(Person, Person.id == ProgressUpdate.person_id)
        .where(Action.status == "blocked")
        .order_by(func.coalesce(last.c.update_id, 0).desc(), Action.code)
        .limit(limit)
    ).all()
    return tuple(Blocked(a.id, a.code, a.title, short, aware(at), note, who) for a, short, at, note, who in rows)


def overview(session: Session, *, now: datetime, configured: Iterable[str], page: int = 1) -> Overview:
    """Everything on the overview; `page` pages the per-institution table."""
    chart = trend(session)
    period = chart[-1].period if chart else None
    names = [p.period for p in chart]
    return Overview(
        period=period,
        rate=chart[-1].rate if chart else Rate(0, 0),
        trend=chart,
        institutions=institutions(session, period=period, trend_periods=names, page=page) if period else Bounded((), 0),
        overdue=overdue(session, now=now),
        escalations=escalations(session),
        alerts=alerts(session),
        unreachable=unreachable(session, configured=configured),
        bare=bare(session, now=now),
        blocked=blocked(session),
    )
