"""`nmirf meetings create|change|cancel|list|show|observers`: the secretariat's meetings from the
command line, through backend/meetings/service.py (as the admin pages do)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from backend.catalog.models import Cluster
from backend.cli.common import finish_jobs, make_ctx
from backend.db import aware
from backend.meetings import observers as standing
from backend.meetings import service
from backend.meetings.models import Invitation, Meeting
from backend.roster.models import FocalPoint, Institution, Person

HOW = {"delegated": "sent by {name}", "no_reply": "in place of {name}: no answer", "away": "in place of {name}: away"}


def _when(text: str, zone: str) -> datetime:
    try:
        ZoneInfo(zone)
        value = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise SystemExit(f'--starts "{text}": not a date and time; write it as 2026-12-03 10:00') from None
    except (OSError, KeyError):
        raise SystemExit(f'--timezone "{zone}": not a time zone; give an IANA name such as Africa/Nairobi') from None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(zone))


def _agenda(agenda: str | list[str] | None, agenda_file: str | None) -> list[str] | None:
    """The items given (--agenda once per item, or a file with one item a line); None: none given."""
    items = [agenda] if isinstance(agenda, str) else list(agenda or [])
    if agenda_file:
        try:
            items += Path(agenda_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise SystemExit(f"--agenda-file {agenda_file}: {exc.strerror}") from None
    return items if agenda is not None or agenda_file else None


def _institutions(session, invite: str | None) -> list[Institution]:
    if invite is None or invite.strip().lower() in ("", "none"):
        return []
    if invite.strip().lower() == "all":
        return list(session.scalars(select(Institution).order_by(Institution.short_name)))
    names = [n.strip() for n in invite.split(",") if n.strip()]
    found = {i.short_name: i for i in session.scalars(select(Institution).where(Institution.short_name.in_(names)))}
    unknown = [n for n in names if n not in found]
    if unknown or not names:
        raise SystemExit(
            f"--invite: no institution {', '.join(unknown) or '(none given)'}; "
            "give short names from the roster, comma-separated, all, or none"
        )
    return [found[n] for n in names]


def _invite(work, ctx, meeting, institutions, people, now) -> dict:
    session = work.session
    report = service.invite(
        session, meeting=meeting, institutions=institutions, now=now, settings=ctx.settings, configured=ctx.configured
    )
    more = service.invite_observers(
        session, meeting=meeting, people=people, now=now, settings=ctx.settings, configured=ctx.configured
    )
    return {"queued": report["queued"] + more["queued"], "skipped": report["skipped"] + more["skipped"]}


def _queued(work, report: dict) -> dict:
    """Enqueue the report's messages after commit; keep what can be printed once it is closed."""
    for row in report["queued"]:
        work.send(row)
    return report | {"queued": [(r.id, r.priority, r.channel, r.address) for r in report["queued"]]}


def create_and_invite(
    ctx,
    *,
    title: str,
    starts: str,
    place: str,
    invite: str,
    agenda: str | list[str] | None = None,
    agenda_file: str | None = None,
    cluster: str | None = None,
    committee: str | None = None,
    observers: str | None = None,
    zone: str | None = None,
    now: datetime | None = None,
) -> dict:
    """Create the meeting, invite the institutions (short names, "all" or "none") and observers
    (phones or names, "all" or "none"; default: the cluster's standing ones), queue the invitations
    after commit. Raises SystemExit with a message on any mistake; nothing is written then."""
    now = now or datetime.now(UTC)
    zone = zone or ctx.settings.default_timezone
    starts_at = _when(starts, zone)
    with ctx.work() as work:
        session = work.session
        institutions = _institutions(session, invite)
        try:
            meeting = service.create(
                session,
                title=title,
                starts_at=starts_at,
                place=place,
                agenda=_agenda(agenda, agenda_file) or (),
                cluster=cluster,
                committee=committee,
                timezone=zone,
                now=now,
            )
            people = standing.find(session, observers) if observers is not None else []
            if observers is None:
                people = standing.of_cluster(session, meeting.cluster_id)
        except service.MeetingError as exc:
            raise SystemExit(f"meeting not created: {exc}") from None
        report = _queued(work, _invite(work, ctx, meeting, institutions, people, now))
        report["meeting"] = meeting.id
    return report


def change_meeting(
    ctx,
    meeting_id: int,
    *,
    title: str | None = None,
    starts: str | None = None,
    zone: str | None = None,
    place: str | None = None,
    agenda: list[str] | None = None,
    agenda_file: str | None = None,
    committee: str | None = None,
    invite: str | None = None,
    observers: str | None = None,
    now: datetime | None = None,
) -> dict:
    """Change the meeting and invite more; a new time or place is told to every invitee, once."""
    now = now or datetime.now(UTC)
    if zone is not None and starts is None:
        raise SystemExit("--timezone goes with --starts: give the new time in that zone")
    with ctx.work() as work:
        session = work.session
        meeting = _meeting(session, meeting_id)
        starts_at = _when(starts, zone or meeting.timezone) if starts is not None else None
        try:
            report = service.change(
                session,
                meeting=meeting,
                now=now,
                settings=ctx.settings,
                configured=ctx.configured,
                title=title,
                starts_at=starts_at,
                timezone=zone,
                place=place,
                agenda=_agenda(agenda, agenda_file),
                committee=committee,
            )
            people = standing.find(session, observers) if observers is not None else []
        except service.MeetingError as exc:
            raise SystemExit(f"meeting {meeting_id} not changed: {exc}") from None
        more = _invite(work, ctx, meeting, _institutions(session, invite), people, now)
        report = _queued(work, report) | {"invited": _queued(work, more)}
    return report


def cancel_meeting(ctx, meeting_id: int, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    with ctx.work() as work:
        meeting = _meeting(work.session, meeting_id)
        try:
            report = service.cancel(
                work.session, meeting=meeting, now=now, settings=ctx.settings, configured=ctx.configured
            )
        except service.MeetingError as exc:
            raise SystemExit(f"meeting {meeting_id} not cancelled: {exc}") from None
        return _queued(work, report)


def _meeting(session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise SystemExit(f"no meeting {meeting_id}; `nmirf meetings list` shows them")
    return meeting


def _print_sends(report: dict, what: str) -> None:
    for _id, _priority, channel, address in report["queued"]:
        print(f"{what} queued to {channel}:{address}")
    for name, why in report["skipped"]:
        print(f"not {'invited' if what == 'invitation' else 'told'} {name}: {why}")


def cmd_create(args, ctx) -> int:
    report = create_and_invite(
        ctx,
        title=args.title,
        starts=args.starts,
        place=args.place,
        invite=args.invite,
        agenda=args.agenda,
        agenda_file=args.agenda_file,
        cluster=args.cluster,
        committee=args.committee,
        observers=args.observers,
        zone=args.timezone,
    )
    print(f"meeting {report['meeting']} created")
    _print_sends(report, "invitation")
    return 0


def cmd_change(args, ctx) -> int:
    report = change_meeting(
        ctx,
        args.id,
        title=args.title,
        starts=args.starts,
        zone=args.timezone,
        place=args.place,
        agenda=[] if args.no_agenda else args.agenda,
        agenda_file=args.agenda_file,
        committee=args.committee,
        invite=args.invite,
        observers=args.observers,
    )
    changed = ", ".join(f.replace("_items", "").replace("starts_at", "time") for f in report["changed"])
    print(f"meeting {args.id}: {changed or 'nothing'} changed")
    _print_sends(report, "change notice")
    _print_sends(report["invited"], "invitation")
    return 0


def cmd_cancel(args, ctx) -> int:
    report = cancel_meeting(ctx, args.id)
    print(f"meeting {args.id} {'was cancelled already' if report['already'] else 'cancelled'}")
    _print_sends(report, "cancellation notice")
    return 0


def _local(meeting: Meeting) -> str:
    return f"{aware(meeting.starts_at).astimezone(ZoneInfo(meeting.timezone)):%Y-%m-%d %H:%M} {meeting.timezone}"


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
            handed = counts.get("no_reply", 0) + counts.get("away", 0)
            summary += f", {handed} handed to a substitute" if handed else ""
            status = " (cancelled)" if m.status == "cancelled" else ""
            print(f"{m.id:>4} {_local(m)} {m.title} @ {m.place}{status}: {summary}")
    return 0


def cmd_show(args, ctx) -> int:
    with ctx.db.transaction() as session:
        meeting = session.get(Meeting, args.id)
        if meeting is None:
            print(f"no meeting {args.id}; `nmirf meetings list` shows them", file=sys.stderr)
            return 1
        status = " (cancelled)" if meeting.status == "cancelled" else ""
        print(f"{meeting.id} {meeting.title}, {_local(meeting)}, {meeting.place}{status}")
        cluster = session.get(Cluster, meeting.cluster_id) if meeting.cluster_id else None
        for label, value in (("committee", meeting.committee), ("cluster", cluster.code if cluster else None)):
            if value:
                print(f"  {label}: {value}")
        for n, item in enumerate(meeting.agenda_items or (), 1):
            print(f"  agenda {n}. {item}")
        for inv in service.attendance(session, meeting_id=meeting.id):
            who = "observer" if inv.observer else inv.institution.short_name
            print(f"  {who:<10} {inv.person.name:<30} {_status(inv)}")
    return 0


def _status(inv: Invitation) -> str:
    if inv.origin is None:
        return inv.status
    return f"{inv.status} ({HOW[inv.origin.status].format(name=inv.origin.person.name)})"


def cmd_observers(args, ctx) -> int:
    with ctx.db.transaction() as session:
        try:
            if args.set is not None:
                people = standing.set_for_cluster(
                    session, cluster=args.cluster, people=standing.find(session, args.set)
                )
            else:
                people = standing.cluster_observers(session, args.cluster)
        except service.MeetingError as exc:
            print(f"observers not set: {exc}" if args.set is not None else str(exc), file=sys.stderr)
            return 1
        names = ", ".join(f"{p.name} ({p.phone})" for p in people)
        print(f"observers of {args.cluster} meetings: {names or 'none'}")
    return 0


def _meeting_fields(p, *, new: bool) -> None:
    p.add_argument("--title", required=new)
    p.add_argument("--starts", required=new, help='local date and time, e.g. "2026-12-03 10:00"')
    p.add_argument("--timezone", help="time zone of --starts (default: DEFAULT_TIMEZONE, or the meeting's)")
    p.add_argument("--place", required=new, help="a venue, or a link")
    p.add_argument("--agenda", action="append", help="an agenda item (give it once per item, in order)")
    p.add_argument("--agenda-file", help="the agenda, one item a line")
    p.add_argument("--committee", help="the committee or subcommittee meeting, if not the whole mechanism")
    p.add_argument("--invite", required=new, help="institution short names, comma-separated, all, or none")
    p.add_argument("--observers", help="observers' phones or full names, comma-separated, all, or none")


def register(sub) -> None:
    meetings = sub.add_parser("meetings", help="meetings and attendance").add_subparsers(dest="action", required=True)
    c = meetings.add_parser("create", help="create a meeting and send the invitations")
    _meeting_fields(c, new=True)
    c.add_argument("--cluster", help="the recommendation cluster's code (its standing observers are invited)")
    c.set_defaults(func=lambda a: _run(cmd_create, a, jobs=True))
    ch = meetings.add_parser("change", help="change a meeting: a new time or place is told to every invitee")
    ch.add_argument("id", type=int)
    _meeting_fields(ch, new=False)
    ch.add_argument("--no-agenda", action="store_true", help="take the agenda away")
    ch.set_defaults(func=lambda a: _run(cmd_change, a, jobs=True))
    x = meetings.add_parser("cancel", help="cancel a meeting and tell who may come")
    x.add_argument("id", type=int)
    x.set_defaults(func=lambda a: _run(cmd_cancel, a, jobs=True))
    meetings.add_parser("list", help="meetings and their answers").set_defaults(func=lambda a: _run(cmd_list, a))
    s = meetings.add_parser("show", help="a meeting, its agenda, who is invited, and their answer")
    s.add_argument("id", type=int)
    s.set_defaults(func=lambda a: _run(cmd_show, a))
    o = meetings.add_parser("observers", help="a cluster's standing observers, invited to its meetings")
    o.add_argument("--cluster", required=True, help="the cluster's code")
    o.add_argument("--set", help="phones or full names, comma-separated, all, or none (replaces the list)")
    o.set_defaults(func=lambda a: _run(cmd_observers, a))


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
            agenda=[
                "Progress on the Children Protection Bill",
                "Birth registration campaign: counties reached",
                "Any other business",
            ],
        )
