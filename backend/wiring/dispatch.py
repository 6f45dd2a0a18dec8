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
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from importlib import import_module
from itertools import count
from typing import Protocol
from uuid import uuid4

from backend.config import Settings
from bot.handlers import channel_names

log = logging.getLogger(__name__)

BULK_CHANNELS = channel_names()
# Answering people, then handling what they send, always comes first (an answer ready to go is
# sent before the next message is read, so a backlog is answered oldest first, not all at its
# end); the bulk queues (one per channel, so that a channel waiting for its rate limit does not
# hold up the others) take turns.
PRIORITY_QUEUES = ("send-reply", "inbound")
QUEUES = PRIORITY_QUEUES + tuple(f"send-bulk-{c}" for c in BULK_CHANNELS)
PROCESS = "backend.jobs.process.process_inbound"
SEND = "backend.jobs.send.send_outbound"


class Dispatcher(Protocol):
    """What the rest of the back end asks of a job queue."""

    def enqueue_inbound(self, inbox_id: int) -> None: ...

    def enqueue_send(self, outbox_id: int, priority: int, channel: str = "", delay: float = 0.0) -> None: ...

    def enqueue_sends(self, sends: list[tuple[int, int, str]]) -> None:
        """Many sends due now, (outbox id, priority, channel) each: a broadcast's, the sweep's."""
        ...

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


# ids whose job a worker is running, scored by when that lease ends: a worker killed mid-job
# stops renewing nothing, so its ids fall out of `pending()` RUNNING_LEASE_SECONDS later and the
# sweep re-enqueues them. A job outliving its lease is harmless: jobs are idempotent.
RUNNING = "nmirf:running:{}"
RUNNING_LEASE_SECONDS = 15.0
KIND_QUEUES = {"inbound": ("inbound",), "send": tuple(q for q in QUEUES if q != "inbound")}


def _job_id(kind: str, item_id: int) -> str:
    """A job's id names its row ("send-42-<random>"), so what the queues hold can be read back."""
    return f"{kind}-{item_id}-{uuid4().hex}"


class RQDispatcher:
    """Jobs on Redis through RQ. `pending()` reads back the row ids the queues (and their
    scheduled registries) really hold, plus the running leases, in one snapshot: the sweep
    re-enqueues only what Redis lost or a dead worker dropped, never a job merely far down a long
    queue. (A set of marks, as before, could not tell a job waiting from one popped by a worker
    killed before it started, so old rows were re-enqueued at every sweep: the queues grew faster
    than the workers drained them; docs/faults.md, kill-worker and outages.)"""

    def __init__(self, redis_url: str):
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url)
        self.queues = {name: Queue(name, connection=self.redis) for name in QUEUES}

    def enqueue_inbound(self, inbox_id: int) -> None:
        job_id = _job_id("inbound", inbox_id)
        self.queues["inbound"].enqueue(PROCESS, inbox_id, job_id=job_id, result_ttl=0, failure_ttl=86400)

    def enqueue_send(self, outbox_id: int, priority: int, channel: str = "", delay: float = 0.0) -> None:
        queue = self.queues[_send_queue(priority, channel)]
        args = (SEND, outbox_id, channel, priority > 0)
        job_id = _job_id("send", outbox_id)
        if delay > 0:  # run by the scheduler of a worker (`nmirf worker` starts one)
            queue.enqueue_in(timedelta(seconds=delay), *args, job_id=job_id, result_ttl=0, failure_ttl=86400)
        else:
            queue.enqueue(*args, job_id=job_id, result_ttl=0, failure_ttl=86400)

    def enqueue_sends(self, sends: list[tuple[int, int, str]], chunk: int = 1000) -> None:
        """One Redis round trip per `chunk` jobs (a 100,000-message broadcast was 100,000 calls)."""
        from rq import Queue

        for at in range(0, len(sends), chunk):
            by_queue: dict[str, list] = {}
            for outbox_id, priority, channel in sends[at : at + chunk]:
                data = Queue.prepare_data(
                    SEND,
                    (outbox_id, channel, priority > 0),
                    job_id=_job_id("send", outbox_id),
                    result_ttl=0,
                    failure_ttl=86400,
                )
                by_queue.setdefault(_send_queue(priority, channel), []).append(data)
            with self.redis.pipeline() as pipe:
                for name, datas in by_queue.items():
                    self.queues[name].enqueue_many(datas, pipeline=pipe)
                pipe.execute()

    def started(self, kind: str, item_id: int) -> None:
        self.redis.zadd(RUNNING.format(kind), {str(item_id): time.time() + RUNNING_LEASE_SECONDS})

    def finished(self, kind: str, item_id: int) -> None:
        self.redis.zrem(RUNNING.format(kind), str(item_id))

    def pending(self, kind: str) -> set[int]:
        """Ids whose job waits in a queue (or is scheduled), or that a live worker runs (its lease
        not yet ended). A job a worker has just popped and not yet started is in neither for a
        moment: at worst the sweep then adds one harmless duplicate."""
        now = time.time()
        pipe = self.redis.pipeline()  # MULTI: one consistent snapshot
        pipe.zremrangebyscore(RUNNING.format(kind), "-inf", now)
        pipe.zrange(RUNNING.format(kind), 0, -1)
        for name in KIND_QUEUES[kind]:
            pipe.lrange(self.queues[name].key, 0, -1)
            pipe.zrange(self.queues[name].scheduled_job_registry.key, 0, -1)
        _, running, *held = pipe.execute()
        ids = {int(x) for x in running}
        prefix = f"{kind}-"
        for job_ids in held:
            for raw in job_ids:
                job_id = raw.decode() if isinstance(raw, bytes) else raw
                if job_id.startswith(prefix):
                    ids.add(int(job_id.split("-", 2)[1]))
        return ids

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.redis.close()


class InProcessDispatcher:
    """One background thread running jobs in priority order (replies, inbound, bulk). A job that
    raises is logged and left to the sweep, exactly like a failed RQ job."""

    def __init__(self):
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._seq = count()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        # jobs waiting (queued or on a timer) per id, and the job being run: what `pending()` says
        self._waiting: dict[str, Counter] = {"inbound": Counter(), "send": Counter()}
        self._running: tuple[str, int] | None = None
        self._lock = threading.Lock()

    def enqueue_inbound(self, inbox_id: int) -> None:
        with self._lock:
            self._waiting["inbound"][inbox_id] += 1
        self._put(1, PROCESS, (inbox_id,))

    def started(self, kind: str, item_id: int) -> None:
        pass  # this process's own thread: it cannot die without the process

    def finished(self, kind: str, item_id: int) -> None:
        pass  # `_run` knows when a job ends, whatever it returns

    def pending(self, kind: str) -> set[int]:
        with self._lock:
            running = {self._running[1]} if self._running and self._running[0] == kind else set()
            return {i for i, n in self._waiting[kind].items() if n > 0} | running

    def enqueue_send(self, outbox_id: int, priority: int, channel: str = "", delay: float = 0.0) -> None:
        args = (0 if priority == 0 else 2, SEND, (outbox_id, channel, priority > 0))
        with self._lock:
            self._waiting["send"][outbox_id] += 1
        if delay > 0:
            timer = threading.Timer(delay, self._put, args)
            timer.daemon = True
            timer.start()
        else:
            self._put(*args)

    def enqueue_sends(self, sends: list[tuple[int, int, str]]) -> None:
        for outbox_id, priority, channel in sends:
            self.enqueue_send(outbox_id, priority, channel)

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
            kind, item_id = ("inbound" if func == PROCESS else "send"), args[0]
            with self._lock:
                self._waiting[kind][item_id] -= 1
                if self._waiting[kind][item_id] <= 0:
                    del self._waiting[kind][item_id]
                self._running = (kind, item_id)
            try:
                if func not in funcs:
                    funcs[func] = resolve(func)
                funcs[func](*args)
            except Exception:  # noqa: BLE001 - the row stays unfinished; the sweep retries it
                log.exception("job %s%s failed", func, args)
            with self._lock:
                self._running = None
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
