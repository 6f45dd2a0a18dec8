"""Meetings end to end: the secretariat creates one from the CLI, invitations reach the focal
points through the simulator channel, their answers (and hand-overs to substitutes) are stored,
and a waiting conversation that expires is closed with a note by the sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app import create_app
from backend.cli.meetings import create_and_invite
from backend.jobs.sweep import sweep
from backend.meetings.models import Invitation, Meeting
from backend.roster.models import Person
from backend.sessions import state as pipeline
from tests.backend.helpers import count, wait_until
from tests.conftest import import_demo, running_context, settings_for

AMINA, PETER, GRACE = "+254700000001", "+254711000002", "+254722000003"
SOON = (datetime.now(UTC) + timedelta(days=6)).strftime("%Y-%m-%d 10:00")


@pytest.fixture
def product(database_url):
    settings = settings_for(database_url, default_timezone="Africa/Nairobi")
    with running_context(settings) as ctx:
        import_demo(ctx)
        with TestClient(create_app(ctx, run_jobs=True)) as client:
            yield ctx, Phones(client)


class Phones:
    """The simulator's phone side: send as a phone, read what it received."""

    def __init__(self, client):
        self.client, self.sent = client, 0

    def inbox(self, phone: str) -> list[str]:
        return [m["text"] for m in self.client.get("/simulator/messages", params={"phone": phone}).json()["messages"]]

    def wait(self, phone: str, n: int) -> list[str]:
        wait_until(lambda: len(self.inbox(phone)) >= n, message=f"{n} messages to {phone}")
        return self.inbox(phone)

    def say(self, phone: str, text: str) -> str:
        """Send, and the bot's answer (the next message this phone receives)."""
        before = len(self.inbox(phone))
        self.sent += 1
        assert (
            self.client.post(
                "/webhooks/simulator", json={"from": phone, "text": text, "id": f"m{self.sent}"}
            ).status_code
            == 200
        )
        return self.wait(phone, before + 1)[before]


def statuses(ctx, meeting_id: int) -> dict[str, str]:
    with ctx.db.transaction() as s:
        return {
            i.person.name: i.status for i in s.scalars(select(Invitation).where(Invitation.meeting_id == meeting_id))
        }


def test_invitations_answers_and_a_hand_over_to_the_substitute(product):
    """MOJ and MOH leads are invited; Amina sends her substitute, who confirms; Grace declines."""
    ctx, phones = product
    report = create_and_invite(
        ctx, title="Disability rights cluster review", starts=SOON, place="Sheria House, room 4", invite="MOJ,MOH"
    )
    meeting = report["meeting"]
    invitation = phones.wait(AMINA, 1)[0]
    assert invitation.startswith(f"Meeting {meeting}: Disability rights cluster review, ")
    assert "10:00, Sheria House, room 4." in invitation and f"SUB {meeting}" in invitation
    assert phones.wait(GRACE, 1)[0] == invitation

    assert phones.say(AMINA, "SUB") == f"Noted: Peter Otieno is invited to meeting {meeting} in your place."
    handed = phones.wait(PETER, 1)[0]
    assert "Amina Yusuf asks you to go instead" in handed and f"YES {meeting}" in handed
    assert phones.say(PETER, "yes").startswith(f"Thank you: you will attend meeting {meeting},")
    assert phones.say(GRACE, f"NO {meeting}").startswith(f"Noted: you will not attend meeting {meeting}.")
    assert statuses(ctx, meeting) == {
        "Amina Yusuf": "delegated",
        "Peter Otieno": "confirmed",
        "Grace Wanjiru": "declined",
    }
    # Inviting again sends nothing twice.
    with ctx.db.transaction() as s:
        from backend.meetings import service

        again = service.invite(
            s,
            meeting=s.get(Meeting, meeting),
            institutions=[],
            now=datetime.now(UTC),
            settings=ctx.settings,
            configured=ctx.configured,
        )
        assert again == {"queued": [], "skipped": []}
    assert phones.say(AMINA, f"YES {meeting}").startswith(f"You have no open invitation to meeting {meeting}.")


def test_an_away_lead_is_not_invited_their_substitute_is(product):
    ctx, phones = product
    phones.say(AMINA, "AWAY 2099-01-01")
    report = create_and_invite(ctx, title="UPR mid-term review", starts=SOON, place="Online", invite="MOJ")
    assert [address for *_rest, address in report["queued"]] == [PETER]
    assert statuses(ctx, report["meeting"]) == {"Peter Otieno": "pending"}


def test_two_open_invitations_are_told_apart_by_number(product):
    ctx, phones = product
    first = create_and_invite(ctx, title="Cluster A", starts=SOON, place="Room 1", invite="MOJ")["meeting"]
    second = create_and_invite(ctx, title="Cluster B", starts=SOON, place="Room 2", invite="MOJ")["meeting"]
    phones.wait(AMINA, 2)
    assert phones.say(AMINA, "yes").startswith("You have 2 open invitations.")
    assert statuses(ctx, first) == statuses(ctx, second) == {"Amina Yusuf": "pending"}
    phones.say(AMINA, f"{second} yes")
    phones.say(AMINA, "no")  # the only one still unanswered
    assert statuses(ctx, first) == {"Amina Yusuf": "declined"}
    assert statuses(ctx, second) == {"Amina Yusuf": "confirmed"}


@pytest.mark.parametrize(
    "changes,problem",
    [
        (dict(invite="MOJ,XYZ"), "--invite: no institution XYZ"),
        (dict(starts="2001-01-01 10:00"), "meeting not created: the meeting starts in the past"),
        (dict(starts="next tuesday"), "not a date and time; write it as 2026-12-03 10:00"),
        (dict(title="  "), "a meeting needs a title and a place"),
    ],
)
def test_a_meeting_given_wrongly_is_refused_with_the_reason_and_nothing_is_written(product, changes, problem):
    ctx, phones = product
    values = dict(title="Review", starts=SOON, place="Room 1", invite="MOJ") | changes
    with pytest.raises(SystemExit) as exc:
        create_and_invite(ctx, **values)
    assert problem in str(exc.value)
    assert count(ctx, Meeting) == 0 and count(ctx, Invitation) == 0 and phones.inbox(AMINA) == []


def age_conversations(ctx, by: timedelta) -> None:
    """Time passes for every waiting conversation and its expiry timer."""
    from backend.sessions.models import ConversationSession, Fire

    with ctx.db.transaction() as s:
        for row in s.scalars(select(ConversationSession)):
            if row.state:
                old = row.state["expires_at"]
                new = (datetime.fromisoformat(old) - by).isoformat()
                row.state = {**row.state, "expires_at": new}
                fire = s.scalar(select(Fire).where(Fire.person_id == row.person_id, Fire.done_at.is_(None)))
                fire.due_at, fire.session_token = datetime.fromisoformat(new), f"{row.state['flow']}:{new}"


def test_a_waiting_update_expires_with_a_note_once(product):
    """The sweep closes an expired weekly update and tells the person; a second sweep does nothing,
    and an update the person finished in time gets no note."""
    from backend.cli.prompts import send_weekly_now

    ctx, phones = product
    send_weekly_now(ctx)
    phones.wait(AMINA, 1)
    phones.wait(GRACE, 1)
    phones.say(GRACE, "1D")
    phones.say(GRACE, "SKIP")  # Grace finished: nothing waits for her
    age_conversations(ctx, timedelta(hours=ctx.settings.session_timeout_hours, minutes=1))
    now = datetime.now(UTC)
    assert sweep(ctx, now)["expired"] == 4  # Amina and the three other leads prompted
    note = phones.wait(AMINA, 2)[1]
    assert note.startswith("Your update for ") and "has closed; what you sent is saved." in note
    with ctx.db.transaction() as s:
        amina = s.scalar(select(Person).where(Person.phone == AMINA))
        assert pipeline.load_state(s, person_id=amina.id) is None
    assert sweep(ctx, now + timedelta(hours=1))["expired"] == 0
    assert len(phones.inbox(GRACE)) == 3 and len(phones.inbox(AMINA)) == 2


def test_a_focal_point_who_cannot_be_reached_is_reported_and_invited_once_reachable(product):
    """Grace opted out of the simulator channel: MOH is reported as not invited, with the reason;
    after START, inviting the same institutions again reaches her."""
    from backend.meetings import service

    ctx, phones = product
    phones.say(GRACE, "STOP")
    report = create_and_invite(ctx, title="Health cluster", starts=SOON, place="Afya House", invite="MOJ,MOH")
    assert [name for name, _why in report["skipped"]] == ["MOH"]
    assert "opted out" in report["skipped"][0][1]
    phones.say(GRACE, "START")
    with ctx.db.transaction() as s:
        from backend.roster.models import Institution

        again = service.invite(
            s,
            meeting=s.get(Meeting, report["meeting"]),
            institutions=list(s.scalars(select(Institution).where(Institution.short_name.in_(["MOJ", "MOH"])))),
            now=datetime.now(UTC),
            settings=ctx.settings,
            configured=ctx.configured,
        )
        assert [row.address for row in again["queued"]] == [GRACE]
        assert [name for name, _why in again["skipped"]] == ["MOJ"]
