"""A job that meets a lost database waits for it, then does its work: the worker does not burn
through its queue failing one job after another while the database is away.

The job in hand is retried in place (every job is idempotent: it re-reads its row), the wait
logged once per outage, never as one traceback per job. Past MAX_WAIT_SECONDS (below the RQ job
timeout) the error is raised after all: the job fails, its row stays as it was, and the sweep
enqueues it again once the database answers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import text

from backend.wiring.context import Outage, outage_errors

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_WAIT_SECONDS = 120.0
_database = Outage("database (a job waits for it)")


def reachable(db) -> bool:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except outage_errors():
        return False


def ride_out(db, work: Callable[[], T], *, max_wait: float = MAX_WAIT_SECONDS) -> T:
    """`work()`, retried while the database is unreachable, for up to `max_wait` seconds."""
    deadline = time.monotonic() + max_wait
    backoff, retried = 0.5, False
    while True:
        try:
            result = work()
        except outage_errors() as exc:
            if reachable(db):  # not the database (Redis, or a connection dropped once): one retry
                if retried:
                    raise
                retried = True
                continue
            _database.failed(exc)
            while not reachable(db):
                if time.monotonic() + backoff > deadline:
                    raise
                time.sleep(backoff)
                backoff = min(2 * backoff, 5.0)
            continue
        _database.recovered()
        return result
