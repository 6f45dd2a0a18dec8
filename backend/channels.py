"""Which sender serves which channel, from settings."""
from __future__ import annotations

from bot.handlers.simulator import SimulatorSender
from bot.handlers.telegram import TelegramSender
from bot.message import DeliveryError, OutboundMessage
from backend.config import Settings


class Unconfigured:
    """Stands in for a channel whose settings are missing: every send fails permanently, saying why."""

    def __init__(self, channel: str, hint: str):
        self.channel, self.hint = channel, hint

    def send(self, message: OutboundMessage) -> str:
        raise DeliveryError(f"{self.channel} is not configured: {self.hint}", permanent=True, code="unconfigured")


def build_senders(settings: Settings) -> dict:
    senders: dict = {"simulator": SimulatorSender()}
    if settings.telegram_bot_token:
        senders["telegram"] = TelegramSender(settings.telegram_bot_token, settings.telegram_api_base_url)
    else:
        senders["telegram"] = Unconfigured("telegram", "set TELEGRAM_BOT_TOKEN")
    for channel in ("sms", "whatsapp"):
        senders[channel] = Unconfigured(channel, "SMS and WhatsApp sending is not available yet")
    return senders
