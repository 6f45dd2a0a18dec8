"""The message log through the real page: inbound and outbound together, newest first, with
filters, pages, one message at a time, what a viewer may not see, and a prompt that failed
over from Telegram to SMS (the fake Telegram and Twilio servers) showing both routes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app import create_app
from backend.cli.prompts import send_weekly_now
from backend.inbox.models import InboxMessage
from backend.outbox.models import OutboxMessage
from backend.outbox.start import queue_outbound
from backend.roster.models import Person
from tests.admin.conftest import ROLES, add_user, sign_in
from tests.admin.test_roster_pages import AMINA, DEMO_PHONES, say
from tests.backend.helpers import wait_until
from tests.backend.twilio_setup import AMINA_TG, load, twilio_settings
from tests.conftest import running_context
from tests.fakes.twilio_api import FakeTwilioAPI


def ids_on(html: str) -> list[str]:
    return re.findall(r'href="/admin/messages\?(?:inbound|outbound)=(\d+)"', html)


def test_inbound_and_the_answer_newest_first_bodies_for_the_secretariat(site, as_role):
    ctx, _ = site
    say(ctx, AMINA, "HELP", "m1")
    with ctx.db.transaction() as db:
        inbox = db.scalars(select(InboxMessage)).one()
        reply = db.scalars(select(OutboxMessage)).one()
    assert reply.in_reply_to == inbox.id
    html = as_role("secretariat").get("/admin/messages").text
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 2
    assert f"outbound={reply.id}" in rows[0] and f"inbound={inbox.id}" in rows[1]  # the answer is newer
    assert "HELP" in rows[1] and AMINA in rows[1] and "Amina Yusuf" in rows[1]
    assert reply.text[:30].replace("'", "&#39;") in rows[0]
    assert f'href="/admin/roster?person={inbox.person_id}"' in rows[1]


def test_viewer_sees_no_body_and_no_address(site, as_role):
    ctx, _ = site
    say(ctx, AMINA, "1D my private note", "m1")
    client = as_role("viewer")
    with ctx.db.transaction() as db:
        inbox_id = db.scalar(select(InboxMessage.id))
        out_id = db.scalar(select(OutboxMessage.id))
    for path in ("/admin/messages", f"/admin/messages?inbound={inbox_id}", f"/admin/messages?outbound={out_id}"):
        html = client.get(path).text
        assert "my private note" not in html and "hidden" in html, path
        for phone in DEMO_PHONES:
            assert phone not in html and phone[1:] not in html, (path, phone)


def test_one_message_at_a_time(site, as_role):
    ctx, _ = site
    say(ctx, AMINA, "HELP", "m1")
    with ctx.db.transaction() as db:
        inbox_id = db.scalar(select(InboxMessage.id))
        out_id = db.scalar(select(OutboxMessage.id))
    client = as_role("secretariat")
    inbound = client.get(f"/admin/messages?inbound={inbox_id}")
    assert inbound.status_code == 200 and f"Inbound message {inbox_id}" in inbound.text
    assert f'href="/admin/messages?outbound={out_id}"' in inbound.text  # the answer, linked
    outbound = client.get(f"/admin/messages?outbound={out_id}").text
    assert f'href="/admin/messages?inbound={inbox_id}"' in outbound and "Route tried, in order" in outbound
    for query, status in (
        ("inbound=999999", 404),
        ("outbound=999999", 404),
        ("inbound=abc", 400),
        ("outbound=-1", 400),
    ):
        r = client.get("/admin/messages?" + query)
        assert r.status_code == status and "Not possible" in r.text, query


def test_filters(site, as_role):
    ctx, _ = site
    say(ctx, AMINA, "HELP", "m1")
    say(ctx, "+254722000003", "HELP", "m2")  # Grace
    with ctx.db.transaction() as db:
        grace = db.scalar(select(Person.id).where(Person.name == "Grace Wanjiru"))
        replies = db.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).all()
        inbox = db.scalars(select(InboxMessage.id).order_by(InboxMessage.id)).all()
    client = as_role("secretariat")

    def shown(query: str) -> list[str]:
        r = client.get("/admin/messages?" + query)
        assert r.status_code == 200, (query, r.text)
        return ids_on(r.text.split("<tbody>")[1])

    assert len(shown("")) == 4
    assert shown("direction=in") == [str(i) for i in reversed(inbox)]
    assert shown("direction=out&kind=reply") == [str(i) for i in reversed(replies)]
    assert len(shown("person=grace")) == 2 and len(shown(f"person={grace}")) == 2
    assert shown("person=nobody%25") == [] and shown("channel=telegram") == []
    assert len(shown("channel=simulator&status=done")) == 2  # inbound rows handled
    assert len(shown("status=queued")) == 2  # the answers (no worker runs in this test)
    assert shown("kind=weekly_prompt") == []
    for query in ("channel=pigeon", "status=lost", "direction=sideways", "kind=DROP%20TABLE", "person=" + "x" * 300):
        r = client.get("/admin/messages?" + query)
        assert r.status_code == 400 and "Not possible" in r.text, query
    assert client.get("/admin/messages?page=abc").status_code == 200


def test_pages_of_fifty(site, as_role):
    ctx, _ = site
    now = datetime.now(UTC)
    with ctx.db.transaction() as db:
        amina = db.scalar(select(Person).where(Person.phone == AMINA))
        for n in range(60):
            queue_outbound(
                db,
                key=f"note-{n}",
                channel="simulator",
                address=AMINA,
                text=f"note {n}",
                kind="alert",
                now=now,
                person_id=amina.id,
            )
    client = as_role("viewer")
    first = client.get("/admin/messages?kind=alert").text
    assert len(ids_on(first)) == 50 and "kind=alert&amp;page=2" in first and "Previous page" not in first
    second = client.get("/admin/messages?kind=alert&page=2").text
    assert len(ids_on(second)) == 10 and "Next page" not in second and "Previous page" in second
    assert set(ids_on(first)).isdisjoint(ids_on(second))
    assert client.get("/admin/messages?page=3").status_code == 200


@pytest.fixture
def failover(sqlite_url, fake_telegram, tmp_path):
    """Amina on Telegram then SMS (the fake Bot API and the fake Twilio API), jobs running."""
    with FakeTwilioAPI() as twilio:
        with running_context(twilio_settings(sqlite_url, fake_telegram, twilio)) as ctx:
            load(ctx, tmp_path)
            for role in ROLES:
                add_user(ctx, role, role)
            with TestClient(create_app(ctx, run_jobs=True), base_url="https://testserver") as client:
                yield ctx, client, fake_telegram, twilio


def test_a_prompt_that_failed_over_from_telegram_to_sms_shows_both_routes(failover):
    ctx, client, telegram, twilio = failover
    telegram.block_chat(AMINA_TG)
    send_weekly_now(ctx, AMINA)

    def sent():
        with ctx.db.transaction() as db:
            row = db.scalars(select(OutboxMessage)).one()
            return row if row.status == "sent" else None

    row = wait_until(sent, timeout=20, message="the prompt sent by SMS")
    assert row.channel == "sms" and row.route[0]["channel"] == "telegram"
    sign_in(client, "secretariat")
    listing = client.get("/admin/messages").text
    line = listing.split(f"outbound={row.id}")[1].split("</tr>")[0]
    assert "telegram (failed)</span> → sms" in line and "<td>sent</td>" in line
    assert re.search(r'<td class="num">1</td>', line)  # one SMS segment
    detail = client.get(f"/admin/messages?outbound={row.id}").text
    route = detail.split("Route tried, in order")[1].split("</table>")[0]
    assert route.index("telegram") < route.index("sms") and "failed:" in route and "blocked" in route
    assert str(AMINA_TG) in route and AMINA in route
    assert (
        client.get("/admin/messages?channel=sms&status=sent&kind=weekly_prompt").text.count(f"outbound={row.id}") == 1
    )
    # the viewer sees the route, not the addresses
    sign_in(client, "viewer")
    viewed = client.get(f"/admin/messages?outbound={row.id}").text
    assert "telegram" in viewed and "sms" in viewed and AMINA not in viewed and str(AMINA_TG) not in viewed
