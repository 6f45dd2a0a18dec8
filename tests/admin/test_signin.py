"""Signing in, sessions, CSRF and security headers, through the real pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from backend.accounts.models import AuditEntry, WebSession
from tests.admin.conftest import PASSWORD, csrf_of, login_token, sign_in


def test_pages_need_a_session(site):
    ctx, app = site
    with TestClient(app, base_url="https://testserver") as client:
        r = client.get("/admin/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/admin/login?next=/admin/"
        for path in ("/admin/users", "/admin/audit", "/admin/password"):
            assert client.get(path, follow_redirects=False).status_code == 303


def test_sign_in_sets_a_safe_cookie_and_a_new_session_each_time(site):
    ctx, app = site
    with TestClient(app, base_url="https://testserver") as client:
        r = sign_in(client, "secretariat")
        assert r.status_code == 200 and "Overview" in r.text
        cookie = r.history[0].headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
        first = client.cookies.get("nmirf_session")
        sign_in(client, "secretariat")
        assert client.cookies.get("nmirf_session") != first
    with ctx.db.transaction() as db:
        # the cookie value is not in the store, only its digest
        assert db.scalar(select(func.count()).select_from(WebSession).where(WebSession.id == first)) == 0


def test_plain_http_cookie_is_not_secure(site):
    ctx, app = site
    with TestClient(app, base_url="http://testserver") as client:
        r = sign_in(client, "viewer")
        assert "Secure" not in r.history[0].headers["set-cookie"]


def test_wrong_password_is_refused_and_audited(site):
    ctx, app = site
    with TestClient(app, base_url="https://testserver") as client:
        r = sign_in(client, "admin", "wrong password here")
        assert r.status_code == 401 and "do not match" in r.text
        assert sign_in(client, "nobody", "wrong password here").status_code == 401
    with ctx.db.transaction() as db:
        actions = [a for (a,) in db.execute(select(AuditEntry.action).order_by(AuditEntry.id))]
    assert actions == ["login_failed", "login_failed"]


def test_logout_needs_csrf_and_ends_the_session(as_role):
    client = as_role("viewer")
    assert client.post("/admin/logout", data={}).status_code == 403
    assert client.post("/admin/logout", data={"csrf_token": "forged"}).status_code == 403
    token = csrf_of(client.get("/admin/").text)
    old = client.cookies.get("nmirf_session")
    assert client.post("/admin/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    client.cookies.set("nmirf_session", old)  # replaying the old cookie does not work
    assert client.get("/admin/", follow_redirects=False).status_code == 303


def test_idle_and_absolute_timeouts(site, as_role):
    ctx, _ = site
    client = as_role("viewer")
    with ctx.db.transaction() as db:
        db.execute(update(WebSession).values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
    assert client.get("/admin/", follow_redirects=False).status_code == 303
    client = as_role("viewer")
    with ctx.db.transaction() as db:
        db.execute(update(WebSession).values(created_at=datetime.now(UTC) - timedelta(hours=13)))
    assert client.get("/admin/", follow_redirects=False).status_code == 303


def test_password_change_ends_every_other_session(site, as_role):
    ctx, _ = site
    laptop, phone = as_role("secretariat"), as_role("secretariat")
    token = csrf_of(laptop.get("/admin/password").text)
    short = laptop.post(
        "/admin/password", data={"csrf_token": token, "current": PASSWORD, "new": "short", "repeat": "short"}
    )
    assert short.status_code == 400 and "12 characters" in short.text
    new = "a much longer pass phrase"
    r = laptop.post("/admin/password", data={"csrf_token": token, "current": PASSWORD, "new": new, "repeat": new})
    assert r.status_code == 200
    assert laptop.get("/admin/", follow_redirects=False).status_code == 200  # this browser goes on
    assert phone.get("/admin/", follow_redirects=False).status_code == 303  # the other is signed out


def test_roles_are_checked_on_the_server(as_role):
    viewer = as_role("viewer")
    assert viewer.get("/admin/users").status_code == 403
    secretariat = as_role("secretariat")
    assert secretariat.get("/admin/users").status_code == 403
    token = csrf_of(secretariat.get("/admin/").text)
    r = secretariat.post(
        "/admin/users", data={"csrf_token": token, "username": "x", "password": PASSWORD, "role": "admin"}
    )
    assert r.status_code == 403
    assert as_role("admin").get("/admin/users").status_code == 200


def test_admin_disables_a_user_and_their_sessions_end(as_role):
    viewer = as_role("viewer")
    admin = as_role("admin")
    token = csrf_of(admin.get("/admin/users").text)
    assert admin.post("/admin/users/viewer", data={"csrf_token": token, "change": "disable"}).status_code == 200
    assert viewer.get("/admin/", follow_redirects=False).status_code == 303
    assert sign_in(viewer, "viewer").status_code == 401
    audit = admin.get("/admin/audit").text
    assert "user_disable" in audit and "login" in audit


def test_security_headers_on_every_answer(site):
    ctx, app = site
    with TestClient(app, base_url="https://testserver") as client:
        for path in ("/admin/login", "/healthz"):
            r = client.get(path)
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "same-origin"


def test_no_open_redirect_after_sign_in(site):
    ctx, app = site
    with TestClient(app, base_url="https://testserver") as client:
        for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
            r = client.post(
                "/admin/login",
                data={"username": "viewer", "password": PASSWORD, "next": target, "login_token": login_token(client)},
                follow_redirects=False,
            )
            assert r.status_code == 303
            assert r.headers["location"].startswith("/") and not r.headers["location"].startswith("//")


def test_fastapi_docs_are_not_open(site):
    ctx, app = site
    with TestClient(app) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404


def test_the_sign_in_form_has_its_own_csrf_token(site):
    """A page elsewhere cannot sign this browser into another account: without the sign-in
    form's token (and its cookie) the right password is refused."""
    ctx, app = site
    with TestClient(app, base_url="https://testserver") as client:
        data = {"username": "viewer", "password": PASSWORD, "next": "/admin/"}
        r = client.post("/admin/login", data=data, follow_redirects=False)
        assert r.status_code == 403 and "expired" in r.text
        token = login_token(client)
        cookie = client.cookies.get("nmirf_login")
        client.cookies.clear()  # a forged post carries the token seen once, but not the cookie
        assert client.post("/admin/login", data=data | {"login_token": token}).status_code == 403
        client.cookies.set("nmirf_login", cookie)
        assert client.post("/admin/login", data=data | {"login_token": token + "x"}).status_code == 403
        r = client.post("/admin/login", data=data | {"login_token": token}, follow_redirects=False)
        assert r.status_code == 303


def test_a_forged_token_of_any_bytes_is_a_403_not_a_500(site, as_role):
    import base64

    client = as_role("viewer")
    odd = base64.urlsafe_b64encode(b"\x00\x80").decode()  # unmasks to a non-ASCII character
    assert client.post("/admin/logout", data={"csrf_token": odd}).status_code == 403
    with TestClient(site[1], base_url="https://testserver") as anonymous:
        anonymous.cookies.set("nmirf_login", "x")
        data = {"username": "viewer", "password": PASSWORD, "login_token": odd}
        assert anonymous.post("/admin/login", data=data).status_code == 403


def test_any_token_name_can_be_revoked_and_used_again(database_url):
    from backend.accounts import tokens
    from backend.accounts.models import ApiToken
    from tests.conftest import running_context, settings_for

    with running_context(settings_for(database_url)) as ctx:
        name = "n" * 80
        for _ in range(2):  # the same long name twice in the same minute
            with ctx.db.transaction() as db:
                secret = tokens.create(db, name=name, now=datetime.now(UTC))
            with ctx.db.transaction() as db:
                tokens.revoke(db, name=name, now=datetime.now(UTC))
            with ctx.db.transaction() as db:
                assert tokens.check(db, secret, datetime.now(UTC)) is None
        with ctx.db.transaction() as db:
            assert all(len(row.name) <= 80 for row in db.scalars(select(ApiToken)))
