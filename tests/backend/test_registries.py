"""The back end's two registries: a channel added to bot.handlers.REGISTRY gets its webhook route
and carries the replies to people who wrote on it, without a line of back-end code; every event
the engine can return has exactly one effect."""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import bot.handlers
from backend.app import create_app
from backend.inbox.models import InboxMessage
from backend.outbox.models import OutboxMessage
from backend.sessions import effects
from bot.channel import ErrorKind, Webhook, WebhookRequest
from bot.message import Address, ContentKind, DeliveryError, InboundMessage, OutboundMessage, WebhookRejected
from conversations.views import Event
from tests.backend.helpers import wait_until
from tests.conftest import running_context, settings_for


class FaxChannel:
    """A channel as a new handler module would write it: a shared key in a header, JSON in."""

    name = "fax"
    webhooks = (Webhook("fax/in"),)
    opt_out_words: frozenset[str] = frozenset()

    def __init__(self):
        self.sent: list[OutboundMessage] = []

    def ready(self):
        return None

    def verify(self, request: WebhookRequest) -> None:
        if request.header("X-Fax-Key") != "k":
            raise WebhookRejected("missing or wrong X-Fax-Key", status=403)

    def parse(self, request: WebhookRequest):
        data = json.loads(request.body)
        return [
            InboundMessage(
                address=Address("fax", data["from"]), provider_id=data["id"], kind=ContentKind.TEXT, text=data["text"]
            )
        ]

    def send(self, message: OutboundMessage) -> str:
        self.sent.append(message)
        return f"fax-{message.key}"

    def classify(self, error: DeliveryError) -> ErrorKind:
        return ErrorKind.RETRY

    def close(self) -> None:
        pass


def test_a_channel_added_to_the_registry_is_mounted_and_answers(sqlite_url, monkeypatch):
    """One module (here a stand-in) and one registry line: /webhooks/fax/in exists, refuses what
    its channel does not verify, stores what it parses once, and the answer goes back by fax."""
    fax = FaxChannel()
    module = SimpleNamespace(NAMES=("fax",), from_settings=lambda settings: [fax])
    monkeypatch.setattr(bot.handlers, "REGISTRY", (*bot.handlers.REGISTRY, module))
    with running_context(settings_for(sqlite_url)) as ctx:
        assert "fax" in ctx.configured
        with TestClient(create_app(ctx, run_jobs=True)) as client:
            body = {"from": "+254799000111", "id": "f1", "text": "hello"}
            assert client.post("/webhooks/fax/in", json=body).status_code == 403
            first = client.post("/webhooks/fax/in", json=body, headers={"X-Fax-Key": "k"})
            again = client.post("/webhooks/fax/in", json=body, headers={"X-Fax-Key": "k"})
            assert (first.json(), again.json()) == ({"ok": True, "duplicate": False}, {"ok": True, "duplicate": True})
            wait_until(lambda: fax.sent, message="the answer on the fax channel")
    assert "not registered" in fax.sent[0].text and fax.sent[0].address.id == "+254799000111"
    with ctx.db.transaction() as session:
        assert session.scalars(select(InboxMessage.channel)).all() == ["fax"]
        assert session.scalars(select(OutboxMessage.status).where(OutboxMessage.channel == "fax")).all() == ["sent"]


def test_every_event_the_engine_returns_has_one_effect():
    """No event can be returned and silently dropped: each type in conversations.views.Event
    has its handler in backend/sessions/effects.py."""
    assert set(typing.get_args(Event)) == set(effects.HANDLERS)


def test_an_event_without_an_effect_fails_loudly():
    scene = effects.Scene(session=None, person=None, now=datetime.now(UTC), settings=None, configured=set())
    with pytest.raises(TypeError, match="no effect registered for object"):
        effects.apply(object(), scene)
