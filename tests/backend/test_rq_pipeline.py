"""The pipeline on a real Redis with real RQ workers (`nmirf worker` processes): jobs carry ids,
two workers share the work, and losing Redis or a worker loses nothing and sends nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from redis import Redis

from backend.app import create_app
from backend.cli.prompts import send_weekly_now
from backend.imports.catalog import import_actions, import_recommendations
from backend.imports.roster import import_roster
from backend.inbox.models import InboxMessage
from backend.jobs.sweep import sweep
from backend.progress.models import ProgressUpdate
from backend.wiring.dispatch import RQDispatcher
from tests.backend.helpers import count, outbox_status, post_telegram, telegram_roster, text_update, wait_until
from tests.conftest import DEMO, ROOT, SECRET, TOKEN, running_context, settings_for


def start_worker(env: dict, *args: str) -> subprocess.Popen:
    """A real worker process. Its log goes to a file, never to a pipe nobody reads (a full pipe
    would block the worker)."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "worker", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log
    )
    proc.log = log
    return proc


def log_of(proc: subprocess.Popen) -> str:
    proc.log.seek(0)
    return proc.log.read().decode(errors="replace")[-4000:]


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def product(database_url, redis_url, fake_telegram, tmp_path):
    overrides = dict(redis_url=redis_url, telegram_api_base_url=fake_telegram.base_url, send_lease_seconds=1.0)
    settings = settings_for(database_url, **overrides)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "TELEGRAM_", "REDIS_"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_BASE_URL=fake_telegram.base_url,
        SEND_LEASE_SECONDS="1",
        STALE_AFTER_SECONDS="0",
        PYTHONPATH=str(ROOT),
    )
    with running_context(settings, dispatcher=RQDispatcher(redis_url)) as ctx:
        with ctx.db.transaction() as s:
            import_roster(s, telegram_roster(tmp_path))
            import_recommendations(s, DEMO / "recommendations.csv")
            import_actions(s, DEMO / "actions.csv")
        with TestClient(create_app(ctx, run_jobs=False)) as client:
            yield ctx, client, fake_telegram, env


def test_two_workers_carry_prompt_reply_and_confirmation(product):
    """With two RQ workers, the weekly prompt, the reply and the confirmation each happen once."""
    ctx, client, fake, env = product
    workers = [start_worker(env), start_worker(env)]
    try:
        send_weekly_now(ctx)
        fake.wait_for_sent(1, timeout=20)
        for n in range(3):  # the same reply delivered three times by an eager provider
            post_telegram(client, text_update(910001, "1D 2P"))
        wait_until(
            lambda: count(ctx, ProgressUpdate) == 2 and outbox_status(ctx) == [("sent", 1)] * 2,
            timeout=20,
            message="reply handled and confirmed",
        )
        assert "Recorded for" in fake.wait_for_sent(2)[1]["text"]
        assert count(ctx, InboxMessage) == 1
    finally:
        for w in workers:
            stop(w)
    assert len(fake.sent) == 2


def test_redis_lost_before_processing_loses_nothing(product):
    """Jobs wiped from Redis (restart without persistence) are found again by the sweep."""
    ctx, client, fake, env = product
    send_weekly_now(ctx)  # enqueued, but no worker runs yet
    post_telegram(client, text_update(910010, "1B no budget"))
    Redis.from_url(ctx.settings.redis_url).flushall()
    # one reply to handle; five weekly prompts (Amina on Telegram, four on the simulator) to send
    assert sweep(ctx, datetime.now(UTC)) == {"inbound": 1, "outbound": 5, "expired": 0}
    worker = start_worker(env, "--burst")
    assert worker.wait(60) == 0, log_of(worker)
    wait_until(lambda: [s for s, _ in outbox_status(ctx)] == ["sent", "sent"], message="both messages sent")
    texts = sorted(m["text"] for m in fake.sent)
    assert len(texts) == 2 and texts[0].startswith("Recorded: 1 blocked") and texts[1].startswith("Week of")
    assert count(ctx, ProgressUpdate) == 1


def test_worker_gone_between_commit_and_send(product):
    """The reply is committed but its send job never runs (worker and queue gone): the sweep
    sends it exactly once."""
    ctx, client, fake, env = product
    post_telegram(client, text_update(910020, "help"))
    inbound_only = start_worker(env, "--burst", "--queues", "inbound")
    assert inbound_only.wait(60) == 0, log_of(inbound_only)
    assert outbox_status(ctx) == [("queued", 0)] and fake.sent == []
    Redis.from_url(ctx.settings.redis_url).flushall()  # the send job is lost with the worker
    sweep(ctx, datetime.now(UTC))
    worker = start_worker(env, "--burst")
    assert worker.wait(60) == 0
    assert outbox_status(ctx) == [("sent", 1)] and len(fake.sent) == 1


def test_worker_killed_during_a_send_is_retried_once_the_lease_ends(product):
    """A worker killed while Telegram has not answered leaves the message leased; after the lease
    the sweep sends it, and it arrives once."""
    ctx, client, fake, env = product
    fake.hold_sends()
    worker = start_worker(env)
    post_telegram(client, text_update(910030, "help"))
    fake.wait_held(1, timeout=20)
    stop(worker, signal.SIGKILL)
    fake.release_sends(deliver=False)  # the provider never delivered the interrupted call
    assert [s for s, _ in outbox_status(ctx)] == ["sending"]
    wait_until(lambda: sweep(ctx, datetime.now(UTC))["outbound"] == 1, timeout=10, message="lease end")
    worker = start_worker(env, "--burst")
    assert worker.wait(60) == 0
    assert outbox_status(ctx) == [("sent", 2)] and len(fake.sent) == 1
