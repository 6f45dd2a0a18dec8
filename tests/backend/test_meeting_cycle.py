"""A meeting's whole cycle on SQLite and PostgreSQL, through the simulator channel, with time moved
by the scheduler's `now` (`planner.tick`): invitations (to institutions' focal points and to an
observer), one follow-up, the substitute invited at the deadline, reminders 48 h and 2 h before to
who confirmed, a change of time and of place told once to everyone holding the invitation, a
cancellation, AGENDA in two languages, and a lead who goes AWAY after the invitation. Every
message each person receives is counted: exactly the expected ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from backend.app import create_app
from backend.catalog.models import Action, Cluster
from backend.cli.meetings import cancel_meeting, change_meeting, create_and_invite
from backend.db import aware
from backend.imports.roster import import_roster
from backend.inbox.simulator import delivered
from backend.meetings import observers
from backend.meetings.models import Invitation, Meeting
from backend.schedule import meetings as meeting_pass
from backend.schedule import planner
from conversations.attendance import invitation_text
from conversations.meetings import MeetingView
from conversations.views import CHAT, PersonView
from tests.conftest import import_demo, running_context, settings_for

AMINA, PETER, GRACE, SAMUEL = "+254700000001", "+254711000002", "+254722000003", "+254733000004"
JOSEPH, CLAIRE, HASSAN = "+254700000005", "+254700000007", "+254700000009"
ZONE = "Africa/Nairobi"
OBSERVER = """institution,institution_name,level,region,name,phone,channels,language,timezone,rank,role
KNCHR,Kenya National Commission on Human Rights,national,,Hassan Odhiambo,+254700000009,simulator,sw,Africa/Nairobi,1,observer
"""
AGENDA = ["Opening and adoption of the agenda", "Progress on the Children Protection Bill", "Any other business"]


def monday_after_next() -> datetime:
    """09:00 in Nairobi on the Monday after next: the invitations go out then."""
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=14)
    return datetime(monday.year, monday.month, monday.day, 6, 0, tzinfo=UTC)


T0 = monday_after_next()
STARTS = T0 + timedelta(days=7, hours=1)  # the Monday after, 10:00 in Nairobi
H = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def local(moment: datetime) -> str:
    return (moment + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")  # Nairobi: UTC+3, no DST


@pytest.fixture
def product(database_url, tmp_path):
    settings = settings_for(database_url, default_timezone=ZONE, sweep_interval_seconds=3600)
    with running_context(settings) as ctx:
        import_demo(ctx)
        roster = tmp_path / "observer.csv"
        roster.write_text(OBSERVER)
        with ctx.db.transaction() as s:
            import_roster(s, roster)
            # Nothing to report this month: the weekly rhythm prompts nobody while time moves.
            s.execute(update(Action).values(status="completed"))
        with TestClient(create_app(ctx, run_jobs=True)) as client:
            yield ctx, Phones(ctx, client)


class Phones:
    def __init__(self, ctx, client):
        self.ctx, self.client, self.sent = ctx, client, 0

    def say(self, phone: str, text: str) -> list[str]:
        """Send as this phone; the bot's answers."""
        before = len(self.received(phone))
        self.sent += 1
        assert self.client.post("/webhooks/simulator", json={"from": phone, "text": text, "id": f"m{self.sent}"})
        self.idle()
        return [text for _kind, text in self.received(phone)[before:]]

    def idle(self) -> None:
        assert self.ctx.dispatcher.wait_idle(15)

    def received(self, phone: str) -> list[tuple[str, str]]:
        """(kind, text) of every message this phone received, in order."""
        self.idle()
        return [(m["kind"], m["text"]) for m in delivered(self.ctx, phone, 0)]

    def kinds(self, phone: str) -> list[str]:
        return [kind for kind, _text in self.received(phone)]

    def last(self, phone: str, kind: str) -> str:
        return [text for k, text in self.received(phone) if k == kind][-1]


def tick(ctx, phones, moment: datetime) -> int:
    done = planner.tick(ctx, moment)
    phones.idle()
    assert done["opened"] == 0 and done["digests"] == 0  # only the meeting's messages move
    return done["meeting_messages"]


def statuses(ctx, meeting_id: int) -> dict[str, str]:
    with ctx.db.transaction() as s:
        rows = s.scalars(select(Invitation).where(Invitation.meeting_id == meeting_id).order_by(Invitation.id))
        return {i.person.name.split()[0]: i.status for i in rows}


def create(ctx, **changes) -> int:
    values = dict(
        title="Children's rights cluster review", starts=local(STARTS), zone=ZONE, place="Sheria House, room 4", now=T0
    )
    return create_and_invite(ctx, **(values | changes))["meeting"]


def test_a_full_cycle_invitation_follow_up_substitute_at_the_deadline_and_two_reminders(product):
    """MOJ, MOH and NPS are invited with an observer. Grace and the observer confirm; Amina and
    Joseph do not answer: one follow-up each; at the deadline Amina's invitation goes to Peter
    (Joseph has no substitute); who confirmed is reminded 48 h and 2 h before, once each."""
    ctx, phones = product
    meeting = create(ctx, invite="MOJ,MOH,NPS", observers=HASSAN, agenda=AGENDA)
    with ctx.db.transaction() as s:
        stored = s.get_one(Meeting, meeting)
        assert (stored.agenda_items, stored.timezone, aware(stored.starts_at)) == (AGENDA, ZONE, STARTS)
    # The observer's invitation, in Swahili: YES or NO, no substitute offered.
    hassan = PersonView(id=0, name="Hassan Odhiambo", language="sw", timezone=ZONE, medium=CHAT)
    about = MeetingView(meeting, "Children's rights cluster review", STARTS, "Sheria House, room 4", "pending")
    assert phones.last(HASSAN, "invitation") == invitation_text(hassan, replace(about, observer=True))
    assert invitation_text(hassan, replace(about, observer=True)) != invitation_text(hassan, about)
    assert phones.say(GRACE, "YES")[0].startswith(f"Thank you: you will attend meeting {meeting},")
    # The observer has nobody to send in their place (told in Swahili), and answers in Swahili.
    assert phones.say(HASSAN, "SUB") == [
        f"Hakuna mbadala anayeweza kuhudhuria badala yako. Tafadhali jibu NDIYO {meeting} au HAPANA {meeting}."
    ]
    phones.say(HASSAN, "ndiyo")
    assert statuses(ctx, meeting) == {
        "Amina": "pending",
        "Grace": "confirmed",
        "Joseph": "pending",
        "Hassan": "confirmed",
    }

    assert tick(ctx, phones, T0 + MINUTE) == 0
    assert tick(ctx, phones, T0 + 48 * H - MINUTE) == 0
    assert tick(ctx, phones, T0 + 48 * H + MINUTE) == 2  # Amina and Joseph, once
    assert tick(ctx, phones, T0 + 49 * H) == 0
    follow_up = phones.last(AMINA, "meeting_follow_up")
    assert follow_up.startswith(f"No answer yet to meeting {meeting}: Children's rights cluster review, ")
    assert follow_up.endswith(f"Please reply YES {meeting}, NO {meeting} or SUB {meeting}.")
    assert phones.last(JOSEPH, "meeting_follow_up").endswith(f"Please reply YES {meeting} or NO {meeting}.")

    deadline = STARTS - 72 * H
    assert tick(ctx, phones, deadline - MINUTE) == 0
    assert tick(ctx, phones, deadline + MINUTE) == 1  # Peter, in Amina's place; Joseph has nobody
    assert tick(ctx, phones, deadline + 2 * MINUTE) == 0
    handed = phones.last(PETER, "invitation")
    assert "You are invited in place of Amina Yusuf. Reply YES" in handed
    assert phones.say(PETER, "yes")[0].startswith(f"Thank you: you will attend meeting {meeting},")
    assert phones.say(AMINA, f"YES {meeting}")[0].startswith(f"You have no open invitation to meeting {meeting}.")

    assert tick(ctx, phones, STARTS - 48 * H - MINUTE) == 0
    assert tick(ctx, phones, STARTS - 48 * H + MINUTE) == 3  # Grace, Hassan, Peter
    assert tick(ctx, phones, STARTS - 47 * H) == 0
    reminder = phones.last(GRACE, "meeting_reminder")
    assert reminder.startswith(f"Reminder: you will attend meeting {meeting}: Children's rights cluster review, ")
    assert reminder.endswith(f"If you cannot, reply NO {meeting}.")
    assert tick(ctx, phones, STARTS - 2 * H + MINUTE) == 3
    assert tick(ctx, phones, STARTS + H) == 0

    assert statuses(ctx, meeting) == {
        "Amina": "no_reply",
        "Grace": "confirmed",
        "Joseph": "pending",
        "Hassan": "confirmed",
        "Peter": "confirmed",
    }
    reminded = ["invitation", "reply", "meeting_reminder", "meeting_reminder"]
    assert phones.kinds(AMINA) == ["invitation", "meeting_follow_up", "reply"]
    assert phones.kinds(PETER) == reminded
    assert phones.kinds(GRACE) == reminded
    assert phones.kinds(JOSEPH) == ["invitation", "meeting_follow_up"]
    assert phones.kinds(HASSAN) == ["invitation", "reply", "reply", "meeting_reminder", "meeting_reminder"]
    assert phones.kinds(SAMUEL) == [] and phones.kinds(CLAIRE) == []
    with ctx.db.transaction() as s:
        assert s.scalar(select(Invitation.next_at).where(Invitation.next_at.is_not(None))) is None  # nothing left


def test_a_change_of_time_and_of_place_reaches_everyone_once_and_a_cancellation_ends_it(product):
    """Each change of time or place is told once to everyone who holds the invitation (pending,
    confirmed, declined; not who handed it over); reminders follow the new time; a cancellation
    is told to who may come, and nothing is sent for the meeting after it."""
    ctx, phones = product
    meeting = create(ctx, invite="MOJ,MOH,NPS")
    phones.say(GRACE, "YES")
    phones.say(JOSEPH, "NO")
    assert tick(ctx, phones, T0 + MINUTE) == 0

    later_day = STARTS + 24 * H
    report = change_meeting(ctx, meeting, starts=local(later_day), now=T0 + 24 * H)
    assert report["changed"] == ["starts_at"] and len(report["queued"]) == 3
    assert change_meeting(ctx, meeting, starts=local(later_day), now=T0 + 25 * H)["queued"] == []  # no change
    assert change_meeting(ctx, meeting, title="Children's rights review", now=T0 + 25 * H)["queued"] == []
    changed = phones.last(GRACE, "meeting_change")  # the title changed since, silently
    assert changed.startswith(f"Meeting {meeting} has changed: Children's rights cluster review, Tue, ")
    assert changed.endswith(f"You are still expected; if you cannot come, reply NO {meeting}.")
    assert phones.last(AMINA, "meeting_change").endswith(f"Please reply YES {meeting} or NO {meeting}.")
    assert phones.last(JOSEPH, "meeting_change").endswith(f"Please reply YES {meeting} or NO {meeting}.")

    assert tick(ctx, phones, T0 + 24 * H + MINUTE) == 0  # re-timed, nothing due
    assert tick(ctx, phones, T0 + 48 * H + MINUTE) == 1  # Amina's follow-up, as before
    assert tick(ctx, phones, STARTS - 48 * H + MINUTE) == 1  # not Grace's old reminder: Peter, at the new deadline
    assert phones.kinds(PETER) == ["invitation"]
    assert tick(ctx, phones, later_day - 48 * H + MINUTE) == 1  # Grace, 48 h before the new time

    moved = change_meeting(ctx, meeting, place="Afya House, room 9", now=later_day - 30 * H)
    assert moved["changed"] == ["place"] and len(moved["queued"]) == 3  # Grace, Joseph, Peter; not Amina
    assert "Afya House, room 9" in phones.last(PETER, "meeting_change")
    cancelled = cancel_meeting(ctx, meeting, now=later_day - 24 * H)
    assert len(cancelled["queued"]) == 2  # who may come: Grace and Peter; Joseph declined
    assert cancel_meeting(ctx, meeting, now=later_day - 23 * H) == {"queued": [], "skipped": [], "already": True}
    notice = phones.last(GRACE, "meeting_cancelled")
    assert notice.startswith(f"Meeting {meeting} (Children's rights review, Tue, ")
    assert notice.endswith(" 10:00) is cancelled. No need to reply.")
    assert tick(ctx, phones, later_day - 2 * H + MINUTE) == 0
    with pytest.raises(SystemExit, match="is cancelled"):
        change_meeting(ctx, meeting, place="Online", now=later_day - 20 * H)

    assert phones.kinds(AMINA) == ["invitation", "meeting_change", "meeting_follow_up"]
    assert phones.kinds(GRACE) == [
        "invitation",
        "reply",
        "meeting_change",
        "meeting_reminder",
        "meeting_change",
        "meeting_cancelled",
    ]
    assert phones.kinds(JOSEPH) == ["invitation", "reply", "meeting_change", "meeting_change"]
    assert phones.kinds(PETER) == ["invitation", "meeting_change", "meeting_cancelled"]
    assert phones.kinds(SAMUEL) == []
    # An answer to a cancelled meeting: it is not open any more.
    assert phones.say(GRACE, f"YES {meeting}")[0].startswith(f"You have no open invitation to meeting {meeting}.")


def test_agenda_in_english_and_french_with_or_without_the_meeting_number(product):
    ctx, phones = product
    meeting = create(ctx, invite="MOJ,TUR", agenda=AGENDA)
    assert phones.say(AMINA, "AGENDA") == [
        f"Agenda of meeting {meeting}: Children's rights cluster review, Mon, {STARTS:%b} {STARTS.day} 10:00.\n"
        "1. Opening and adoption of the agenda\n2. Progress on the Children Protection Bill\n3. Any other business"
    ]
    french = phones.say(CLAIRE, f"ordre du jour {meeting}")
    assert len(french) == 1 and french[0].endswith("\n3. Any other business")
    assert "lun. " in french[0]  # the day and time in French
    assert phones.say(AMINA, "agenda 999")[0].startswith("You have no open invitation to meeting 999.")
    other = create(ctx, invite="MOJ", title="UPR mid-term review", agenda=[])
    assert phones.say(AMINA, "agenda")[0].startswith("You have 2 open invitations. Reply with the meeting number")
    assert phones.say(AMINA, f"AGENDA {other}") == [f"Meeting {other} has no agenda yet."]
    # Asking for the agenda answers nothing.
    assert statuses(ctx, meeting) == {"Amina": "pending", "Claire": "pending"}


def test_a_lead_who_goes_away_after_the_invitation_hands_it_to_the_substitute_at_the_next_pass(product):
    ctx, phones = product
    meeting = create(ctx, invite="MOJ,MOH")
    phones.say(GRACE, "YES")
    phones.say(AMINA, "AWAY 2099-01-01")
    phones.say(GRACE, "AWAY 2099-01-01")
    assert statuses(ctx, meeting) == {"Amina": "pending", "Grace": "confirmed"}  # not before the pass
    assert tick(ctx, phones, T0 + MINUTE) == 2
    assert tick(ctx, phones, T0 + 2 * MINUTE) == 0
    assert statuses(ctx, meeting) == {"Amina": "away", "Grace": "away", "Peter": "pending", "Samuel": "pending"}
    assert "You are invited in place of Amina Yusuf." in phones.last(PETER, "invitation")
    assert "You are invited in place of Grace Wanjiru." in phones.last(SAMUEL, "invitation")
    # The substitutes' own cycle: one follow-up each; nobody after them at the deadline; reminders
    # once they confirm (the scheduler's first look after is 2 h before: only the latest one due goes).
    assert tick(ctx, phones, T0 + 48 * H + MINUTE) == 2
    assert tick(ctx, phones, STARTS - 72 * H + MINUTE) == 0
    phones.say(PETER, "yes")
    assert tick(ctx, phones, STARTS - 2 * H + MINUTE) == 1
    assert phones.kinds(AMINA) == ["invitation", "reply"]
    assert phones.kinds(GRACE) == ["invitation", "reply", "reply"]
    assert phones.kinds(PETER) == ["invitation", "meeting_follow_up", "reply", "meeting_reminder"]
    assert phones.kinds(SAMUEL) == ["invitation", "meeting_follow_up"]


def test_follow_ups_and_reminders_keep_the_quiet_hours_but_a_change_is_told_at_once(product):
    """Invited at 21:30: the follow-up 48 h later falls at 21:30, in the quiet hours (20:00-07:00),
    and goes at 07:00. A meeting at 07:30: its 2 h reminder (05:30) goes at 07:00, still before it.
    A change made at 23:00 is told at once."""
    ctx, phones = product
    evening = T0 - 11 * H - 30 * MINUTE  # Sunday 21:30 in Nairobi
    meeting = create(ctx, invite="NPS", now=evening)  # Joseph: nobody after him at the deadline
    assert tick(ctx, phones, evening + MINUTE) == 0
    assert tick(ctx, phones, evening + 48 * H + MINUTE) == 0  # Tuesday 21:31: quiet
    morning = evening + 57 * H + 30 * MINUTE  # Wednesday 07:00
    assert tick(ctx, phones, morning - MINUTE) == 0
    assert tick(ctx, phones, morning + MINUTE) == 1
    early_start = STARTS - 2 * H - 30 * MINUTE  # Monday 07:30
    early = create(ctx, invite="MOH", title="Health cluster breakfast", starts=local(early_start))
    phones.say(GRACE, "YES")
    assert tick(ctx, phones, early_start - 48 * H + MINUTE) == 1  # Saturday 07:31: not quiet
    assert tick(ctx, phones, early_start - 2 * H + MINUTE) == 0  # 05:31: quiet
    assert tick(ctx, phones, early_start - 30 * MINUTE + MINUTE) == 1  # 07:01
    night = T0 + 14 * H  # Monday 23:00
    assert len(change_meeting(ctx, meeting, place="Online", now=night)["queued"]) == 1
    assert phones.kinds(JOSEPH) == ["invitation", "meeting_follow_up", "meeting_change"]
    assert phones.kinds(GRACE) == ["invitation", "reply", "meeting_reminder", "meeting_reminder"]
    assert statuses(ctx, early) == {"Grace": "confirmed"}


def test_an_invitation_sent_after_the_deadline_has_no_hand_over_and_a_late_follow_up_gives_way(product):
    """Invited 50 h before (after the 72 h deadline): one follow-up 48 h later, never the
    substitute. Invited 100 h before: the deadline (72 h before) comes before the follow-up would
    (52 h before), so the substitute is asked and the follow-up is not sent."""
    ctx, phones = product
    late = create(ctx, invite="MOJ", now=STARTS - 50 * H)
    assert tick(ctx, phones, STARTS - 50 * H + MINUTE) == 0
    assert tick(ctx, phones, STARTS - 2 * H + MINUTE) == 1
    assert tick(ctx, phones, STARTS - H) == 0
    assert statuses(ctx, late) == {"Amina": "pending"}
    soon = create(ctx, invite="MOH", now=STARTS - 100 * H, title="Health cluster")
    assert tick(ctx, phones, STARTS - 72 * H + MINUTE) == 1  # Samuel invited
    assert tick(ctx, phones, STARTS - 52 * H + MINUTE) == 0
    assert statuses(ctx, soon) == {"Grace": "no_reply", "Samuel": "pending"}
    assert phones.kinds(AMINA) == ["invitation", "meeting_follow_up"]
    assert phones.kinds(GRACE) == ["invitation"]


def test_an_idle_pass_is_one_query_however_many_invitations(product):
    ctx, phones = product
    create(ctx, invite="all")
    assert tick(ctx, phones, T0 + MINUTE) == 0
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    def idle_queries(moment: datetime) -> int:
        statements.clear()
        event.listen(ctx.db.engine, "before_cursor_execute", record)
        try:
            assert meeting_pass.meeting_messages(ctx, moment) == 0
        finally:
            event.remove(ctx.db.engine, "before_cursor_execute", record)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    assert idle_queries(T0 + 2 * MINUTE) == 1, statements
    create(ctx, invite="all", title="A second meeting")
    tick(ctx, phones, T0 + 3 * MINUTE)
    assert idle_queries(T0 + 4 * MINUTE) == 1
    assert "WHERE invitation.next_at <=" in statements[-1]
    with ctx.db.transaction() as s:
        assert s.query(Invitation).count() == 10


def test_observers_per_meeting_or_standing_per_cluster(product):
    """A meeting on a cluster invites the cluster's standing observers, unless it names its own
    (or none); only people with the role observer can be observers."""
    ctx, phones = product
    with ctx.db.transaction() as s:
        code = s.scalars(select(Cluster.code).order_by(Cluster.id)).first()
        observers.set_for_cluster(s, cluster=code, people=observers.find(s, "hassan odhiambo"))
    on_cluster = create(ctx, invite="MOJ", cluster=code)
    assert statuses(ctx, on_cluster) == {"Amina": "pending", "Hassan": "pending"}
    without = create(ctx, invite="MOJ", cluster=code, observers="none", title="Closed session")
    assert statuses(ctx, without) == {"Amina": "pending"}
    with pytest.raises(SystemExit, match="Peter Otieno is not an observer"):
        create(ctx, invite="MOJ", observers=PETER)
    with pytest.raises(SystemExit, match='no one in the roster is "Nobody Here"'):
        create(ctx, invite="MOJ", observers="Nobody Here")
    with ctx.db.transaction() as s:
        assert s.query(Meeting).count() == 2  # a meeting refused is not written
    # Adding the observer later invites them; again, nothing twice.
    added = change_meeting(ctx, without, observers="all", now=T0 + H)
    assert len(added["invited"]["queued"]) == 1
    assert change_meeting(ctx, without, observers="all", now=T0 + H)["invited"]["skipped"] == [
        ("Hassan Odhiambo", "invited already")
    ]
    assert phones.kinds(HASSAN) == ["invitation", "invitation"]


def test_the_settings(product):
    from backend.config import SettingsError, load_settings

    ctx, _phones = product
    assert ctx.settings.meeting_reminder_hours == [48.0, 2.0]
    assert load_settings(meeting_reminder_hours=[2, 48, 24]).meeting_reminder_hours == [48, 24, 2]
    with pytest.raises(SettingsError, match="MEETING_REMINDER_HOURS: expected different positive hours"):
        load_settings(meeting_reminder_hours=[2, 2])
    with pytest.raises(SettingsError, match="MEETING_FOLLOW_UP_HOURS: expected hours, 0 or more"):
        load_settings(meeting_follow_up_hours=-1)
    off = load_settings(meeting_follow_up_hours=0, meeting_substitute_deadline_hours=0, meeting_reminder_hours=[])
    assert (off.meeting_follow_up_hours, off.meeting_substitute_deadline_hours, off.meeting_reminder_hours) == (
        0,
        0,
        [],
    )


def nmirf(ctx, monkeypatch, tmp_path, *argv) -> int:
    """`nmirf ARGV...` as the secretariat runs it, against the product's database."""
    from backend import cli
    from backend.config import get_settings
    from backend.wiring.context import get_context, set_context

    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", ctx.settings.database_url)
    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("DEFAULT_TIMEZONE", ZONE)
    monkeypatch.setenv("SIMULATOR_ENABLED", "true")  # the demo roster's channel
    get_settings.cache_clear()
    try:
        return cli.main(list(argv))
    finally:
        built = get_context()
        if built is not ctx:
            built.close()
        set_context(ctx)
        get_settings.cache_clear()


def test_the_commands_create_show_change_cancel_and_list(product, monkeypatch, tmp_path, capsys):
    ctx, phones = product
    agenda = tmp_path / "agenda.txt"
    agenda.write_text("Opening\n\nProgress on the bill\n")
    starts = local(STARTS)
    args = ("meetings", "create", "--title", "Review", "--starts", starts, "--place", "Room 1", "--invite", "MOJ,MOH")
    assert nmirf(ctx, monkeypatch, tmp_path, *args, "--agenda-file", str(agenda), "--observers", HASSAN) == 0
    out = capsys.readouterr().out.splitlines()
    meeting = int(out[0].split()[1])
    assert out == [
        f"meeting {meeting} created",
        f"invitation queued to simulator:{AMINA}",
        f"invitation queued to simulator:{GRACE}",
        f"invitation queued to simulator:{HASSAN}",
    ]
    with pytest.raises(SystemExit, match="--timezone goes with --starts"):
        nmirf(ctx, monkeypatch, tmp_path, "meetings", "change", str(meeting), "--timezone", "UTC")
    assert nmirf(ctx, monkeypatch, tmp_path, "meetings", "change", str(meeting), "--place", "Room 2") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[out.index(f"meeting {meeting}: place changed") :] == [
        f"meeting {meeting}: place changed",
        f"change notice queued to simulator:{AMINA}",
        f"change notice queued to simulator:{GRACE}",
        f"change notice queued to simulator:{HASSAN}",
    ]
    assert nmirf(ctx, monkeypatch, tmp_path, "meetings", "show", str(meeting)) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{meeting} Review, {starts} {ZONE}, Room 2",
        "  agenda 1. Opening",
        "  agenda 2. Progress on the bill",
        "  MOJ        Amina Yusuf                    pending",
        "  MOH        Grace Wanjiru                  pending",
        "  observer   Hassan Odhiambo                pending",
    ]
    assert nmirf(ctx, monkeypatch, tmp_path, "meetings", "cancel", str(meeting)) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"meeting {meeting} cancelled"
    assert nmirf(ctx, monkeypatch, tmp_path, "meetings", "cancel", str(meeting)) == 0
    assert capsys.readouterr().out.splitlines() == [f"meeting {meeting} was cancelled already"]
    assert nmirf(ctx, monkeypatch, tmp_path, "meetings", "list") == 0
    assert "Review @ Room 2 (cancelled): 0 confirmed, 0 declined, 0 delegated, 3 pending" in capsys.readouterr().out
    with ctx.db.transaction() as s:
        code = s.scalars(select(Cluster.code).order_by(Cluster.id)).first()
    assert nmirf(ctx, monkeypatch, tmp_path, "meetings", "observers", "--cluster", code, "--set", HASSAN) == 0
    assert capsys.readouterr().out == f"observers of {code} meetings: Hassan Odhiambo ({HASSAN})\n"
    assert nmirf(ctx, monkeypatch, tmp_path, "meetings", "observers", "--cluster", code, "--set", AMINA) == 1
    assert "Amina Yusuf is not an observer" in capsys.readouterr().err
    kinds = ["invitation", "meeting_change", "meeting_cancelled"]
    assert phones.kinds(AMINA) == phones.kinds(GRACE) == phones.kinds(HASSAN) == kinds


def test_a_meeting_moved_to_a_time_whose_deadline_has_passed_leaves_the_invitation_with_the_invitee(product):
    """Moved to 60 h after the change: the 72 h deadline is already behind, so the lead, just
    told of the new time, keeps the invitation; their follow-up (48 h after the invitation) still goes."""
    ctx, phones = product
    meeting = create(ctx, invite="MOJ")
    assert tick(ctx, phones, T0 + MINUTE) == 0
    soon = T0 + 84 * H  # its deadline (72 h before) was 12 h after the invitation, 12 h before the change
    assert len(change_meeting(ctx, meeting, starts=local(soon), now=T0 + 24 * H)["queued"]) == 1
    for hours, sent in ((24, 0), (48, 1), (60, 0), (71, 0)):
        assert tick(ctx, phones, T0 + hours * H + MINUTE) == sent
    assert statuses(ctx, meeting) == {"Amina": "pending"}
    assert phones.kinds(AMINA) == ["invitation", "meeting_change", "meeting_follow_up"]
    assert phones.kinds(PETER) == []
