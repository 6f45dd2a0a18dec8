"""Fixtures for the admin pages in a real headless Chromium: the product served by a real uvicorn
in a thread (on a free loopback port, over a fresh SQLite database with the demo data and one
user per role), Debian's chromium driven by Playwright through `executable_path` (Playwright's
own browser download is not used), and axe-core from the `axe-playwright-python` package
(nothing is fetched at run time).

One server and one browser per test module (scope="module"), so the tests stay quick. Outside CI
a missing chromium skips them; in CI (CI=true) it fails them (`bash deploy/test.sh` installs it)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn

from tests.admin.conftest import PASSWORD, admin_site

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"  # gitignored (/var/)
SERIOUS = ("serious", "critical")

# The page listens for CSP violations itself too (an init script runs through the DevTools
# protocol, so our CSP, which forbids inline scripts, does not apply to it).
CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
"""


def chromium_path() -> str:
    path = os.environ.get("NMIRF_CHROMIUM", "/usr/bin/chromium")
    if os.access(path, os.X_OK):
        return path
    if os.environ.get("CI"):
        pytest.fail(f"no chromium at {path}: run the suite with `bash deploy/test.sh` (it installs it)")
    pytest.skip(f"no chromium at {path} (apt-get install chromium, or run `bash deploy/test.sh`)")


@contextmanager
def serve(app) -> Iterator[str]:
    """`app` served by uvicorn in a thread on a free loopback port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class LiveSite:
    ctx: object
    url: str


@pytest.fixture(scope="module")
def live_site(sqlite_template, tmp_path_factory) -> Iterator[LiveSite]:
    path = tmp_path_factory.mktemp("browser") / "nmirf.db"
    shutil.copy(sqlite_template, path)
    with admin_site(f"sqlite:///{path}") as (ctx, app), serve(app) as url:
        yield LiveSite(ctx, url)


@pytest.fixture(scope="module")
def chromium():
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """A page and what went wrong on it: console errors, uncaught exceptions, failed requests,
    CSP violations."""

    page: object
    problems: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        try:
            return list(self.page.evaluate("window.__csp || []"))  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - JavaScript switched off: the console still tells
            return []

    def all_problems(self) -> list[str]:
        return self.problems + [f"CSP violation: {v}" for v in self.csp_violations()]


def _console(watched: Watched, message) -> None:
    # The browser asks every new origin for /favicon.ico by itself; the product has none (yet),
    # and that 404 is no fault of the page being checked.
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        watched.problems.append(f"console error: {message.text} ({message.location.get('url')})")


def watch(page) -> Watched:
    watched = Watched(page)
    page.add_init_script(CSP_LISTENER)
    page.on("console", lambda m: _console(watched, m))
    page.on("pageerror", lambda e: watched.problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: watched.problems.append(f"request failed: {r.url} {r.failure}"))
    return watched


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Through the form, as a person does: type into the fields, press the button."""
    page.get_by_label("User name").press_sequentially(username)
    page.get_by_label("Password").press_sequentially(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture(scope="module")
def signed_in(chromium, live_site):
    """A browser context signed in as admin (who sees every page)."""
    context = chromium.new_context(base_url=live_site.url)
    page = context.new_page()
    page.goto("/admin/login")
    sign_in(page, "admin")
    assert page.url.endswith("/admin/"), page.url
    page.close()
    yield context
    context.close()


@pytest.fixture
def tab(signed_in) -> Iterator[Watched]:
    """A fresh, watched page in the signed-in context."""
    page = signed_in.new_page()
    watched = watch(page)
    yield watched
    page.close()


def axe_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now.

    Our CSP (script-src 'self') forbids inline scripts, so page.add_script_tag(path=...), which
    inlines the file's content in a <script>, would be refused. axe.min.js goes in instead through
    page.evaluate of the file's content (the Axe class of axe-playwright-python does just that):
    the DevTools protocol is not bound by the page's CSP, so axe runs on the page with the CSP in
    force, no bypass_csp needed, and the page's own CSP listener stays quiet (checked)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in results["violations"]
        if v.get("impact") in SERIOUS
    ]
