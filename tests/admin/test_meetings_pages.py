"""The meetings pages and the attendance export, through the real pages: a meeting created,
changed and cancelled by the secretariat (the invitations and notices queued, each change
audited), answers arriving through the simulator's webhook, the role and CSRF checks, and
hostile input."""

from __future__ import annotations

import csv
import gzip
import io
import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from backend.accounts.models import AuditEntry
from backend.imports.roster import import_roster
from backend.meetings import service
from backend.meetings.models import Invitation, Meeting
from backend.outbox.models import OutboxMessage
from backend.roster.models import Institution, Person
from tests.admin.conftest import csrf_of

ZONE = "Africa/Nairobi"
AMINA, GRACE, HASSAN = "+254700000001", "+254722000003", "+254700000009"
OBSERVER = """institution,institution_name,level,region,name,phone,channels,language,timezone,rank,role
KNCHR,Kenya National Commission on Human Rights,national,,Hassan Odhiambo,+254700000009,simulator,en,Africa/Nairobi,1,observer
"""
NEXT_WEEK = (datetime.now(UTC) + timedelta(days=7)).astimezone(ZoneInfo(ZONE)).date().isoformat()


@pytest.fixture
def ctx(site, tmp_path):
    ctx, _app = site
    roster = tmp_path / "observer.csv"
    roster.write_text(OBSERVER)
    with ctx.db.transaction() as s:
        import_roster(s, roster)
    return ctx


def ids(ctx, *short_names: str) -> list[str]:
    with ctx.db.transaction() as s:
        found = {n: i for n, i in s.execute(select(Institution.short_name, Institution.id))}
    return [str(found[n]) for n in short_names]


def observer_id(ctx) -> str:
    with ctx.db.transaction() as s:
        return str(s.scalar(select(Person.id).where(Person.phone == HASSAN)))


def form(ctx, client, path: str = "/admin/meetings/new", **changes) -> dict:
    values = dict(
        csrf_token=csrf_of(client.get(path).text),
        title="Children's rights cluster review",
        committee="",
        cluster="",
        date=NEXT_WEEK,
        time="10:00",
        timezone=ZONE,
        place="Sheria House, room 4",
        agenda="Opening\nProgress on the Children Protection Bill\n\nAny other business",
        institution=ids(ctx, "MOJ", "MOH"),
        observer=[observer_id(ctx)],
    )
    return values | changes


def create(ctx, client, **changes) -> int:
    r = client.post("/admin/meetings", data=form(ctx, client, **changes), follow_redirects=False)
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith("/admin/meetings/") and "done=created" in location
    return int(location.split("/")[3].split("?")[0])


def count(ctx, model, *where) -> int:
    with ctx.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def audited(ctx, action: str) -> list[tuple[str, str]]:
    with ctx.db.transaction() as s:
        return list(s.execute(select(AuditEntry.username, AuditEntry.detail).where(AuditEntry.action == action)))


def say(ctx, client, phone: str, text: str, n: int) -> None:
    assert client.post("/webhooks/simulator", json={"from": phone, "text": text, "id": f"t{n}"}).status_code == 200
    assert ctx.dispatcher.wait_idle(15)


def test_creating_a_meeting_queues_the_invitations_and_is_audited(ctx, as_role):
    client = as_role("secretariat")
    meeting = create(ctx, client)
    with ctx.db.transaction() as s:
        stored = s.get_one(Meeting, meeting)
        assert stored.timezone == ZONE and stored.place == "Sheria House, room 4"
        assert stored.agenda_items == ["Opening", "Progress on the Children Protection Bill", "Any other business"]
        assert stored.starts_at.strftime("%H:%M") == "07:00"  # 10:00 in Nairobi
        invited = {i.person.phone: i.observer for i in s.scalars(select(Invitation))}
        keys = set(s.scalars(select(OutboxMessage.key).where(OutboxMessage.kind == "invitation")))
        ids_ = set(s.scalars(select(Invitation.id)))
    assert invited == {AMINA: False, GRACE: False, HASSAN: True}
    assert keys == {f"invitation:{i}" for i in ids_}  # one invitation message each, queued
    [(who, detail)] = audited(ctx, "meeting_created")
    assert who == "secretariat" and f"meeting {meeting}" in detail and "3 invitations queued" in detail
    assert "+254" not in detail

    page = client.get(f"/admin/meetings/{meeting}?done=created&queued=3&skipped=0").text
    assert "Meeting created: 3 messages queued." in page
    assert "Amina Yusuf" in page and "Grace Wanjiru" in page and "Hassan Odhiambo" in page
    assert "10:00 Africa/Nairobi" in page and "Progress on the Children Protection Bill" in page
    assert "queued</span> by simulator to +254700000001" in page  # admin and secretariat see addresses
    listing = client.get("/admin/meetings").text
    assert f'href="/admin/meetings/{meeting}"' in listing and "Children&#39;s rights cluster review" in listing


def test_answers_through_the_webhook_show_on_the_detail_page(ctx, as_role):
    client = as_role("secretariat")
    meeting = create(ctx, client)
    ctx.dispatcher.start()
    assert ctx.dispatcher.wait_idle(15)
    say(ctx, client, GRACE, "YES", 1)
    say(ctx, client, AMINA, "SUB", 2)
    say(ctx, client, HASSAN, "NO", 3)
    page = client.get(f"/admin/meetings/{meeting}").text
    assert "1 confirmed, 1 declined, 1 handed to a substitute, 1 no reply" in page
    assert 'handed to <span dir="auto">Peter Otieno</span> (sent their substitute)' in page
    assert 'in place of <span dir="auto">Amina Yusuf</span> (sent their substitute)' in page
    for person, role, answer in (
        ("Grace Wanjiru", "invitee", '<span class="ok">confirmed'),
        ("Amina Yusuf", "invitee", '<span class="">substitute'),
        ("Peter Otieno", "substitute", '<span class="warn">no reply'),
        ("Hassan Odhiambo", "observer", '<span class="bad">declined'),
    ):
        assert re.search(rf"{person}</td>\s*<td>{role}</td>\s*<td>{answer}</span>", page), person
    assert "sent</span> by simulator" in page or "delivered</span> by simulator" in page
    listing = client.get("/admin/meetings").text
    assert '<td class="num">1</td><td class="num">1</td>\n    <td class="num">1</td><td class="num">1</td>' in listing


def test_change_and_cancel_through_the_pages(ctx, as_role):
    client = as_role("secretariat")
    meeting = create(ctx, client)
    page = client.get(f"/admin/meetings/{meeting}/change").text
    assert 'value="Sheria House, room 4"' in page and "(invited)" in page
    data = form(
        ctx, client, f"/admin/meetings/{meeting}/change", place="Harambee House, room 1", institution=ids(ctx, "NPS")
    )
    data.pop("observer")
    r = client.post(f"/admin/meetings/{meeting}/change", data=data, follow_redirects=False)
    assert r.status_code == 303 and "done=changed&queued=4" in r.headers["location"]
    assert count(ctx, OutboxMessage, OutboxMessage.kind == "meeting_change") == 3
    assert count(ctx, Invitation) == 4  # NPS's lead invited too
    [(who, detail)] = audited(ctx, "meeting_changed")
    assert who == "secretariat" and "place changed" in detail and "1 invitations queued" in detail
    assert "Harambee House, room 1" in client.get(f"/admin/meetings/{meeting}").text

    token = csrf_of(client.get(f"/admin/meetings/{meeting}").text)
    r = client.post(f"/admin/meetings/{meeting}/cancel", data={"csrf_token": token})
    assert r.status_code == 400 and "Tick the box" in r.text
    r = client.post(f"/admin/meetings/{meeting}/cancel", data={"csrf_token": token, "confirm": "yes"})
    assert r.status_code == 200 and "Meeting cancelled: 4 messages queued." in r.text
    assert count(ctx, OutboxMessage, OutboxMessage.kind == "meeting_cancelled") == 4
    assert count(ctx, Meeting, Meeting.status == "cancelled") == 1
    assert len(audited(ctx, "meeting_cancelled")) == 1
    assert "Cancel this meeting" not in r.text  # nothing more to change
    data = form(ctx, client, f"/admin/meetings/{meeting}", place="Elsewhere")
    r = client.post(f"/admin/meetings/{meeting}/change", data=data)
    assert r.status_code == 400 and "is cancelled" in r.text


def test_the_viewer_reads_without_addresses_and_may_post_nothing(ctx, as_role):
    secretariat = as_role("secretariat")
    meeting = create(ctx, secretariat)
    viewer = as_role("viewer")
    page = viewer.get(f"/admin/meetings/{meeting}").text
    assert "Amina Yusuf" in page and "+254" not in page and "to hidden" in page
    assert "Cancel this meeting" not in page and "/change" not in page
    assert "Create a meeting" not in viewer.get("/admin/meetings").text
    token = csrf_of(page)
    for path in ("/admin/meetings", f"/admin/meetings/{meeting}/change", f"/admin/meetings/{meeting}/cancel"):
        data = form(ctx, secretariat) | {"csrf_token": token, "confirm": "yes"}
        assert viewer.post(path, data=data).status_code == 403
    for path in ("/admin/meetings/new", f"/admin/meetings/{meeting}/change"):
        assert viewer.get(path).status_code == 403
    assert count(ctx, Meeting) == 1 and count(ctx, Meeting, Meeting.status == "cancelled") == 0
    exported = viewer.get(f"/admin/exports/attendance.csv?meeting={meeting}")
    assert exported.status_code == 200 and "+254" not in exported.text and "phone" not in exported.text


def test_a_post_without_the_csrf_token_is_refused(ctx, as_role):
    client = as_role("secretariat")
    data = form(ctx, client)
    del data["csrf_token"]
    assert client.post("/admin/meetings", data=data).status_code == 403
    assert client.post("/admin/meetings", data=data | {"csrf_token": "forged"}).status_code == 403
    assert count(ctx, Meeting) == 0
    meeting = create(ctx, client)
    assert client.post(f"/admin/meetings/{meeting}/cancel", data={"confirm": "yes"}).status_code == 403
    assert client.post(f"/admin/meetings/{meeting}/change", data=data).status_code == 403
    assert count(ctx, Meeting, Meeting.status == "cancelled") == 0 and len(audited(ctx, "meeting_changed")) == 0


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"date": "2020-01-06"}, "date", "has passed: give a date and time in the future"),
        ({"date": "next tuesday"}, "date", "Give the date as YYYY-MM-DD"),
        ({"time": "25:99"}, "time", "Give the time as HH:MM"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a time zone from the list"),
        ({"institution": []}, "institutions", "Choose at least one institution to invite."),
        ({"institution": ["999999", "x"]}, "institutions", "is not in the roster"),
        ({"observer": ["'; drop table person"]}, "observers", "is not in the roster"),
        ({"title": "  "}, "title", "Give the meeting a title."),
        ({"place": ""}, "place", "Give a venue, or a link"),
        ({"cluster": "NOPE"}, "cluster", "Choose a cluster from the list"),
        ({"agenda": "\n".join(f"item {n}" for n in range(40))}, "agenda", "An agenda has at most 30 items"),
    ],
)
def test_invalid_input_gives_a_400_with_the_message_and_creates_nothing(ctx, as_role, changes, field, message):
    client = as_role("secretariat")
    r = client.post("/admin/meetings", data=form(ctx, client, **({"title": "Revue du cluster"} | changes)))
    assert r.status_code == 400
    assert message in r.text and f'id="{field}-error"' in r.text
    if "title" not in changes:
        assert 'value="Revue du cluster"' in r.text  # what was typed is shown again
    assert count(ctx, Meeting) == 0 and count(ctx, Invitation) == 0 and count(ctx, OutboxMessage) == 0
    assert audited(ctx, "meeting_created") == []


def test_pagination_and_nonsense_in_the_address(ctx, as_role):
    now = datetime.now(UTC)
    with ctx.db.transaction() as s:
        for n in range(51):
            service.create(
                s, title=f"Meeting number {n}", starts_at=now + timedelta(days=1, hours=n), place="Room 1", now=now
            )
        service.create(s, title="Long ago", starts_at=now + timedelta(seconds=1), place="Room 2", now=now)
    time.sleep(1.2)  # "Long ago" has started: a past meeting
    client = as_role("viewer")
    past = client.get("/admin/meetings?when=past").text
    assert "Long ago" in past and "Meeting number" not in past
    first = client.get("/admin/meetings?when=upcoming").text
    assert "Long ago" not in first
    assert first.count("Meeting number") == 50 and "Next page" in first and "Meeting number 50" not in first
    second = client.get("/admin/meetings?page=2").text
    assert second.count("Meeting number") == 1 and "Meeting number 50" in second and "Previous page" in second
    for query in ("page=abc", "page=-3", "page=99999999999999999999", "when=%3Cscript%3E", "page=0&when=zzz"):
        r = client.get(f"/admin/meetings?{query}")
        assert r.status_code == 200 and "<script>" not in r.text
    assert "Meeting number" not in client.get("/admin/meetings?page=9999").text
    for path in ("/admin/meetings/abc", "/admin/meetings/99999999999999999999", "/admin/meetings/424242"):
        assert client.get(path).status_code == 404
    assert client.get("/admin/exports/attendance.csv?meeting=abc").status_code == 400
    assert client.get("/admin/exports/attendance.csv?meeting=424242").status_code == 404


def test_the_attendance_export_guards_formulas_and_shows_phones_to_the_secretariat(ctx, as_role):
    client = as_role("secretariat")
    meeting = create(ctx, client, title='=HYPERLINK("http://evil.example","x")')
    ctx.dispatcher.start()
    assert ctx.dispatcher.wait_idle(15)
    say(ctx, client, GRACE, "YES", 1)
    r = client.get(f"/admin/exports/attendance.csv?meeting={meeting}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert {row["person"]: row["answer"] for row in rows} == {
        "Amina Yusuf": "no reply",
        "Grace Wanjiru": "confirmed",
        "Hassan Odhiambo": "no reply",
    }
    grace = next(row for row in rows if row["person"] == "Grace Wanjiru")
    assert grace["role"] == "invitee" and grace["answered_at"].endswith("UTC") and grace["phone"] == "'" + GRACE
    assert next(row for row in rows if row["person"] == "Hassan Odhiambo")["role"] == "observer"
    assert all(row["title"].startswith("'=") for row in rows)
    assert all(row["starts"] == f"{NEXT_WEEK} 10:00 {ZONE}" for row in rows)
    everything = client.get("/admin/exports/attendance.csv")
    assert everything.status_code == 200 and len(list(csv.reader(io.StringIO(everything.text)))) == 4


def test_the_pages_are_light_and_keep_to_the_content_security_policy(ctx, as_role):
    client = as_role("secretariat")
    meeting = create(ctx, client)
    for path in (
        "/admin/meetings",
        "/admin/meetings/new",
        f"/admin/meetings/{meeting}",
        f"/admin/meetings/{meeting}/change",
    ):
        html = client.get(path).text
        assert "style=" not in html and "<script" not in html, path
        assert len(gzip.compress(html.encode())) < 60_000, path
