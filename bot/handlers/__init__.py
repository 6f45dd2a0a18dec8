"""One module per provider, each implementing bot.channel.Channel: verify and parse a webhook into
bot.message types, send an OutboundMessage, classify provider errors. No database, no Redis, no
web framework here.

To add a channel: a module here with `NAMES` (the channel names it serves) and
`from_settings(settings)` (its channel objects, built from the settings it reads, which
backend/config.py declares), and one line in REGISTRY below. The back end then mounts
`/webhooks/<path>` for each of the channel's `webhooks`, accepts its name in the roster's
`channels` column, gives it its own bulk send queue, and sends through it by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from bot.channel import Channel
from bot.handlers import simulator, telegram, twilio

REGISTRY: tuple[ModuleType, ...] = (
    telegram,
    twilio,  # sms and whatsapp
    simulator,
)


def channel_names() -> tuple[str, ...]:
    """Every channel name a registered handler serves, in registry order."""
    return tuple(name for module in REGISTRY for name in module.NAMES)


def build(settings: Any) -> dict[str, Channel]:
    """One channel object per name, from the settings."""
    channels: dict[str, Channel] = {}
    for module in REGISTRY:
        factory: Callable[[Any], Sequence[Channel]] = module.from_settings
        for channel in factory(settings):
            channels[channel.name] = channel
    return channels
