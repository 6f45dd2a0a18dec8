"""The one interface every provider module implements, so the back end never names a provider.

A channel object (one per channel name: telegram, sms, whatsapp, simulator) is built from the
settings by its module's `from_settings` (listed in `bot.handlers.REGISTRY`) and answers four
questions:

- **Is this webhook request authentic?** `verify(request)` raises `WebhookRejected` (with the HTTP
  status to answer) unless the provider signed it or sent the shared secret.
- **What does it say?** `parse(request)` turns the body into `bot.message` types: an
  `InboundMessage`, a `ChannelEvent`, a `StatusUpdate`, or `Ignored`.
- **Send this.** `send(OutboundMessage)` returns the provider's id or raises `DeliveryError`.
- **What does this error mean for the address?** `classify(error)` says retry later, give up on
  this message here, the address is unreachable, or the person opted out at the provider.

Plus what the provider itself does that the back end must respect: `opt_out_words`, the words the
provider answers and acts on by itself (the bot must not answer them too).

Standard library only; each implementation keeps its provider's library to itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol, runtime_checkable

from bot.message import (
    ChannelEvent,
    DeliveryError,
    Ignored,
    InboundMessage,
    OutboundMessage,
    StatusUpdate,
)

Parsed = InboundMessage | ChannelEvent | StatusUpdate | Ignored


class ErrorKind(str, Enum):
    """What a failed send (or a failure reported later by a status callback) means."""

    RETRY = "retry"  # an outage, a rate limit: the same address, later
    FAILED = "failed"  # this message cannot go this way (bad request, no template); the address is fine
    UNREACHABLE = "unreachable"  # the address is dead for us: bot blocked, number invalid
    OPTED_OUT = "opted_out"  # the person opted out at the provider (e.g. STOP answered by Twilio)


@dataclass(frozen=True)
class WebhookRequest:
    """One webhook call as the provider made it. `url` is the public URL the provider called
    (rebuilt from the configured public base URL: behind a proxy the app sees another one)."""

    method: str
    url: str
    path: str
    headers: Mapping[str, str]  # case-insensitive lookups are the caller's job: give lower-case keys
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class WebhookAnswer:
    """What the provider expects back once the request is accepted."""

    body: str
    media_type: str = "application/json"


@dataclass(frozen=True)
class Webhook:
    """A URL path (under /webhooks/) where the provider calls this channel."""

    path: str
    answer: WebhookAnswer | None = None  # None: a JSON summary of what was done
    # The largest body the provider sends here: anything bigger is refused (413) before it is read.
    max_bytes: int = 64 * 1024
    # A header every genuine call carries (the provider's signature or secret): a call without it
    # is refused (403) before its body is read.
    required_header: str | None = None
    # True when verify() needs only the headers (a shared secret): it then runs before the body
    # is read, so an unauthenticated caller costs nothing.
    verify_headers_only: bool = False
    # The request as the provider makes it, for the OpenAPI schema only (the route reads the raw
    # body): an OpenAPI operation fragment with its `parameters` and `requestBody`.
    openapi: Mapping[str, Any] | None = field(default=None, compare=False)


@runtime_checkable
class Channel(Protocol):
    name: str  # the channel's name in the roster and the store: "telegram", "sms", ...
    webhooks: tuple[Webhook, ...]  # where the provider calls us; () for none
    opt_out_words: frozenset[str]  # words the provider answers and acts on itself

    def ready(self) -> str | None:
        """None when the channel can send; otherwise what to configure."""
        ...

    def verify(self, request: WebhookRequest) -> None:
        """Raise WebhookRejected unless the request is authentic."""
        ...

    def parse(self, request: WebhookRequest) -> list[Parsed]:
        """What an authentic request says, as bot.message types."""
        ...

    def send(self, message: OutboundMessage) -> str:
        """Send; the provider's id for the message. Raises DeliveryError."""
        ...

    def classify(self, error: DeliveryError) -> ErrorKind:
        """What a failed send, or a failure the provider reported later, means for the address."""
        ...

    def close(self) -> None: ...


def not_ready(channel: str, hint: str) -> DeliveryError:
    """The error a channel raises when asked to send while its settings are incomplete."""
    return DeliveryError(f"{channel} is not configured: {hint}", permanent=True, code="unconfigured")
