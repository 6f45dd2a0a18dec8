"""The simulator is no open door: off unless SIMULATOR_ENABLED, and then in the admin view only
for signed-in admin and secretariat users, acting as a roster person on the simulator channel."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.accounts.models import AuditEntry
from backend.app import create_app
from backend.inbox.models import InboxMessage
from backend.inbox.service import store_inbound
from backend.jobs.process import process_inbound
from bot.message import Address, Channel, ContentKind, InboundMessage
from tests.admin.conftest import admin_site, csrf_of, sign_in
from tests.backend.helpers import wait_until

AMINA = "+254700000001"  # in the demo roster, on the simulator channel


def test_off_by_default_its_routes_do_not_exist(sqlite_url):
    with admin_site(sqlite_url, simulator_enabled=False) as (ctx, app):
        assert "simulator" not in ctx.channels
        with TestClient(app, base_url="https://testserver") as client:
            r = client.post("/webhooks/simulator", json={"from": AMINA, "text": "STATUS", "id": "x1"})
            assert r.status_code == 404
            assert client.get("/simulator/messages", params={"phone": AMINA}).status_code == 404
            sign_in(client, "admin")
            assert client.get("/admin/simulator").status_code == 404
            assert 'href="/admin/simulator"' not in client.get("/admin/").text


def test_off_nobody_is_found_through_a_stored_simulator_row(sqlite_url):
    """Even a row already in the store (from when it was on) finds nobody once it is off."""
    with admin_site(sqlite_url, simulator_enabled=False) as (ctx, _app):
        item = InboundMessage(Address(Channel.SIMULATOR, AMINA), "old-1", ContentKind.TEXT, "1D")
        with ctx.db.transaction() as db:
            inbox_id, _ = store_inbound(db, item, datetime.now(UTC))
        process_inbound(inbox_id)
        with ctx.db.transaction() as db:
            row = db.get(InboxMessage, inbox_id)
            assert row.person_id is None


def test_the_admin_page_talks_as_a_roster_person(sqlite_url):
    with admin_site(sqlite_url) as (ctx, _):
        app = create_app(ctx, run_jobs=True)
        with TestClient(app, base_url="https://testserver") as client:
            sign_in(client, "secretariat")
            page = client.get("/admin/simulator")
            assert "Amina" in page.text
            amina = next(p for p in page.text.split('<option value="')[1:] if "Amina" in p).split('"')[0]
            token = csrf_of(page.text)
            assert client.post("/admin/simulator", data={"person": amina, "text": "HELP"}).status_code == 403
            r = client.post("/admin/simulator", data={"csrf_token": token, "person": amina, "text": "HELP"})
            assert r.status_code == 200

            def answered():
                text = client.get(f"/admin/simulator?person={amina}").text
                return "the bot sent" in text and text

            text = wait_until(answered, message="the bot's answer on the simulator page")
            assert "HELP" in text
            with ctx.db.transaction() as db:
                entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "simulator_message")).one()
                assert entry.username == "secretariat" and "Amina" in entry.detail and "HELP" not in entry.detail


def test_only_admin_and_secretariat_and_only_simulator_people(site, as_role):
    viewer = as_role("viewer")
    assert viewer.get("/admin/simulator").status_code == 403
    admin = as_role("admin")
    token = csrf_of(admin.get("/admin/simulator").text)
    r = admin.post("/admin/simulator", data={"csrf_token": token, "person": "999999", "text": "1D"})
    assert r.status_code == 400 and "not on the simulator channel" in r.text
