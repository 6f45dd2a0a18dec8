"""`nmirf simulate week`: watch a week of the rhythm pass in a few seconds, as a transcript.

A throw-away SQLite database gets the demo roster with its institutions in three time zones
(Nairobi, Casablanca, Asuncion) and a secretariat desk; the scheduler then runs every half hour
of next week, and a few scripted answers arrive: one lead answers on Monday, one is silent and
is reminded, then their substitute is asked, then the lead answers late and the substitute is
stood down; an institution with no substitute ends with an alert to the secretariat; a meeting
is announced, confirmed and reminded, and a silent invitee's substitute invited at the deadline;
the secretariat's digest comes on Friday. Every message the bot starts is printed at its
recipient's local time."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from backend.config import load_settings
from backend.imports.catalog import import_actions, import_recommendations
from backend.imports.roster import import_roster
from backend.inbox.models import InboxMessage
from backend.inbox.service import store_inbound
from backend.meetings import service as meetings
from backend.migrations import upgrade
from backend.outbox.models import OutboxMessage
from backend.progress.rounds import ReportingRound
from backend.roster import service as roster
from backend.roster.models import Institution, Person
from backend.schedule import planner
from backend.sessions.runner import Runner
from backend.wiring.context import build_context, set_context
from backend.wiring.dispatch import InProcessDispatcher
from bot.message import Address, ContentKind, InboundMessage

DEMO = Path(__file__).resolve().parents[2] / "deploy" / "demo"
ZONES = {"MOH": "Africa/Casablanca", "TUR": "America/Asuncion"}  # the others stay in Nairobi
DESK = "+254799000009"


@dataclass(frozen=True)
class Answer:
    day: int  # 0 = Monday
    hour: int  # local
    phone: str
    text: str


SCRIPT = (
    Answer(0, 10, "+254722000003", "1D budget line agreed"),  # Grace (MOH, Casablanca) answers at once
    Answer(1, 11, "+254700000007", "1E"),  # Claire (TUR, Asuncion) on Tuesday, in French letters
    Answer(4, 14, "+254700000001", "1P 2D"),  # Amina (MOJ) answers late, on Friday, after Peter was asked
    Answer(1, 9, "+254700000001", "YES 1"),  # Amina confirms the meeting: reminders 48 h and 2 h before it
)


def _setup(url: str):
    settings = load_settings(
        database_url=url,
        redis_url="",
        scheduler_enabled=False,
        simulator_enabled=True,
        default_timezone="Africa/Nairobi",
    )
    upgrade(settings.database_url)
    ctx = build_context(settings, dispatcher=InProcessDispatcher())  # never started: nothing leaves
    set_context(ctx)
    with ctx.db.transaction() as s:
        import_roster(s, DEMO / "roster.csv")
        import_recommendations(s, DEMO / "recommendations.csv")
        import_actions(s, DEMO / "actions.csv")
        for short, zone in ZONES.items():
            inst = s.scalars(select(Institution).where(Institution.short_name == short)).one()
            ids = [fp.person_id for fp in inst.focal_points]
            s.execute(update(Person).where(Person.id.in_(ids)).values(timezone=zone))
        if s.scalar(select(Person.id).where(Person.phone == DESK)) is None:
            s.add(
                Person(
                    name="Secretariat desk",
                    phone=DESK,
                    channels="simulator",
                    language="en",
                    timezone="Africa/Nairobi",
                    role="secretariat",
                    created_at=datetime.now(UTC),
                )
            )
    return ctx


def _answer(ctx, answer: Answer, now: datetime, n: int) -> None:
    item = InboundMessage(
        address=Address.of("simulator", answer.phone), kind=ContentKind.TEXT, text=answer.text, provider_id=f"sim-{n}"
    )
    with ctx.work() as work:
        inbox_id, _new = store_inbound(work.session, item, now)
        row = work.session.get(InboxMessage, inbox_id)
        person = roster.find_by_address(work.session, channel="simulator", address=answer.phone)
        runner = Runner(work.session, settings=ctx.settings, channels=ctx.channels, configured=ctx.configured)
        runner.handle(row, person, now)
        row.status = "done"


def _meeting(ctx, *, start: datetime, at: datetime) -> None:
    """A meeting on Friday 10:00 in Nairobi, announced on Monday: MOJ and MOH invited. Amina
    confirms and gets the reminders before it; Grace stays silent, so at the deadline Samuel (her
    substitute) is invited in her place, and followed up."""
    with ctx.work() as work:
        s = work.session
        meeting = meetings.create(
            s,
            title="Rights of the child cluster review",
            starts_at=at,
            place="NMIRF secretariat, room 2",
            now=start,
            agenda=["Progress on the CRC recommendations", "Next report to the Committee"],
        )
        invited = list(s.scalars(select(Institution).where(Institution.short_name.in_(["MOJ", "MOH"]))))
        report = meetings.invite(
            s, meeting=meeting, institutions=invited, now=start, settings=ctx.settings, configured=ctx.configured
        )
        for row in report["queued"]:
            work.send(row)


def _print_new(ctx, seen: int, names: dict[str, tuple[str, str]]) -> int:
    with ctx.db.transaction() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.id > seen).order_by(OutboxMessage.id)).all()
        for row in rows:
            name, zone = names.get(row.address, (row.address, "UTC"))
            local = row.created_at.astimezone(ZoneInfo(zone))
            first, *rest = row.text.splitlines()
            print(f"{local:%a %H:%M} {zone:<18} -> {name} [{row.kind}]: {first}")
            for line in rest:
                print(" " * 26 + line)
            seen = row.id
    return seen


def simulate_week(
    start: datetime | None = None, step: timedelta = timedelta(minutes=30), *, into: str | None = None
) -> None:
    """Next week in a throw-away database; with `into` (a DATABASE_URL), last week in that
    database, which keeps it: the admin view then shows the week that passed."""
    with tempfile.TemporaryDirectory() as tmp:
        ctx = _setup(into or f"sqlite:///{tmp}/week.db")
        today = datetime.now(UTC).date()
        weeks = -1 if into else 1
        this_monday = today - timedelta(days=today.weekday())
        monday = start or datetime.combine(this_monday + timedelta(weeks=weeks), datetime.min.time(), UTC)
        monday -= timedelta(hours=12)  # from Sunday noon UTC: Monday 09:00 comes first in the east
        with ctx.db.transaction() as s:
            names = {p.phone: (p.name, p.timezone) for p in s.scalars(select(Person)) if p.phone}
        pending = sorted(
            SCRIPT,
            key=lambda a: datetime.combine(
                (monday + timedelta(hours=12)).date() + timedelta(days=a.day), datetime.min.time()
            ).replace(hour=a.hour, tzinfo=ZoneInfo(names[a.phone][1])),
        )
        print(f"A simulated week from {monday:%Y-%m-%d %H:%M} UTC; local times for each recipient.\n")
        seen, n, now = 0, 0, monday
        meeting_at = datetime.combine((monday + timedelta(hours=12)).date() + timedelta(days=4), datetime.min.time())
        _meeting(ctx, start=monday + timedelta(hours=18), at=meeting_at.replace(hour=7, tzinfo=UTC))
        while now < monday + timedelta(days=7, hours=12):  # to Sunday midnight UTC
            for answer in list(pending):
                zone = ZoneInfo(names[answer.phone][1])
                due = datetime.combine(
                    (monday + timedelta(hours=12)).date() + timedelta(days=answer.day), datetime.min.time()
                ).replace(hour=answer.hour, tzinfo=zone)
                if due <= now:
                    n += 1
                    name, tz = names[answer.phone]
                    print(f"{now.astimezone(zone):%a %H:%M} {tz:<18} <- {name}: {answer.text}")
                    _answer(ctx, answer, now, n)
                    pending.remove(answer)
            planner.tick(ctx, now)
            seen = _print_new(ctx, seen, names)
            now += step
        with ctx.db.transaction() as s:
            print("\nRounds:")
            for r in s.scalars(select(ReportingRound).order_by(ReportingRound.institution_id)):
                inst = s.get(Institution, r.institution_id)
                who = s.get(Person, r.answered_by).name if r.answered_by else "nobody"
                print(f"  {inst.short_name} {r.period}: {r.status} (answer from {who})")
        ctx.close()
        set_context(None)


def cmd_simulate(args) -> int:
    simulate_week(into=args.into)
    return 0


def register(sub) -> None:
    simulate = sub.add_parser("simulate", help="watch the rhythm: a simulated week").add_subparsers(
        dest="action", required=True
    )
    week = simulate.add_parser("week", help="a week of prompts, reminders and substitutes, in a minute")
    week.add_argument(
        "--into", metavar="DATABASE_URL", help="simulate last week in this database and keep it (for the admin view)"
    )
    week.set_defaults(func=cmd_simulate)
