"""`nmirf tick --now ...` and `nmirf rounds`: the scheduler as of a moment, and what it did.

`nmirf tick --now 2026-12-07T06:00Z` runs the scheduler and the sweep once as of that moment
(ISO 8601; UTC when no offset is given) and sends what falls due: time travel for tests, demos
and a deployment's first checks. `nmirf rounds list` shows each institution's rounds and every
step taken on them (who was asked, skipped and why, reminded, escalated, who answered)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from backend.cli.common import finish_jobs, make_ctx
from backend.jobs.sweep import sweep
from backend.progress.rounds import ReportingRound, RoundStep
from backend.rhythm import ScheduleError, parse_escalation, parse_schedule
from backend.roster.models import Institution, Person
from backend.schedule import planner


def moment(text: str) -> datetime:
    """An ISO 8601 moment; UTC when it names no offset ("2026-12-07T06:00Z", "2026-12-07 09:00+03:00")."""
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise SystemExit(f"--now {text!r}: expected an ISO 8601 moment, e.g. 2026-12-07T06:00Z") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def cmd_tick(args) -> int:
    ctx = make_ctx(run_jobs_here=True)
    now = moment(args.now) if args.now else datetime.now(UTC)
    done = planner.tick(ctx, now)
    swept = sweep(ctx, now, schedule=False)  # the scheduler ran just above
    print(f"as of {now.isoformat()}: " + ", ".join(f"{k} {v}" for k, v in {**done, **swept}.items()))
    finish_jobs(ctx)
    return 0


def cmd_rounds(args) -> int:
    ctx = make_ctx()
    with ctx.db.transaction() as s:
        names = {i.id: i.short_name for i in s.scalars(select(Institution))}
        people = {p.id: p.name for p in s.scalars(select(Person))}
        query = select(ReportingRound).order_by(ReportingRound.period, ReportingRound.institution_id)
        if args.period:
            query = query.where(ReportingRound.period == args.period)
        for r in s.scalars(query):
            who = people.get(r.answered_by or 0) or "-"
            print(f"{r.period} {names.get(r.institution_id)}: {r.status} (answered by {who})")
            for step in s.scalars(select(RoundStep).where(RoundStep.round_id == r.id).order_by(RoundStep.id)):
                name = people.get(step.person_id or 0, "")
                reason = f": {step.reason}" if step.reason else ""
                print(f"  {step.at:%Y-%m-%d %H:%M} {step.what} {name}{reason}")
    return 0


def cmd_schedule(args) -> int:
    """`nmirf schedule list` / `nmirf schedule set MOJ "monthly 1 09:00"` (`default` clears it)."""
    ctx = make_ctx()
    with ctx.db.transaction() as s:
        if args.action == "set":
            inst = s.scalar(select(Institution).where(Institution.short_name == args.institution))
            if inst is None:
                raise SystemExit(f"{args.institution}: no such institution (see nmirf schedule list)")
            if not args.schedule:
                pass  # only --escalation
            elif args.schedule.strip().lower() == "default":
                inst.schedule = None
            else:
                try:
                    inst.schedule = str(parse_schedule(args.schedule))
                except ScheduleError as e:
                    raise SystemExit(str(e)) from None
            inst.next_prompt_at = None  # the scheduler recomputes when it is due
            if args.escalation:
                try:
                    inst.escalation = (
                        None if args.escalation.strip().lower() == "default" else str(parse_escalation(args.escalation))
                    )
                except ScheduleError as e:
                    raise SystemExit(str(e)) from None
        for inst in s.scalars(select(Institution).order_by(Institution.short_name)):
            shown = inst.schedule or f"{ctx.settings.reporting_schedule} (default)"
            shown += f"; {inst.escalation}" if inst.escalation else ""
            due = f", next look {inst.next_prompt_at:%Y-%m-%d %H:%M} UTC" if inst.next_prompt_at else ""
            print(f"{inst.short_name}: {shown}{due}")
    return 0


def register(sub) -> None:
    tick = sub.add_parser("tick", help="run the scheduler and the sweep once, as of a moment")
    tick.add_argument("--now", help="ISO 8601 moment, UTC when no offset is given (default: now)")
    tick.set_defaults(func=cmd_tick)
    rounds = sub.add_parser("rounds", help="reporting rounds and their steps").add_subparsers(
        dest="action", required=True
    )
    listing = rounds.add_parser("list", help="every round, and who was asked, reminded, skipped and why")
    listing.add_argument("--period", help="only this period, e.g. 2026-W49")
    listing.set_defaults(func=cmd_rounds)
    schedule = sub.add_parser("schedule", help="reporting schedules per institution").add_subparsers(
        dest="action", required=True
    )
    schedule.add_parser("list", help="each institution's schedule").set_defaults(func=cmd_schedule)
    setting = schedule.add_parser("set", help='set one: MOJ "monthly 1 09:00" (or "default")')
    setting.add_argument("institution")
    setting.add_argument(
        "schedule", nargs="?", help='"weekly mon 09:00", "fortnightly thu 10:30", "monthly 1 09:00", "default"'
    )
    setting.add_argument(
        "--escalation", help='the waits: "reminders 24,72 then 24", "reminders none then 48", or "default"'
    )
    setting.set_defaults(func=cmd_schedule)
