"""The webhooks' edges: bodies refused by size and by missing credentials before they are read,
texts capped at the provider's own limit, nesting bounded, a clear 503 when the store is down,
and a 2xx whenever the row is committed, even with the job queue unreachable."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app import create_app
from backend.inbox.models import InboxMessage
from backend.wiring.dispatch import RQDispatcher
from tests.backend.helpers import count, post_telegram, text_update
from tests.conftest import running_context, settings_for

DEAD_REDIS = "redis://127.0.0.1:9/0"  # nothing listens on the discard port


class Chunks:
    """A streamed body that counts how much of it the server pulled."""

    def __init__(self, total: int, size: int = 1 << 20):
        self.total, self.size, self.pulled = total, size, 0

    def __iter__(self):
        while self.pulled * self.size < self.total:
            self.pulled += 1
            yield b"a" * self.size


def test_unsigned_bodies_are_refused_before_they_are_read(sqlite_url):
    settings = settings_for(
        sqlite_url, twilio_account_sid="AC" + "0" * 32, twilio_auth_token="t0ken", twilio_sms_from="+15005550006"
    )
    with running_context(settings) as ctx, TestClient(create_app(ctx)) as client:
        big = {"Content-Type": "application/x-www-form-urlencoded"}
        body = Chunks(20 << 20)
        r = client.post("/webhooks/twilio/sms", content=body, headers=big)
        assert r.status_code == 403 and "X-Twilio-Signature" in r.json()["error"]
        assert body.pulled <= 1  # refused on its headers: the 20 MB were never read
        body = Chunks(20 << 20)
        r = client.post("/webhooks/telegram", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 403 and body.pulled <= 1
        # signed (or with the secret) but far larger than any genuine call: 413, not read whole
        signed = big | {"X-Twilio-Signature": "x" * 28, "Content-Length": str(20 << 20)}
        assert client.post("/webhooks/twilio/sms", content=b"a" * 1024, headers=signed).status_code == 413
        body = Chunks(20 << 20, size=64 << 10)
        r = client.post(
            "/webhooks/telegram", content=body, headers={"X-Telegram-Bot-Api-Secret-Token": "test-secret_token-1"}
        )
        assert r.status_code == 413 and "bytes" in r.json()["error"]  # streamed: cut past 256 KiB
        assert count(ctx, InboxMessage) == 0


def test_a_telegram_text_is_capped_at_telegrams_limit(sqlite_url):
    with running_context(settings_for(sqlite_url)) as ctx, TestClient(create_app(ctx)) as client:
        assert post_telegram(client, text_update(9001, "x" * 50_000)).status_code == 200
        with ctx.db.transaction() as db:
            assert len(db.scalar(select(InboxMessage.text))) == 4096


def test_nesting_too_deep_is_a_400_not_a_500(sqlite_url):
    with running_context(settings_for(sqlite_url)) as ctx, TestClient(create_app(ctx)) as client:
        deep = b"[" * 100_000 + b"]" * 100_000
        r = post_telegram(client, deep)
        assert r.status_code == 400 and "nested" in r.json()["error"]
        r = client.post("/webhooks/simulator", content=b'{"a":' * 2500 + b"1" + b"}" * 2500)
        assert r.status_code == 400


def test_store_down_is_a_503_with_retry_after(tmp_path):
    dead = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1"
    with running_context(settings_for(dead)) as ctx, TestClient(create_app(ctx)) as client:
        r = post_telegram(client, text_update(9002, "1D"))
        assert r.status_code == 503 and r.headers["retry-after"] == "30"
        r = client.post("/webhooks/simulator", json={"from": "+254700000001", "text": "1D", "id": "s1"})
        assert r.status_code == 503


def test_committed_row_is_acknowledged_with_the_queue_down(sqlite_url):
    """Redis unreachable: the row is stored, the provider gets its 2xx (no retry of something we
    have), and the sweep will enqueue it."""
    settings = settings_for(sqlite_url)
    with running_context(settings, dispatcher=RQDispatcher(DEAD_REDIS)) as ctx, TestClient(create_app(ctx)) as client:
        r = post_telegram(client, text_update(9003, "1D"))
        assert r.status_code == 200, r.text
        r = client.post("/webhooks/simulator", content=json.dumps({"from": "+254700000001", "text": "2P", "id": "s2"}))
        assert r.status_code == 200
        assert count(ctx, InboxMessage) == 2


def test_readyz_says_what_is_not_ready(sqlite_url, tmp_path):
    with running_context(settings_for(sqlite_url)) as ctx, TestClient(create_app(ctx)) as client:
        assert client.get("/healthz").json() == {"ok": True}
        assert client.get("/readyz").json() == {"ready": True, "database": "ok"}
    with running_context(settings_for(sqlite_url, redis_url=DEAD_REDIS)) as ctx, TestClient(create_app(ctx)) as client:
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["redis"].startswith("unreachable")
    empty = f"sqlite:///{tmp_path}/empty.db"  # never migrated
    with running_context(settings_for(empty)) as ctx, TestClient(create_app(ctx)) as client:
        r = client.get("/readyz")
        assert r.status_code == 503 and "nmirf db upgrade" in r.json()["database"]
    dead = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1"
    with running_context(settings_for(dead)) as ctx, TestClient(create_app(ctx)) as client:
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["database"].startswith("unreachable")
