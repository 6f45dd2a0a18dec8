"""The local simulator channel: a pretend phone for the demo and tests, with no provider account.

Inbound: `POST /webhooks/simulator` with JSON {"from": "+254700000001", "text": "1D", "id": "..."}.
Outbound: "sending" succeeds at once; the simulator's phone reads the delivered messages back from
the store (the backend serves them), so messages take exactly the path a real channel's take."""

from __future__ import annotations

import json
import uuid

from bot.channel import ErrorKind, Parsed, Webhook, WebhookRequest
from bot.handlers import schemas
from bot.message import Address, Channel, ContentKind, DeliveryError, InboundMessage, OutboundMessage, WebhookRejected


def parse(body: bytes) -> InboundMessage:
    try:
        data = json.loads(body)
        sender, text = data["from"], data["text"]
        if not isinstance(sender, str) or not isinstance(text, str) or not sender:
            raise ValueError
    except (ValueError, KeyError, TypeError, RecursionError):
        raise WebhookRejected(
            'expected JSON {"from": "+E164 phone", "text": "...", "id": "unique id"}', status=400
        ) from None
    provider_id = str(data.get("id") or uuid.uuid4())
    return InboundMessage(
        address=Address(Channel.SIMULATOR, sender), provider_id=provider_id, kind=ContentKind.TEXT, text=text[:4096]
    )


class SimulatorChannel:
    """The simulator as a bot.channel.Channel: posts to /webhooks/simulator, sends that succeed."""

    name = "simulator"
    webhooks = (
        Webhook(
            "simulator", max_bytes=16 * 1024, openapi=schemas.request("application/json", schemas.SIMULATOR_MESSAGE)
        ),
    )
    opt_out_words: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings) -> list[SimulatorChannel]:
        # Off unless SIMULATOR_ENABLED: a pretend phone signs nothing, so anyone could speak
        # through it in a focal point's name.
        return [cls()] if getattr(settings, "simulator_enabled", False) else []

    def ready(self) -> str | None:
        return None

    def verify(self, request: WebhookRequest) -> None:
        return None  # a pretend phone has nothing to sign with

    def parse(self, request: WebhookRequest) -> list[Parsed]:
        return [parse(request.body)]

    def send(self, message: OutboundMessage) -> str:
        return f"sim-{message.key}"

    def classify(self, error: DeliveryError) -> ErrorKind:
        return ErrorKind.FAILED if error.permanent else ErrorKind.RETRY

    def close(self) -> None:
        return None


NAMES = ("simulator",)
from_settings = SimulatorChannel.from_settings
