"""Which sender serves which channel, from settings; and the pacer that keeps them under their limits."""
from __future__ import annotations

from bot.handlers.simulator import SimulatorSender
from bot.handlers.telegram import TelegramSender
from bot.handlers.twilio import TwilioSender
from bot.message import DeliveryError, OutboundMessage
from backend.config import Settings
from backend.jobs.pacing import LocalPacer, RedisPacer


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
    twilio = None
    if settings.twilio_enabled:
        twilio = TwilioSender(account_sid=settings.twilio_account_sid, auth_token=settings.twilio_auth_token,
                              base_url=settings.twilio_api_base_url, sms_from=settings.twilio_sms_from,
                              messaging_service_sid=settings.twilio_messaging_service_sid,
                              whatsapp_from=settings.twilio_whatsapp_from,
                              status_callback=f"{settings.public_base_url}/webhooks/twilio/status")
    sms_ready = twilio and (settings.twilio_sms_from or settings.twilio_messaging_service_sid)
    senders["sms"] = twilio if sms_ready else Unconfigured(
        "sms", "set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID")
    senders["whatsapp"] = twilio if twilio and settings.twilio_whatsapp_from else Unconfigured(
        "whatsapp", "set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM")
    return senders


def configured(senders: dict) -> set[str]:
    return {name for name, sender in senders.items() if not isinstance(sender, Unconfigured)}


def build_pacer(settings: Settings):
    """Shared by every worker through Redis when there is one; in this process otherwise."""
    if settings.redis_url:
        from redis import Redis

        return RedisPacer(Redis.from_url(settings.redis_url))
    return LocalPacer()
