"""Fixtures for the secretariat's pages: the product with the demo data, its users, and a
signed-in client per role (through the real sign-in form)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from backend.accounts import users
from backend.app import create_app
from tests.conftest import import_demo, running_context, settings_for

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "secretariat", "viewer")


def add_user(ctx, username: str, role: str, password: str = PASSWORD) -> None:
    with ctx.db.transaction() as db:
        users.create(db, username=username, password=password, role=role, now=datetime.now(UTC))


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def login_token(client) -> str:
    """The sign-in form's token, as a browser gets it (its cookie comes with it). A browser
    already signed in is sent on from the sign-in page, so its session cookie is left out of that
    one request (and kept for the sign-in itself)."""
    jar = client.cookies.jar
    kept = [c for c in jar if c.name == "nmirf_session"]
    for cookie in kept:
        jar.clear(cookie.domain, cookie.path, cookie.name)
    page = client.get("/admin/login")
    for cookie in kept:
        jar.set_cookie(cookie)
    found = re.search(r'name="login_token" value="([^"]+)"', page.text)
    assert found, "no sign-in token on the sign-in page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, next: str = "/admin/"):
    data = {"username": username, "password": password, "next": next, "login_token": login_token(client)}
    return client.post("/admin/login", data=data)


@contextmanager
def admin_site(database_url: str, **overrides):
    """The app with the demo roster, recommendations and actions and one user per role
    (admin, secretariat, viewer); yields (ctx, app)."""
    with running_context(settings_for(database_url, **overrides)) as ctx:
        import_demo(ctx)
        for role in ROLES:
            add_user(ctx, role, role)
        yield ctx, create_app(ctx)


@pytest.fixture
def site(sqlite_url):
    with admin_site(sqlite_url) as pair:
        yield pair


@pytest.fixture
def as_role(site):
    """as_role("viewer") -> a TestClient signed in as that role (base URL https, so cookies are Secure)."""
    ctx, app = site
    clients = []

    def make(role: str) -> TestClient:
        client = TestClient(app, base_url="https://testserver")
        client.__enter__()
        clients.append(client)
        r = sign_in(client, role)
        assert r.status_code in (200, 303), r.text
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
