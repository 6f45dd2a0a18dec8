"""The running product's parts, built once per process from settings: the database, one channel
object per channel (bot.handlers.REGISTRY), the pacer that keeps sends under the providers'
limits, and the dispatcher that runs jobs. Job functions (RQ or in-process) find them here.

`ctx.work()` is the unit of work everything uses: one transaction, and the jobs it asks for
(handle an inbox row, send an outbox row) enqueued only once it has committed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from backend.config import Settings, get_settings
from backend.db import Database
from backend.wiring.dispatch import Dispatcher, make_dispatcher
from backend.wiring.pacing import LocalPacer, Pacer, RedisPacer
from bot.channel import Channel
from bot.handlers import build

log = logging.getLogger(__name__)


class Work:
    """One transaction (`session`) and the jobs to enqueue after it commits."""

    def __init__(self, session: Session):
        self.session = session
        self.inbound: list[int] = []
        self.sends: list[tuple[int, int, str, float]] = []

    def handle(self, inbox_id: int) -> None:
        self.inbound.append(inbox_id)

    def send(self, row: Any, delay: float = 0.0) -> None:
        """Queue the send of an outbox row (anything with id, priority and channel)."""
        self.sends.append((row.id, row.priority, row.channel, delay))


class Outage:
    """Logs a lost connection once when it starts and once when it ends, not at every call."""

    def __init__(self, what: str):
        self.what, self.down = what, False

    def failed(self, exc: BaseException) -> None:
        if not self.down:
            self.down = True
            log.warning("%s unreachable (%s); the sweep will catch up", self.what, type(exc).__name__)

    def recovered(self) -> None:
        if self.down:
            self.down = False
            log.warning("%s reachable again", self.what)


_queue_outage = Outage("job queue")


def outage_errors() -> tuple[type[BaseException], ...]:
    """What a lost database or Redis raises: the long-running loops wait and retry on these."""
    from redis.exceptions import RedisError
    from sqlalchemy.exc import InterfaceError, OperationalError

    return (OperationalError, InterfaceError, RedisError, ConnectionError, TimeoutError)


@dataclass
class Context:
    settings: Settings
    db: Database
    dispatcher: Dispatcher
    channels: dict[str, Channel] = field(default_factory=dict)
    pacer: Pacer = field(default_factory=LocalPacer)

    @property
    def configured(self) -> set[str]:
        """Channels that can send (their settings are complete)."""
        return {name for name, channel in self.channels.items() if channel.ready() is None}

    @contextmanager
    def work(self) -> Iterator[Work]:
        with self.db.transaction() as session:
            work = Work(session)
            yield work
        # Committed: the rows are the record. A queue that cannot be reached (Redis down) loses
        # nothing; the sweep enqueues those rows once it can, so the caller is not failed here.
        try:
            for inbox_id in work.inbound:
                self.dispatcher.enqueue_inbound(inbox_id)
            self.dispatcher.enqueue_sends([(i, p, c) for i, p, c, delay in work.sends if delay <= 0])
            for outbox_id, priority, channel, delay in work.sends:
                if delay > 0:
                    self.dispatcher.enqueue_send(outbox_id, priority, channel, delay=delay)
        except Exception as exc:  # noqa: BLE001 - whatever the queue's client raises
            _queue_outage.failed(exc)
        else:
            _queue_outage.recovered()

    def close(self) -> None:
        for channel in {id(c): c for c in self.channels.values()}.values():
            channel.close()
        self.db.dispose()


def build_pacer(settings: Settings) -> Pacer:
    """Shared by every worker through Redis when there is one; in this process otherwise."""
    if settings.redis_url:
        from redis import Redis

        return RedisPacer(Redis.from_url(settings.redis_url))
    return LocalPacer()


def build_context(settings: Settings, dispatcher: Dispatcher | None = None) -> Context:
    return Context(
        settings=settings,
        db=Database(settings.database_url),
        channels=build(settings),
        dispatcher=dispatcher if dispatcher is not None else make_dispatcher(settings),
        pacer=build_pacer(settings),
    )


_lock = threading.Lock()
_current: Context | None = None


def set_context(ctx: Context | None) -> None:
    global _current
    with _lock:
        _current = ctx


def get_context() -> Context:
    """This process's context; an RQ worker builds it from the environment on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = build_context(get_settings())
        return _current
