"""The sweep never piles copies of a job on a long queue: a row whose job still waits in its queue
is left alone however old it is (the kill-worker and outages faults, docs/faults.md: re-enqueuing
every old row at every sweep grew the queues faster than the workers could drain them), while a
job taken by a worker killed before it could start is enqueued again at the next sweep."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from backend.inbox.service import store_inbound
from backend.jobs.sweep import sweep
from backend.wiring.dispatch import RQDispatcher
from bot.message import Address, Channel, ContentKind, InboundMessage
from tests.conftest import running_context, settings_for

pytestmark = pytest.mark.redis


def test_an_old_row_whose_job_waits_is_not_enqueued_again(sqlite_url, redis_url):
    rq = RQDispatcher(redis_url)
    settings = settings_for(sqlite_url, redis_url=redis_url, stale_after_seconds=2.0)
    with running_context(settings, dispatcher=rq) as ctx:
        received = datetime.now(UTC) - timedelta(minutes=10)  # far past 10 x STALE_AFTER_SECONDS
        with ctx.db.transaction() as db:
            ids = [
                store_inbound(
                    db,
                    InboundMessage(Address(Channel.SIMULATOR, f"+25470000000{i}"), f"old-{i}", ContentKind.TEXT, "1D"),
                    received,
                )[0]
                for i in range(3)
            ]
        for inbox_id in ids:
            rq.enqueue_inbound(inbox_id)
        queue = rq.queues["inbound"]
        for _ in range(5):  # five sweeps while no worker runs: the queue holds one job per row
            assert sweep(ctx, datetime.now(UTC))["inbound"] == 0
        assert queue.count == 3

        taken = queue.dequeue_any([queue], None, connection=rq.redis)  # a worker takes a job ...
        assert taken is not None  # ... and is killed before the job starts
        assert sweep(ctx, datetime.now(UTC))["inbound"] == 1  # that row alone is enqueued again
        assert queue.count == 3
        assert sweep(ctx, datetime.now(UTC))["inbound"] == 0


def test_in_process_a_job_that_leaves_its_row_unfinished_lets_go_of_it(monkeypatch):
    """Without the old ten-times rule, a mark left after a job ran (a row not due yet: `queued`,
    `sending`, never `finished()`) would hide the row from the sweep for good."""
    from backend.wiring import dispatch

    ran = []
    monkeypatch.setattr(dispatch, "resolve", lambda path: lambda *args: ran.append(args))
    jobs = dispatch.InProcessDispatcher()
    jobs.enqueue_send(7, 0)
    jobs.enqueue_send(7, 0)
    jobs.enqueue_inbound(3)
    assert jobs.pending("send") == {7} and jobs.pending("inbound") == {3}
    jobs.start()
    try:
        assert jobs.wait_idle(5)
        time.sleep(0.05)
    finally:
        jobs.stop()
    assert len(ran) == 3
    assert jobs.pending("send") == set() and jobs.pending("inbound") == set()


@pytest.mark.redis
def test_many_sends_are_enqueued_in_few_round_trips_each_in_its_queue(redis_url):
    """A broadcast's rows (and the sweep's) go to Redis in chunks: each job in its channel's queue
    (answers in send-reply), named by its row, and read back by `pending()`."""
    from rq import Queue

    dispatcher = RQDispatcher(redis_url)
    try:
        sends = [(n, 1, ("telegram", "sms", "whatsapp")[n % 3]) for n in range(1, 2501)] + [(9999, 0, "telegram")]
        dispatcher.enqueue_sends(sends, chunk=1000)
        assert dispatcher.pending("send") == {n for n, _p, _c in sends}
        counts = {name: Queue(name, connection=dispatcher.redis).count for name in dispatcher.queues}
        assert counts["send-reply"] == 1 and counts["inbound"] == 0
        assert (counts["send-bulk-telegram"], counts["send-bulk-sms"], counts["send-bulk-whatsapp"]) == (833, 834, 833)
    finally:
        dispatcher.stop()
