"""Queueing jobs: RQ on Redis when REDIS_URL is set, otherwise a thread in this process.

Both run the very same job functions (backend/jobs/), named by their dotted path as RQ names
them, with row ids as their only arguments: nothing here imports a job module, so the jobs may
use the running context without an import cycle. Replies to people who just wrote go on a
queue that workers drain before bulk sends."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from importlib import import_module
from itertools import count
from typing import Protocol

from backend.config import Settings
from bot.handlers import channel_names

log = logging.getLogger(__name__)

BULK_CHANNELS = channel_names()
# Handling what people send, and answering them, always comes first; the bulk queues (one per
# channel, so that a channel waiting for its rate limit does not hold up the others) take turns.
PRIORITY_QUEUES = ("inbound", "send-reply")
QUEUES = PRIORITY_QUEUES + tuple(f"send-bulk-{c}" for c in BULK_CHANNELS)
PROCESS = "backend.jobs.process.process_inbound"
SEND = "backend.jobs.send.send_outbound"


class Dispatcher(Protocol):
    """What the rest of the back end asks of a job queue."""

    def enqueue_inbound(self, inbox_id: int) -> None: ...

    def enqueue_send(self, outbox_id: int, priority: int, channel: str = "", delay: float = 0.0) -> None: ...

    def started(self, kind: str, item_id: int) -> None: ...

    def finished(self, kind: str, item_id: int) -> None: ...

    def pending(self, kind: str) -> set[int]: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


def resolve(path: str) -> Callable[..., object]:
    """The function a dotted path names, as RQ finds it."""
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def _send_queue(priority: int, channel: str) -> str:
    if priority == 0:
        return "send-reply"
    return f"send-bulk-{channel}" if channel in BULK_CHANNELS else "send-bulk-sms"


PENDING = "nmirf:pending:{}"  # ids whose job is in a queue (or scheduled): the sweep leaves them be
# ids whose job a worker is running, scored by when that lease ends: a worker killed mid-job
# stops renewing nothing, so its ids fall out of `pending()` RUNNING_LEASE_SECONDS later and the
# sweep re-enqueues them. A job outliving its lease is harmless: jobs are idempotent.
RUNNING = "nmirf:running:{}"
RUNNING_LEASE_SECONDS = 15.0


class RQDispatcher:
    """Jobs on Redis through RQ. Beside the queues, a set per kind holds the ids whose job is
    waiting, so the sweep re-enqueues only what Redis lost, not what is merely far down a long
    queue. The set lives and dies with the queues."""

    def __init__(self, redis_url: str):
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url)
        self.queues = {name: Queue(name, connection=self.redis) for name in QUEUES}

    def enqueue_inbound(self, inbox_id: int) -> None:
        self.redis.sadd(PENDING.format("inbound"), inbox_id)
        self.queues["inbound"].enqueue(PROCESS, inbox_id, result_ttl=0, failure_ttl=86400)

    def enqueue_send(self, outbox_id: int, priority: int, channel: str = "", delay: float = 0.0) -> None:
        queue = self.queues[_send_queue(priority, channel)]
        args = (SEND, outbox_id, channel, priority > 0)
        self.redis.sadd(PENDING.format("send"), outbox_id)
        if delay > 0:  # run by the scheduler of a worker (`nmirf worker` starts one)
            queue.enqueue_in(timedelta(seconds=delay), *args, result_ttl=0, failure_ttl=86400)
        else:
            queue.enqueue(*args, result_ttl=0, failure_ttl=86400)

    def started(self, kind: str, item_id: int) -> None:
        pipe = self.redis.pipeline()
        pipe.srem(PENDING.format(kind), item_id)
        pipe.zadd(RUNNING.format(kind), {str(item_id): time.time() + RUNNING_LEASE_SECONDS})
        pipe.execute()

    def finished(self, kind: str, item_id: int) -> None:
        pipe = self.redis.pipeline()
        pipe.srem(PENDING.format(kind), item_id)
        pipe.zrem(RUNNING.format(kind), str(item_id))
        pipe.execute()

    def pending(self, kind: str) -> set[int]:
        """Ids waiting in a queue, or being run by a live worker (its lease not yet ended)."""
        now = time.time()
        pipe = self.redis.pipeline()
        pipe.zremrangebyscore(RUNNING.format(kind), "-inf", now)
        pipe.smembers(PENDING.format(kind))
        pipe.zrange(RUNNING.format(kind), 0, -1)
        _, waiting, running = pipe.execute()
        return {int(x) for x in waiting} | {int(x) for x in running}

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.redis.close()


class InProcessDispatcher:
    """One background thread running jobs in priority order (inbound, replies, bulk). A job that
    raises is logged and left to the sweep, exactly like a failed RQ job."""

    def __init__(self):
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._seq = count()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._pending: dict[str, set[int]] = {"inbound": set(), "send": set()}
        self._lock = threading.Lock()

    def enqueue_inbound(self, inbox_id: int) -> None:
        with self._lock:
            self._pending["inbound"].add(inbox_id)
        self._put(0, PROCESS, (inbox_id,))

    def started(self, kind: str, item_id: int) -> None:
        pass  # this process's own thread: it cannot die without the process

    def finished(self, kind: str, item_id: int) -> None:
        with self._lock:
            self._pending[kind].discard(item_id)

    def pending(self, kind: str) -> set[int]:
        with self._lock:
            return set(self._pending[kind])

    def enqueue_send(self, outbox_id: int, priority: int, channel: str = "", delay: float = 0.0) -> None:
        args = (1 if priority == 0 else 2, SEND, (outbox_id, channel, priority > 0))
        with self._lock:
            self._pending["send"].add(outbox_id)
        if delay > 0:
            timer = threading.Timer(delay, self._put, args)
            timer.daemon = True
            timer.start()
        else:
            self._put(*args)

    def _put(self, rank: int, func: str, args: tuple) -> None:
        self._idle.clear()
        self._queue.put((rank, next(self._seq), func, args))

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put((-1, -1, None, None))
            self._thread.join(timeout=10)
            self._thread = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        return self._idle.wait(timeout)

    def _run(self) -> None:
        funcs: dict[str, Callable[..., object]] = {}
        while True:
            _rank, _seq, func, args = self._queue.get()
            if func is None:
                return
            try:
                if func not in funcs:
                    funcs[func] = resolve(func)
                funcs[func](*args)
            except Exception:  # noqa: BLE001 - the row stays unfinished; the sweep retries it
                log.exception("job %s%s failed", func, args)
            if self._queue.empty():
                self._idle.set()


def make_worker(redis_url: str, queues: list[str] | None = None):
    """An RQ worker (no fork per job) serving `queues` with the priority rules above."""
    from redis import Redis
    from rq import SimpleWorker

    class Worker(SimpleWorker):
        def reorder_queues(self, reference_queue):
            fixed = [q for q in self._ordered_queues if q.name in PRIORITY_QUEUES]
            turns = [q for q in self._ordered_queues if q.name not in PRIORITY_QUEUES]
            if reference_queue in turns:
                at = turns.index(reference_queue)
                turns = turns[at + 1 :] + turns[: at + 1]
            self._ordered_queues = fixed + turns

    return Worker(list(queues or QUEUES), connection=Redis.from_url(redis_url))


def make_dispatcher(settings: Settings) -> Dispatcher:
    return RQDispatcher(settings.redis_url) if settings.redis_url else InProcessDispatcher()
