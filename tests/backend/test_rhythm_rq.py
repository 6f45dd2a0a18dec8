"""A week of the rhythm on real Redis with two RQ workers, and two schedulers and two sweeps
running at the same moments (`nmirf tick --now ...` twice at once, as two processes), on SQLite
and PostgreSQL: every person gets exactly the messages the transcript expects, each sent once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app import create_app
from backend.outbox.models import OutboxMessage
from backend.wiring.dispatch import RQDispatcher
from tests.backend.helpers import wait_until
from tests.backend.test_rhythm import AMINA, GRACE, PETER, SAMUEL, this_monday
from tests.backend.test_rq_pipeline import log_of, start_worker, stop
from tests.conftest import ROOT, import_demo, running_context, settings_for

pytestmark = pytest.mark.redis


@pytest.fixture
def product(database_url, redis_url):
    settings = settings_for(database_url, redis_url=redis_url, default_timezone="Africa/Nairobi")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "TELEGRAM_", "REDIS_"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEFAULT_TIMEZONE="Africa/Nairobi",
        SCHEDULER_ENABLED="false",
        STALE_AFTER_SECONDS="0",
        SIMULATOR_ENABLED="true",  # the demo roster's channel, in the workers too
        PYTHONPATH=str(ROOT),
    )
    with running_context(settings, dispatcher=RQDispatcher(redis_url)) as ctx:
        import_demo(ctx)
        workers = [start_worker(env), start_worker(env)]
        try:
            with TestClient(create_app(ctx, run_jobs=False)) as client:
                yield ctx, client, env, workers
        finally:
            for w in workers:
                stop(w)


def tick_twice(env: dict, moment) -> None:
    """Two schedulers and two sweeps as of one moment, at the same time."""
    stamp = moment.strftime("%Y-%m-%dT%H:%MZ")
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "tick", "--now", stamp],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()


def settled(ctx, workers) -> Counter:
    """Wait until every message is sent; (address, kind) -> count."""

    def done():
        with ctx.db.transaction() as s:
            return not s.scalar(select(OutboxMessage.id).where(OutboxMessage.status.in_(("queued", "sending"))))

    wait_until(done, timeout=60, message="sends: " + " | ".join(log_of(w) for w in workers))
    with ctx.db.transaction() as s:
        rows = s.execute(select(OutboxMessage.address, OutboxMessage.kind, OutboxMessage.status)).all()
    assert {status for _a, _k, status in rows} <= {"sent", "delivered"}
    return Counter((address, kind) for address, kind, _status in rows)


def test_a_week_with_two_schedulers_two_sweeps_and_two_workers(product):
    ctx, client, env, workers = product
    t0 = this_monday()
    tick_twice(env, t0 - timedelta(days=1))  # first look, on Sunday: nothing yet
    tick_twice(env, t0)
    client.post("/webhooks/simulator", json={"from": GRACE, "text": "1D", "id": "g1"})
    tick_twice(env, t0 + timedelta(hours=24, minutes=1))
    tick_twice(env, t0 + timedelta(hours=72, minutes=1))
    tick_twice(env, t0 + timedelta(hours=96, minutes=1))
    client.post("/webhooks/simulator", json={"from": AMINA, "text": "1P 2D", "id": "a1"})
    wait_until(lambda: settled(ctx, workers)[(AMINA, "reply")] == 1, timeout=60)
    tick_twice(env, t0 + timedelta(hours=97))
    tick_twice(env, t0 + timedelta(hours=150))
    got = settled(ctx, workers)
    expected = Counter(
        {
            (AMINA, "weekly_prompt"): 1,
            (AMINA, "reminder"): 2,
            (AMINA, "reply"): 1,
            (PETER, "cover_note"): 1,
            (PETER, "weekly_prompt"): 1,
            (PETER, "stand_down"): 1,
            (GRACE, "weekly_prompt"): 1,
            (GRACE, "reply"): 1,
            (SAMUEL, "cover_note"): 0,
        }
    )
    for key, n in expected.items():
        assert got[key] == n, (key, got)
    # Grace answered on Monday: no reminder, and Samuel (her substitute) never asked.
    assert got[(GRACE, "reminder")] == 0 and got[(SAMUEL, "weekly_prompt")] == 0
    # The three institutions without a substitute: prompt, two reminders, nothing else.
    for phone in ("+254700000005", "+254700000006", "+254700000007"):
        assert got[(phone, "weekly_prompt")] == 1 and got[(phone, "reminder")] == 2
    assert sum(got.values()) == sum(got[k] for k in got if got[k])  # every row counted once
