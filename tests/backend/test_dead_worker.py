"""A worker killed mid-job lets go of its row: once its lease ends, the next sweep enqueues the
row again (not after ten times STALE_AFTER_SECONDS, as when its id stayed marked as queued)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from backend.inbox.service import store_inbound
from backend.jobs.sweep import sweep
from backend.wiring import dispatch
from backend.wiring.dispatch import RQDispatcher
from bot.message import Address, Channel, ContentKind, InboundMessage
from tests.conftest import running_context, settings_for

pytestmark = pytest.mark.redis


def test_a_row_whose_worker_died_is_enqueued_again_after_its_lease(sqlite_url, redis_url, monkeypatch):
    monkeypatch.setattr(dispatch, "RUNNING_LEASE_SECONDS", 0.5)
    rq = RQDispatcher(redis_url)
    settings = settings_for(sqlite_url, redis_url=redis_url, stale_after_seconds=5.0)
    with running_context(settings, dispatcher=rq) as ctx:
        received = datetime.now(UTC) - timedelta(seconds=10)
        with ctx.db.transaction() as db:
            item = InboundMessage(Address(Channel.SIMULATOR, "+254700000001"), "dead-1", ContentKind.TEXT, "1D")
            inbox_id, _ = store_inbound(db, item, received)
        rq.enqueue_inbound(inbox_id)
        queue = rq.queues["inbound"]
        taken = queue.dequeue_any([queue], None, connection=rq.redis)  # a worker takes it ...
        assert taken is not None
        rq.started("inbound", inbox_id)  # ... starts it, and is killed (nothing more happens)
        now = datetime.now(UTC)
        assert sweep(ctx, now)["inbound"] == 0  # its lease runs: nobody else takes the row
        time.sleep(0.6)
        assert sweep(ctx, datetime.now(UTC))["inbound"] == 1  # lease over: enqueued again
        assert queue.count == 1
        assert sweep(ctx, datetime.now(UTC))["inbound"] == 0  # and not twice: it is queued now
