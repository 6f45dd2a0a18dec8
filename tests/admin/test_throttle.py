"""Sign-in throttling slows a guesser without locking the real user out."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from backend.accounts import throttle
from tests.admin.conftest import PASSWORD, csrf_of, sign_in


def client_at(app, address: str) -> TestClient:
    return TestClient(app, base_url="https://testserver", client=(address, 40000))


def test_an_address_guessing_one_account_is_made_to_wait(site):
    ctx, app = site
    with client_at(app, "203.0.113.9") as guesser, client_at(app, "198.51.100.7") as owner:
        for _ in range(5):
            assert sign_in(guesser, "secretariat", "wrong guess 123").status_code == 401
        refused = sign_in(guesser, "secretariat", "wrong guess 123")
        assert refused.status_code == 429 and "Try again in" in refused.text
        # even the right password waits, from that address ...
        assert sign_in(guesser, "secretariat").status_code == 429
        # ... but the real user, elsewhere, signs in at once
        assert sign_in(owner, "secretariat").status_code == 200


def test_one_address_guessing_many_accounts_is_stopped(site):
    ctx, app = site
    with client_at(app, "203.0.113.10") as guesser:
        for n in range(30):
            assert sign_in(guesser, f"user{n}", "wrong guess 123").status_code == 401
        assert sign_in(guesser, "viewer").status_code == 429


def test_a_distributed_guesser_slows_the_account_but_never_locks_it(site, monkeypatch):
    ctx, app = site
    monkeypatch.setattr(throttle, "SLOW_SECONDS", 0.3)
    for n in range(10):  # ten addresses, one failure each: no address limit is reached
        with client_at(app, f"203.0.113.{100 + n}") as guesser:
            assert sign_in(guesser, "admin", "wrong guess 123").status_code == 401
    with client_at(app, "198.51.100.8") as owner:
        started = time.monotonic()
        assert sign_in(owner, "admin", PASSWORD).status_code == 200
        assert time.monotonic() - started >= 0.3  # slowed, not refused


def test_counted_in_redis_so_every_web_process_shares_the_count(redis_url):
    first, second = throttle.LoginThrottle(redis_url), throttle.LoginThrottle(redis_url)
    for _ in range(5):
        assert first.check("amina", "203.0.113.20").allowed
        first.failed("amina", "203.0.113.20")
    assert not second.check("amina", "203.0.113.20").allowed  # another process sees the count
    assert second.check("amina", "198.51.100.20").allowed


def test_a_burst_of_parallel_guesses_is_counted_before_any_fails(site):
    """Each attempt is counted when it arrives, before its password is checked: a burst cannot
    slip past a count that only failures would raise."""
    ctx, app = site
    limiter = app.state.login_throttle
    verdicts = [limiter.check("secretariat", "203.0.113.30") for _ in range(8)]  # none failed yet
    assert [v.allowed for v in verdicts] == [True] * 5 + [False] * 3


def test_the_current_password_is_guessed_no_faster_when_changing_it(site, as_role):
    ctx, app = site
    client = as_role("viewer")
    token = csrf_of(client.get("/admin/password").text)
    form = {
        "csrf_token": token,
        "current": "wrong guess 123",
        "new": "a new pass phrase",
        "repeat": "a new pass phrase",
    }
    codes = [client.post("/admin/password", data=form).status_code for _ in range(6)]
    assert codes[:4] == [400] * 4 and codes[-1] == 429  # sign-in's attempt counted too
