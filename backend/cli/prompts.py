"""`nmirf prompts send-weekly`: this week's progress prompt, now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from backend.cli.common import finish_jobs, make_ctx
from backend.roster.models import Person
from backend.sessions.prompts import send_weekly
from backend.wiring.context import Context


def send_weekly_now(ctx: Context, phone: str | None = None) -> dict:
    now = datetime.now(UTC)
    with ctx.work() as work:
        person = None
        if phone:
            person = work.session.scalar(select(Person).where(Person.phone == phone))
            if person is None:
                raise SystemExit(f"{phone}: nobody in the roster has this phone number")
        report = send_weekly(
            work.session,
            now=now,
            timeout=timedelta(hours=ctx.settings.session_timeout_hours),
            settings=ctx.settings,
            configured=ctx.configured,
            person=person,
        )
        for row in report["queued"]:
            work.send(row)
    return report


def cmd_send_weekly(args) -> int:
    ctx = make_ctx(run_jobs_here=True)
    report = send_weekly_now(ctx, args.phone)
    for row in report["queued"]:
        print(f"queued weekly prompt #{row.id} to {row.channel}:{row.address}")
    for name, why in report["skipped"]:
        print(f"skipped {name}: {why}")
    finish_jobs(ctx)
    return 0


def register(sub) -> None:
    prompts = sub.add_parser("prompts", help="prompts to focal points").add_subparsers(dest="action", required=True)
    weekly = prompts.add_parser("send-weekly", help="send this week's progress prompt now")
    weekly.add_argument("--phone", help="only to this person (E.164 phone)")
    weekly.set_defaults(func=cmd_send_weekly)
