"""The running product's parts, built once per process from settings: database, channel senders
and the job dispatcher. Job functions (RQ or in-process) find them here."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from backend.config import Settings, get_settings
from backend.db import Database


@dataclass
class Context:
    settings: Settings
    db: Database
    senders: dict = field(default_factory=dict)
    dispatcher: object = None
    pacer: object = None

    @property
    def configured(self) -> set[str]:
        """Channels that can send (their settings are complete)."""
        from backend.channels import configured

        return configured(self.senders)

    def close(self) -> None:
        for sender in set(self.senders.values()):
            close = getattr(sender, "close", None)
            if close:
                close()
        self.db.dispose()


_lock = threading.Lock()
_current: Context | None = None


def build_context(settings: Settings, dispatcher=None) -> Context:
    from backend.channels import build_pacer, build_senders
    from backend.jobs.queue import make_dispatcher

    from conversations.i18n import set_default_language

    set_default_language(settings.default_language)
    ctx = Context(settings=settings, db=Database(settings.database_url), senders=build_senders(settings),
                  pacer=build_pacer(settings))
    ctx.dispatcher = dispatcher if dispatcher is not None else make_dispatcher(settings)
    return ctx


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
