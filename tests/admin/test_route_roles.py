"""Every route of the app, as anonymous, viewer, secretariat and admin, against a table of the
status codes each must answer. The table is the review point: a new route fails
`test_the_table_names_every_route_and_only_those` until a row is written for it.

Path parameters are real ids (a meeting, a broadcast, messages, progress updates made through
the services first); POST routes get a minimal valid form and, for the signed-in roles, a valid
CSRF token. Also: CSRF missing or wrong on every POST route, session fixation, a replayed cookie
after logout, a disabled user's open session, and the simulator's routes absent when it is off.
The API's tokens (none, revoked, valid) are tested in test_api.py; here only that a session
cookie does not open the API and a token does not open the pages."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.routing import Mount

from backend.accounts import sessions, users
from backend.accounts.models import AuditEntry
from backend.broadcast import service as broadcast_service
from backend.catalog.models import Action, Cluster, Recommendation
from backend.cli.meetings import create_and_invite
from backend.inbox.models import InboxMessage
from backend.outbox.models import OutboxMessage
from backend.progress import service as progress
from backend.roster.models import Institution, Person
from tests.admin.conftest import PASSWORD, add_user, admin_site, csrf_of, sign_in
from tests.admin.test_api import bearer, new_token, report
from tests.admin.test_roster_pages import say
from tests.conftest import DEMO

try:  # FastAPI >= 0.16x keeps included routers as one route each; this walks them
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI: app.routes is already flat
    iter_route_contexts = None

ROLES = ("anonymous", "viewer", "secretariat", "admin")
AMINA = "+254700000001"  # demo roster, on the simulator channel
NEW_PASSWORD = "another long pass phrase"

# (method, path as the app declares it) -> status for (anonymous, viewer, secretariat, admin).
# Pages: anonymous 303 to /admin/login. POSTs: anonymous 403 (the CSRF check comes first and
# there is no session to hold a token), viewer 403 except on their own session (logout,
# password). Webhooks answer alike whoever asks: the channel's signature decides.
TABLE: dict[tuple[str, str], tuple[int, int, int, int]] = {
    # signing in and out, one's own password (every signed-in role)
    ("GET", "/admin/login"): (200, 303, 303, 303),  # signed in: on to the overview
    ("GET", "/admin/password"): (303, 200, 200, 200),
    ("GET", "/admin/settings"): (303, 200, 200, 200),  # one's own language and time zone
    # pages every role reads
    ("GET", "/admin/"): (303, 200, 200, 200),
    ("GET", "/admin/progress"): (303, 200, 200, 200),
    ("GET", "/admin/progress/action/{action_id}"): (303, 200, 200, 200),
    ("GET", "/admin/progress/recommendation/{recommendation_id}"): (303, 200, 200, 200),
    ("GET", "/admin/progress/community"): (303, 200, 200, 200),
    ("GET", "/admin/meetings"): (303, 200, 200, 200),
    ("GET", "/admin/meetings/{meeting_id}"): (303, 200, 200, 200),
    ("GET", "/admin/roster"): (303, 200, 200, 200),
    ("GET", "/admin/messages"): (303, 200, 200, 200),
    ("GET", "/admin/broadcast"): (303, 200, 200, 200),
    ("GET", "/admin/broadcast/history"): (303, 200, 200, 200),
    ("GET", "/admin/broadcast/{broadcast_id:int}"): (303, 200, 200, 200),
    # exports (the viewer's have no phone numbers: tested with each export)
    ("GET", "/admin/exports/progress.csv"): (303, 200, 200, 200),
    ("GET", "/admin/exports/attendance.csv"): (303, 200, 200, 200),
    ("GET", "/admin/exports/roster.csv"): (303, 200, 200, 200),
    # forms for changes: admin and secretariat
    ("GET", "/admin/meetings/new"): (303, 403, 200, 200),
    ("GET", "/admin/meetings/{meeting_id}/change"): (303, 403, 200, 200),
    ("GET", "/admin/simulator"): (303, 403, 200, 200),
    # admins only
    ("GET", "/admin/users"): (303, 403, 403, 200),
    ("GET", "/admin/audit"): (303, 403, 403, 200),
    ("GET", "/api/docs"): (303, 403, 403, 200),
    ("GET", "/api/openapi.json"): (303, 403, 403, 200),
    # the JSON API: a bearer token, never a session cookie
    ("GET", "/api/v1/progress"): (401, 401, 401, 401),
    ("GET", "/api/v1/actions"): (401, 401, 401, 401),
    ("GET", "/api/v1/recommendations"): (401, 401, 401, 401),
    ("GET", "/api/v1/meetings"): (401, 401, 401, 401),
    # open to all: probes, the stylesheet, the simulator's phone side (only when it is on)
    ("GET", "/healthz"): (200, 200, 200, 200),
    ("GET", "/readyz"): (200, 200, 200, 200),
    ("GET", "/admin/static/{path}"): (200, 200, 200, 200),
    ("GET", "/simulator/messages"): (200, 200, 200, 200),
    # webhooks: without the provider's signature, refused
    ("POST", "/webhooks/telegram"): (403, 403, 403, 403),
    ("POST", "/webhooks/twilio/sms"): (403, 403, 403, 403),
    ("POST", "/webhooks/twilio/status"): (403, 403, 403, 403),
    ("POST", "/webhooks/twilio/whatsapp"): (403, 403, 403, 403),
    ("POST", "/webhooks/simulator"): (200, 200, 200, 200),  # no signature: why it is off by default
    # changes: admin and secretariat
    ("POST", "/admin/login"): (403, 403, 403, 403),  # without the sign-in form's own token (test_signin.py)
    ("POST", "/admin/broadcast"): (403, 403, 200, 200),
    ("POST", "/admin/broadcast/preview"): (403, 403, 200, 200),
    ("POST", "/admin/broadcast/send"): (403, 403, 303, 303),
    ("POST", "/admin/meetings"): (403, 403, 303, 303),
    ("POST", "/admin/meetings/{meeting_id}/change"): (403, 403, 303, 303),
    ("POST", "/admin/meetings/{meeting_id}/cancel"): (403, 403, 303, 303),
    ("POST", "/admin/roster/import"): (403, 403, 200, 200),
    ("POST", "/admin/simulator"): (403, 403, 303, 303),
    # admins only
    ("POST", "/admin/users"): (403, 403, 403, 303),
    ("POST", "/admin/users/{username}"): (403, 403, 403, 303),
    # one's own settings and session: every signed-in role (last: they replace or end the session)
    ("POST", "/admin/settings"): (403, 303, 303, 303),
    ("POST", "/admin/password"): (403, 303, 303, 303),
    ("POST", "/admin/logout"): (403, 303, 303, 303),
}
# Absent (404 for everyone) when SIMULATOR_ENABLED is false.
SIMULATOR = {
    ("POST", "/webhooks/simulator"),
    ("GET", "/simulator/messages"),
    ("GET", "/admin/simulator"),
    ("POST", "/admin/simulator"),
}
WEBHOOKS = {key for key in TABLE if key[1].startswith("/webhooks/")}
NO_CSRF = WEBHOOKS | {("POST", "/admin/login")}  # signed by the provider; the sign-in form itself


# ---------------------------------------------------------------- the app's routes


def _flat(routes) -> Iterator[tuple[str, set[str] | None, object]]:
    """(path, methods, route) of every route, included routers walked."""
    if iter_route_contexts is None:  # pragma: no cover
        for route in routes:
            yield route.path, getattr(route, "methods", None), route
        return
    for rc in iter_route_contexts(routes):
        yield rc.path, rc.methods, rc.original_route


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route of the app, mounted applications included (a mount of
    static files counts as GET <mount>/{path})."""
    found: set[tuple[str, str]] = set()

    def walk(routes, prefix: str) -> None:
        for path, methods, route in _flat(routes):
            if isinstance(route, Mount):
                inner = getattr(route.app, "routes", None)
                if inner is None:
                    found.add(("GET", prefix + route.path + "/{path}"))
                else:
                    walk(inner, prefix + route.path)
                continue
            for method in methods or {"GET"}:
                if method != "HEAD":
                    found.add((method, prefix + path))

    walk(app.routes, "")
    return found


# ---------------------------------------------------------------- data for the pages


def populate(ctx) -> dict[str, str]:
    """Progress updates, a community report, a meeting with invitations, messages both ways, a
    broadcast and a user to change, through the product's services. Returns the ids the
    routes' paths and forms need."""
    report(ctx, 8)
    with ctx.db.transaction() as db:
        fatuma = db.scalar(select(Person.id).where(Person.name == "Fatuma Achieng"))
        child = db.scalar(select(Cluster.id).where(Cluster.code == "CHILD"))
        progress.record(
            db,
            action_id=None,
            cluster_id=child,
            person_id=fatuma,
            status="in_progress",
            period="2026-W10",
            now=datetime.now(UTC),
            level="community",
            locality="Kisumu East",
            people_reached=120,
            note="Dialogue forum",
        )
    starts = (datetime.now(UTC) + timedelta(days=6)).strftime("%Y-%m-%d 10:00")
    meeting = create_and_invite(ctx, title="Cluster review", starts=starts, place="Sheria House", invite="all")
    say(ctx, AMINA, "HELP", "roles-1")
    say(ctx, AMINA, "1D", "roles-2")
    now = datetime.now(UTC)
    with ctx.work() as work:
        sent = broadcast_service.send(
            work.session,
            group="leads",
            texts={"en": "The review is on Thursday at 10:00."},
            day=now.date(),
            now=now,
            settings=ctx.settings,
            configured=ctx.configured,
            created_by="secretariat",
        )
        for row in sent.queued:
            work.send(row)
        broadcast_id = sent.broadcast.id
    add_user(ctx, "target", "viewer")
    with ctx.db.transaction() as db:
        return {
            "meeting_id": str(meeting["meeting"]),
            "broadcast_id": str(broadcast_id),
            "action_id": str(db.scalar(select(func.min(Action.id)))),
            "recommendation_id": str(db.scalar(select(func.min(Recommendation.id)))),
            "person": str(db.scalar(select(Person.id).where(Person.phone == AMINA))),
            "inbound": str(db.scalar(select(func.max(InboxMessage.id)))),
            "outbound": str(db.scalar(select(func.max(OutboxMessage.id)))),
            "institution": str(db.scalar(select(Institution.id).where(Institution.short_name == "MOJ"))),
            "username": "target",
            "path": "style.css",
        }


def url_of(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + ":int}", value).replace("{" + name + "}", value)
    assert "{" not in path, f"no id for {path}: add one to populate()"
    return path


QUERY = {  # what a link to the page would carry
    ("GET", "/admin/exports/attendance.csv"): lambda ids: {"meeting": ids["meeting_id"]},
    ("GET", "/simulator/messages"): lambda ids: {"phone": AMINA},
}


def form_for(key: tuple[str, str], ids: dict[str, str], role: str) -> dict:
    """Keyword arguments for client.request: a minimal valid form (or body) for the route."""
    method, path = key
    day = (datetime.now(UTC) + timedelta(days=8)).date().isoformat()
    meeting = {"title": "Cluster review", "date": day, "time": "11:00", "timezone": "Africa/Nairobi"}
    meeting["place"] = "Sheria House, room 2"
    broadcast = {"kind": "leads", "text_en": "The review moves to 11:00."}
    forms = {
        "/webhooks/simulator": {"json": {"from": AMINA, "text": "HELP", "id": f"roles-{role}"}},
        "/webhooks/telegram": {"json": {"update_id": 1}},
        "/webhooks/twilio/sms": {"data": {"From": AMINA, "Body": "HELP", "MessageSid": "SM1"}},
        "/webhooks/twilio/whatsapp": {"data": {"From": "whatsapp:" + AMINA, "Body": "HELP", "MessageSid": "SM2"}},
        "/webhooks/twilio/status": {"data": {"MessageSid": "SM3", "MessageStatus": "delivered"}},
        "/admin/login": {
            "data": {"username": "viewer", "password": "not the password", "next": "/admin/"}
            if role == "anonymous"
            else {"username": role, "password": PASSWORD, "next": "/admin/"}
        },
        "/admin/logout": {"data": {}},
        "/admin/settings": {"data": {"language": "en", "timezone": "Africa/Nairobi"}},
        "/admin/password": {"data": {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}},
        "/admin/users": {"data": {"username": "newcomer", "password": PASSWORD, "role": "viewer"}},
        "/admin/users/{username}": {"data": {"change": "disable"}},
        "/admin/broadcast": {"data": broadcast},
        "/admin/broadcast/preview": {"data": broadcast},
        "/admin/broadcast/send": {"data": broadcast | {"confirmation": secrets.token_urlsafe(24)}},
        "/admin/meetings": {"data": meeting | {"institution": [ids["institution"]]}},
        "/admin/meetings/{meeting_id}/change": {"data": meeting},
        "/admin/meetings/{meeting_id}/cancel": {"data": {"confirm": "yes"}},
        "/admin/roster/import": {"data": {}, "files": {"file": ("roster.csv", (DEMO / "roster.csv").read_bytes())}},
        "/admin/simulator": {"data": {"person": ids["person"], "text": "HELP"}},
    }
    if method == "GET":
        return {"params": QUERY[key](ids)} if key in QUERY else {}
    assert path in forms, f"no form for POST {path}: add one to form_for()"
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in forms[path].items()}


def call(client: TestClient, key: tuple[str, str], ids: dict[str, str], role: str, token: str | None):
    """One request to the route; `token` is put in the form (or None: no csrf_token at all)."""
    method, path = key
    kwargs = form_for(key, ids, role)
    if method == "POST" and key not in WEBHOOKS and token is not None:
        kwargs["data"]["csrf_token"] = token
    return client.request(method, url_of(path, ids), follow_redirects=False, **kwargs)


def plant(client: TestClient, value: str) -> None:
    """The session cookie as the browser holds it after the server set it (one per host)."""
    client.cookies.delete(sessions.COOKIE)
    client.cookies.set(sessions.COOKIE, value, domain="testserver.local")


def fresh_token(client: TestClient) -> str:
    return csrf_of(client.get("/admin/password").text)


@pytest.fixture
def populated(sqlite_url):
    with admin_site(sqlite_url) as (ctx, app):
        yield ctx, app, populate(ctx)


def client_for(app, role: str) -> TestClient:
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    if role != "anonymous":
        assert sign_in(client, role).status_code == 200
    return client


# ---------------------------------------------------------------- the table


def test_the_table_names_every_route_and_only_those(site):
    _ctx, app = site
    routes = app_routes(app)
    missing = sorted(routes - TABLE.keys())
    assert not missing, f"routes with no row in TABLE (add one, with the status per role): {missing}"
    gone = sorted(TABLE.keys() - routes)
    assert not gone, f"rows in TABLE for routes the app does not have: {gone}"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_as_the_table_says(populated, role):
    ctx, app, ids = populated
    column = ROLES.index(role)
    wrong = []
    with client_for(app, role) as client:
        for key, statuses in TABLE.items():
            token = fresh_token(client) if key[0] == "POST" and role != "anonymous" else None
            r = call(client, key, ids, role, token)
            expected = statuses[column]
            if r.status_code != expected:
                wrong.append(f"{key[0]} {key[1]}: {r.status_code}, expected {expected}: {r.text[:200]!r}")
            elif role == "anonymous" and r.status_code == 303:
                assert r.headers["location"].startswith("/admin/login?next=/"), key
            if key == ("POST", "/admin/password") and role != "anonymous":  # later sign-ins use it
                assert r.status_code == 303
    assert not wrong, "\n".join(wrong)
    assert all(500 not in statuses for statuses in TABLE.values())


def test_the_simulator_routes_are_absent_when_it_is_off(sqlite_url):
    """A second app, SIMULATOR_ENABLED false: the table without the simulator's rows, and those
    answer 404 to every role (beside test_simulator_door.py's checks)."""
    with admin_site(sqlite_url, simulator_enabled=False) as (ctx, app):
        assert app_routes(app) == TABLE.keys() - SIMULATOR
        ids = {"person": "1", "institution": "1"}
        for role in ROLES:
            with client_for(app, role) as client:
                for key in sorted(SIMULATOR):
                    token = fresh_token(client) if key[0] == "POST" and role != "anonymous" else None
                    r = call(client, key, ids, role, token)
                    assert r.status_code == 404, (role, key, r.status_code)
        with ctx.db.transaction() as db:
            assert db.scalar(select(func.count()).select_from(InboxMessage)) == 0


# ---------------------------------------------------------------- CSRF


def audit_count(ctx) -> int:
    with ctx.db.transaction() as db:
        return db.scalar(select(func.count()).select_from(AuditEntry))


def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(populated):
    ctx, app, ids = populated
    posts = [key for key in TABLE if key[0] == "POST" and key not in NO_CSRF]
    with client_for(app, "secretariat") as other, client_for(app, "admin") as admin:
        someone_elses = fresh_token(other)  # valid, but for another session
        own = fresh_token(admin)
        before = audit_count(ctx)
        for key in posts:
            for token in (None, "", "forged", someone_elses, own[:-1], own + "x"):
                r = call(admin, key, ids, "admin", token)
                assert r.status_code == 403, (key, token, r.status_code, r.text[:200])
            r = admin.request(
                key[0], url_of(key[1], ids), headers={"X-CSRF-Token": someone_elses}, **form_for(key, ids, "admin")
            )
            assert r.status_code == 403, (key, "header")
        assert audit_count(ctx) == before  # nothing was done
        assert admin.get("/admin/", follow_redirects=False).status_code == 200  # still signed in


# ---------------------------------------------------------------- sessions


def test_a_session_id_planted_before_sign_in_is_not_the_session_after(populated):
    ctx, app, _ids = populated
    with TestClient(app, base_url="https://testserver") as victim:
        plant(victim, "chosen-by-the-attacker")
        assert sign_in(victim, "admin").status_code == 200
        assert victim.cookies.get(sessions.COOKIE) != "chosen-by-the-attacker"
    with TestClient(app, base_url="https://testserver") as attacker:
        plant(attacker, "chosen-by-the-attacker")
        assert attacker.get("/admin/", follow_redirects=False).status_code == 303

    # A real session of the attacker's own (viewer), planted in the victim's browser: after the
    # victim (admin) signs in, the planted id is still only the attacker's viewer session.
    with TestClient(app, base_url="https://testserver") as attacker:
        assert sign_in(attacker, "viewer").status_code == 200
        planted = attacker.cookies.get(sessions.COOKIE)
        with TestClient(app, base_url="https://testserver") as victim:
            plant(victim, planted)
            assert sign_in(victim, "admin").status_code == 200
            assert victim.cookies.get(sessions.COOKIE) != planted
            assert victim.get("/admin/users").status_code == 200
        assert attacker.get("/admin/users").status_code == 403


def reader_pages() -> list[tuple[str, str]]:
    return [key for key, statuses in TABLE.items() if key[0] == "GET" and statuses[0] == 303]


def refused_everywhere(client: TestClient, ids: dict[str, str], token: str) -> list[str]:
    """Every page and every POST route, with the client's cookie and `token`: what was not refused."""
    let_in = []
    for key in reader_pages():
        r = call(client, key, ids, "admin", None)
        if r.status_code != 303 or not r.headers["location"].startswith("/admin/login"):
            let_in.append(f"{key}: {r.status_code}")
    for key in TABLE:
        if key[0] == "POST" and key not in NO_CSRF:
            r = call(client, key, ids, "admin", token)
            if r.status_code != 403:
                let_in.append(f"{key}: {r.status_code}")
    return let_in


def test_logout_then_the_old_cookie_is_refused_on_every_route(populated):
    ctx, app, ids = populated
    with client_for(app, "admin") as client:
        old, token = client.cookies.get(sessions.COOKIE), fresh_token(client)
        before = audit_count(ctx)
        r = client.post("/admin/logout", data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
        plant(client, old)
        assert refused_everywhere(client, ids, token) == []
        assert audit_count(ctx) == before + 1  # the logout, and nothing after it


def test_a_disabled_users_open_session_is_refused_and_stays_ended(populated):
    ctx, app, ids = populated
    with client_for(app, "admin") as client:
        cookie, token = client.cookies.get(sessions.COOKIE), fresh_token(client)
        with ctx.db.transaction() as db:  # another admin disables them (here: the service itself)
            users.set_active(db, users.find(db, "admin"), False)
        assert refused_everywhere(client, ids, token) == []
        with ctx.db.transaction() as db:  # enabled again: the old session does not come back
            users.set_active(db, users.find(db, "admin"), True)
        plant(client, cookie)
        assert client.get("/admin/", follow_redirects=False).status_code == 303
        assert sign_in(client, "admin").status_code == 200  # a new sign-in works


# ---------------------------------------------------------------- the API and the pages


def test_a_session_cookie_does_not_open_the_api_nor_a_token_the_pages(populated):
    ctx, app, _ids = populated
    token = new_token(ctx)
    with client_for(app, "admin") as admin:
        for path in ("/api/v1/progress", "/api/v1/meetings"):
            assert admin.get(path).status_code == 401
            assert admin.get(path, headers=bearer(token)).status_code == 200
    with client_for(app, "anonymous") as anonymous:
        for path in ("/admin/", "/admin/roster", "/admin/exports/roster.csv"):
            r = anonymous.get(path, headers=bearer(token), follow_redirects=False)
            assert r.status_code == 303, path
        r = anonymous.post("/admin/meetings", headers=bearer(token), data={"title": "x"}, follow_redirects=False)
        assert r.status_code == 403
