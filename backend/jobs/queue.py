"""Queueing jobs: RQ on Redis when REDIS_URL is set, otherwise a thread in this process.

Both run the very same job functions, with row ids as their only arguments. Replies to people
who just wrote go on a queue that workers drain before bulk sends."""
from __future__ import annotations

import logging
import queue
import threading
from datetime import timedelta
from itertools import count

from backend.config import Settings

log = logging.getLogger(__name__)

QUEUES = ("inbound", "send-reply", "send-bulk")  # a worker serves them in this order
PROCESS = "backend.jobs.process.process_inbound"
SEND = "backend.jobs.send.send_outbound"


def _send_queue(priority: int) -> str:
    return "send-reply" if priority == 0 else "send-bulk"


class RQDispatcher:
    def __init__(self, redis_url: str):
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url)
        self.queues = {name: Queue(name, connection=self.redis) for name in QUEUES}

    def enqueue_inbound(self, inbox_id: int) -> None:
        self.queues["inbound"].enqueue(PROCESS, inbox_id, result_ttl=0, failure_ttl=86400)

    def enqueue_send(self, outbox_id: int, priority: int, delay: float = 0.0) -> None:
        queue = self.queues[_send_queue(priority)]
        if delay > 0:  # run by the scheduler of a worker (`nmirf worker` starts one)
            queue.enqueue_in(timedelta(seconds=delay), SEND, outbox_id, result_ttl=0, failure_ttl=86400)
        else:
            queue.enqueue(SEND, outbox_id, result_ttl=0, failure_ttl=86400)

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

    def enqueue_inbound(self, inbox_id: int) -> None:
        self._put(0, PROCESS, inbox_id)

    def enqueue_send(self, outbox_id: int, priority: int, delay: float = 0.0) -> None:
        if delay > 0:
            timer = threading.Timer(delay, self._put, (1 if priority == 0 else 2, SEND, outbox_id))
            timer.daemon = True
            timer.start()
        else:
            self._put(1 if priority == 0 else 2, SEND, outbox_id)

    def _put(self, rank: int, func: str, arg: int) -> None:
        self._idle.clear()
        self._queue.put((rank, next(self._seq), func, arg))

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
        from backend.jobs.process import process_inbound
        from backend.jobs.send import send_outbound

        funcs = {PROCESS: process_inbound, SEND: send_outbound}
        while True:
            _rank, _seq, func, arg = self._queue.get()
            if func is None:
                return
            try:
                funcs[func](arg)
            except Exception:  # noqa: BLE001 - the row stays unfinished; the sweep retries it
                log.exception("job %s(%s) failed", func, arg)
            if self._queue.empty():
                self._idle.set()


def make_dispatcher(settings: Settings):
    return RQDispatcher(settings.redis_url) if settings.redis_url else InProcessDispatcher()
