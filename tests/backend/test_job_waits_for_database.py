"""A job that meets a lost database waits for it and then does its work (backend/wiring/ride_out.py),
instead of failing and leaving the worker to burn through its queue: the message is answered
once the database is back, the outage logged once, and it costs the message no attempt.

The database really goes away: PostgreSQL is reached through a TCP relay on loopback that the
test cuts (open connections dropped, new ones refused) and restores."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from backend.inbox.models import InboxMessage
from backend.jobs.process import process_inbound
from backend.outbox.models import OutboxMessage
from backend.wiring.dispatch import InProcessDispatcher
from tests.backend.helpers import post_telegram, text_update
from tests.conftest import fresh_database, running_context, settings_for

pytestmark = pytest.mark.postgres


class Relay:
    """127.0.0.1:port -> target; `cut()` drops every connection and refuses new ones."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.up = True
        self.links: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.links += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        self.up = False
        for s in self.links:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.links.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.server.close()


@pytest.fixture
def relayed(request, tmp_path):
    with fresh_database("postgres", request, tmp_path) as url:
        parsed = make_url(url)
        relay = Relay(parsed.host or "127.0.0.1", parsed.port or 5432)
        try:
            yield str(parsed.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)), relay
        finally:
            relay.close()


def test_a_job_waits_out_a_lost_database_and_answers(relayed, fake_telegram, caplog):
    url, relay = relayed
    settings = settings_for(url, telegram_api_base_url=fake_telegram.base_url)
    dispatcher = InProcessDispatcher()  # not started: the job is run by hand below, as a worker would
    with running_context(settings, dispatcher=dispatcher) as ctx:
        from fastapi.testclient import TestClient

        from backend.app import create_app

        with TestClient(create_app(ctx)) as client:
            assert post_telegram(client, text_update(910001, "help")).status_code == 200
        with ctx.db.transaction() as s:
            inbox_id = s.scalar(select(InboxMessage.id))
        relay.cut()
        threading.Timer(2.0, relay.restore).start()
        started = time.monotonic()
        with caplog.at_level(logging.WARNING):
            process_inbound(inbox_id)  # meets the cut, waits, then handles the message
        waited = time.monotonic() - started
        with ctx.db.transaction() as s:
            row = s.get(InboxMessage, inbox_id)
            assert (row.status, row.attempts, row.error) == ("done", 1, None)  # one attempt: its own
            assert s.scalar(select(OutboxMessage.kind)) == "reply"
    assert waited >= 1.5
    lost = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(lost) == 1, [r.getMessage() for r in caplog.records]
    assert any("reachable again" in r.getMessage() for r in caplog.records)
