"""`nmirf meetings create|list|show`: the secretariat's meetings from the command line."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from backend.cli.common import finish_jobs, make_ctx
from backend.db import aware
from backend.meetings import service
from backend.meetings.models import Invitation, Meeting
from backend.roster.models import FocalPoint, Institution, Person


def _when(text: str, zone: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise SystemExit(f'--starts "{text}": not a date and time; write it as 2026-12-03 10:00') from None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(zone))


def create_and_invite(
    ctx,
    *,
    title: str,
    starts: str,
    place: str,
    invite: str,
    agenda: str | None = None,
    cluster: str | None = None,
    zone: str | None = None,
) -> dict:
    """Create the meeting, invite the institutions (short names, or "all"), queue the invitations
    after commit. Raises SystemExit with a message on any mistake; nothing is written then."""
    now = datetime.now(UTC)
    starts_at = _when(starts, zone or ctx.settings.default_timezone)
    with ctx.work() as work:
        session = work.session
        if invite.strip().lower() == "all":
            institutions = list(session.scalars(select(Institution).order_by(Institution.short_name)))
        else:
            names = [n.strip() for n in invite.split(",") if n.strip()]
            found = {
                i.short_name: i for i in session.scalars(select(Institution).where(Institution.short_name.in_(names)))
            }
            unknown = [n for n in names if n not in found]
            if unknown or not names:
                raise SystemExit(
                    f"--invite: no institution {', '.join(unknown) or '(none given)'}; "
                    "give short names from the roster, comma-separated, or all"
                )
            institutions = [found[n] for n in names]
        try:
            meeting = service.create(
                session, title=title, starts_at=starts_at, place=place, agenda=agenda, cluster=cluster, now=now
            )
        except service.MeetingError as exc:
            raise SystemExit(f"meeting not created: {exc}") from None
        report = service.invite(
            session,
            meeting=meeting,
            institutions=institutions,
            now=now,
            settings=ctx.settings,
            configured=ctx.configured,
        )
        report["meeting"] = meeting.id
        for row in report["queued"]:
            work.send(row)
        sends = [(r.id, r.priority, r.channel, r.address) for r in report["queued"]]
    report["queued"] = sends
    return report


def cmd_create(args, ctx) -> int:
    report = create_and_invite(
        ctx,
        title=args.title,
        starts=args.starts,
        place=args.place,
        invite=args.invite,
        agenda=args.agenda,
        cluster=args.cluster,
        zone=args.timezone,
    )
    print(f"meeting {report['meeting']} created")
    for _id, _priority, channel, address in report["queued"]:
        print(f"invitation queued to {channel}:{address}")
    for name, why in report["skipped"]:
        print(f"not invited {name}: {why}")
    return 0


def cmd_list(args, ctx) -> int:
    with ctx.db.transaction() as session:
        meetings = session.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
        if not meetings:
            print("no meetings yet")
        for m in meetings:
            counts = dict(
                session.execute(
                    select(Invitation.status, func.count())
                    .where(Invitation.meeting_id == m.id)
                    .group_by(Invitation.status)
                ).all()
            )
            summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("confirmed", "declined", "delegated", "pending"))
            print(f"{m.id:>4} {aware(m.starts_at):%Y-%m-%d %H:%M %Z} {m.title} @ {m.place}: {summary}")
    return 0


def cmd_show(args, ctx) -> int:
    with ctx.db.transaction() as session:
        meeting = session.get(Meeting, args.id)
        if meeting is None:
            print(f"no meeting {args.id}; `nmirf meetings list` shows them", file=sys.stderr)
            return 1
        print(f"{meeting.id} {meeting.title}, {aware(meeting.starts_at):%Y-%m-%d %H:%M %Z}, {meeting.place}")
        for inv in service.attendance(session, meeting_id=meeting.id):
            via = f" (sent by {inv.origin.person.name})" if inv.origin else ""
            print(f"  {inv.institution.short_name:<10} {inv.person.name:<30} {inv.status}{via}")
    return 0


def register(sub) -> None:
    meetings = sub.add_parser("meetings", help="meetings and attendance").add_subparsers(dest="action", required=True)
    c = meetings.add_parser("create", help="create a meeting and send the invitations")
    c.add_argument("--title", required=True)
    c.add_argument("--starts", required=True, help='local date and time, e.g. "2026-12-03 10:00"')
    c.add_argument("--timezone", help="time zone of --starts (default: DEFAULT_TIMEZONE)")
    c.add_argument("--place", required=True)
    c.add_argument("--agenda")
    c.add_argument("--cluster", help="the recommendation cluster's code")
    c.add_argument("--invite", required=True, help="institution short names, comma-separated, or all")
    c.set_defaults(func=lambda a: _run(cmd_create, a, jobs=True))
    meetings.add_parser("list", help="meetings and their answers").set_defaults(func=lambda a: _run(cmd_list, a))
    s = meetings.add_parser("show", help="who is invited to a meeting, and their answer")
    s.add_argument("id", type=int)
    s.set_defaults(func=lambda a: _run(cmd_show, a))


def _run(command, args, jobs: bool = False) -> int:
    ctx = make_ctx(run_jobs_here=jobs)
    code = command(args, ctx)
    if jobs:
        finish_jobs(ctx)
    return code


def demo_meeting(ctx, phone: str) -> None:
    """The demo's meeting: next week, inviting the institutions of the demo person (once)."""
    now = datetime.now(UTC)
    with ctx.db.transaction() as session:
        if session.scalar(select(Meeting.id).where(Meeting.starts_at > now).limit(1)) is not None:
            return
        person = session.scalar(select(Person).where(Person.phone == phone))
        if person is None:
            return
        zone = person.timezone
        names = list(
            session.scalars(select(Institution.short_name).join(FocalPoint).where(FocalPoint.person_id == person.id))
        )
    if names:
        starts = (now + timedelta(days=7)).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d 10:00")
        create_and_invite(
            ctx,
            title="Rights of the child cluster review",
            starts=starts,
            zone=zone,
            place="NMIRF secretariat, room 2",
            invite=",".join(names),
        )
