"""The channel-agnostic message model shared by every provider handler.

Handlers turn provider payloads into these types and send these types; nothing provider-specific
(no PTB object, no Twilio object, no raw dict) crosses this boundary. Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class Channel(str, Enum):
    """The names of the channels the shipped handlers serve. A channel added later is named by
    its handler (`bot.channel.Channel.name`); an Address then carries that name as a plain str."""

    TELEGRAM = "telegram"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    SIMULATOR = "simulator"


@dataclass(frozen=True)
class Address:
    """Where a person is reached on one channel: a Telegram chat id, an E.164 phone number..."""

    channel: Channel | str
    id: str

    @classmethod
    def of(cls, channel: str, id: str) -> Address:
        """The address for a stored channel name (the enum member when it is a known one)."""
        return cls(Channel(channel) if channel in Channel._value2member_map_ else channel, id)

    @property
    def channel_name(self) -> str:
        return self.channel.value if isinstance(self.channel, Channel) else self.channel

    def __str__(self) -> str:
        return f"{self.channel_name}:{self.id}"


@dataclass(frozen=True)
class Contact:
    """A phone number shared by the sender. `own` is true only when the provider vouches that the
    number belongs to the sender (Telegram: contact.user_id equals the sender's id)."""

    phone: str
    own: bool


class ContentKind(str, Enum):
    TEXT = "text"
    COMMAND = "command"  # e.g. Telegram /start
    CONTACT = "contact"
    UNSUPPORTED = "unsupported"  # sticker, photo, voice, location...: we need text


@dataclass(frozen=True)
class InboundMessage:
    """One message a person sent us."""

    address: Address
    provider_id: str  # unique per channel; the de-duplication key
    kind: ContentKind
    text: str = ""
    contact: Contact | None = None
    sender_name: str = ""
    received_at: datetime | None = None
    edited: bool = False


class EventKind(str, Enum):
    STOP = "stop"
    START = "start"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class ChannelEvent:
    """Something a channel tells us about an address that is not a message (bot blocked...)."""

    address: Address
    provider_id: str
    kind: EventKind


@dataclass(frozen=True)
class Ignored:
    """A webhook delivery that carries nothing for us (e.g. a Telegram update type we do not use).
    It is still acknowledged so that the provider stops retrying."""

    reason: str


@dataclass(frozen=True)
class ReplyButton:
    """A one-tap reply. Channels without buttons show nothing: every button's effect must also be
    reachable by typing."""

    text: str
    request_contact: bool = False


@dataclass(frozen=True)
class Template:
    """A pre-approved WhatsApp template (Twilio Content API): the only thing a business may send
    outside the 24-hour window after the person's last message."""

    content_sid: str
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundMessage:
    address: Address
    text: str
    key: str  # our unique key: lets a provider-side or store-side check spot a resend
    buttons: tuple[ReplyButton, ...] = field(default_factory=tuple)
    template: Template | None = None


class DeliveryStatus(str, Enum):
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"


@dataclass(frozen=True)
class StatusUpdate:
    """A provider's report on a message we sent."""

    channel: Channel
    provider_id: str
    status: DeliveryStatus
    error_code: str = ""


class UnknownStatus(Exception):
    """A status report with a status this code does not know: an error to log and record, never
    silence."""

    def __init__(self, provider_id: str, status: str):
        super().__init__(f"unknown delivery status {status!r} for {provider_id}")
        self.provider_id, self.status = provider_id, status


class DeliveryError(Exception):
    """A send that did not go through. `permanent` errors must not be retried on this address."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        code: str = "",
        retry_after: float | None = None,
        provider_wide: bool = False,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.retry_after = retry_after
        # The provider took no message just then (a rate limit, an outage, no network): the
        # channel waits, and this message does not use up its attempts.
        self.provider_wide = provider_wide


class WebhookRejected(Exception):
    """A webhook request that is not authentic or cannot be read. `status` is the HTTP answer."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status
