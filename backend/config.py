"""Settings, read once from environment variables (and an optional `.env` file).

A missing or malformed setting stops start-up with one line naming the variable and what is
expected: see `load_settings`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError as PydanticSettingsError

from backend.rhythm import ScheduleError, parse_quiet_hours, parse_schedule

TELEGRAM_API = "https://api.telegram.org/bot"
TWILIO_API = "https://api.twilio.com"
SEGMENT_COST = re.compile(r"(\d{1,9}(?:\.\d{1,6})?)(?: (\S{1,10}))?")


class SettingsError(Exception):
    """One line naming the variable at fault and what is expected."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///var/nmirf.db"
    redis_url: str = ""  # empty: jobs run in-process (embedded default)
    public_base_url: str = "http://127.0.0.1:8000"
    telegram_bot_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_base_url: str = TELEGRAM_API
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_sms_from: str = ""  # an E.164 number, or use a messaging service:
    twilio_messaging_service_sid: str = ""
    twilio_whatsapp_from: str = ""  # E.164 number of the WhatsApp sender
    twilio_api_base_url: str = TWILIO_API
    # Approved WhatsApp templates per message kind and language, for messages the bot starts
    # outside the 24-hour window: {"weekly_prompt": {"en": "HX...", "fr": "HX..."}}
    whatsapp_templates: dict[str, dict[str, str]] = {}
    sms_fold: str = "punctuation"  # none | punctuation | accents: fold SMS text to GSM-7
    telegram_rate: float = 30.0  # messages per second, whole bot
    telegram_chat_rate: float = 1.0  # messages per second, one chat
    sms_rate: float = 1.0  # SMS segments per second (Twilio long code: 1)
    whatsapp_rate: float = 10.0  # messages per second
    # What one SMS segment costs, for broadcast previews: "0.05 USD"; empty: segments only.
    sms_segment_cost: str = ""
    # What messages call the mechanism ("Please ask your NMIRF secretariat"): its national name.
    mechanism_name: str = "NMIRF"
    default_language: str = "en"
    default_timezone: str = "UTC"
    session_timeout_hours: int = 72  # a waiting conversation expires after this
    # The rhythm (backend/rhythm.py): when institutions are asked, in their lead's time zone.
    scheduler_enabled: bool = True  # the sweep also opens rounds, reminds and escalates
    reporting_schedule: str = "weekly mon 09:00"
    quiet_hours: str = "20:00-07:00"  # local time; empty: none
    reminder_delays_hours: list[float] = [24.0, 72.0]  # after the prompt, while nobody answered
    escalation_delay_hours: float = 24.0  # after the last reminder (then between substitutes)
    digest_schedule: str = "weekly fri 16:00"  # the secretariat's digest, in each one's time zone
    # Meetings (backend/schedule/meetings.py): an invitation still unanswered this long after it
    # was sent gets one follow-up (0: none); still unanswered this long before the meeting, it goes
    # to the substitute (0: never); who confirmed is reminded this long before (a list, [] none).
    meeting_follow_up_hours: float = 48.0
    meeting_substitute_deadline_hours: float = 72.0
    meeting_reminder_hours: list[float] = [48.0, 2.0]
    # The simulator channel (a pretend phone, for the demo and tests): off unless switched on;
    # when off its routes do not exist and nobody is found through it.
    simulator_enabled: bool = False
    # The secretariat's pages: a signed-in browser is signed out after this long unused, and
    # after this long in any case.
    admin_idle_minutes: float = 30.0
    admin_absolute_hours: float = 12.0
    send_max_attempts: int = 5
    send_lease_seconds: float = 60.0  # a send not finished in this time is tried again
    sweep_interval_seconds: float = 30.0
    stale_after_seconds: float = 20.0  # an inbox/outbox row no queue or live worker holds, this old, is re-enqueued

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, v: str) -> str:
        if not v.startswith(("sqlite:", "postgresql", "postgres://")):
            raise ValueError("expected sqlite:///path.db or postgresql+psycopg://user:pass@host/db")
        if v.startswith("postgresql://") or v.startswith("postgres://"):
            v = "postgresql+psycopg://" + v.split("://", 1)[1]
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: str) -> str:
        if v and not v.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected redis://host:port/db, or leave empty to run jobs in-process")
        return v

    @field_validator("reporting_schedule", "digest_schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        try:
            return str(parse_schedule(v))
        except ScheduleError as e:
            raise ValueError(str(e)) from None

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, v: str) -> str:
        if v.strip():
            try:
                parse_quiet_hours(v)
            except ScheduleError as e:
                raise ValueError(str(e)) from None
        return v.strip()

    @field_validator("reminder_delays_hours")
    @classmethod
    def _reminders(cls, v: list[float]) -> list[float]:
        if any(d <= 0 for d in v) or v != sorted(v):
            raise ValueError("expected increasing positive hours after the prompt, e.g. [24, 72]")
        return v

    @field_validator("meeting_follow_up_hours", "meeting_substitute_deadline_hours")
    @classmethod
    def _meeting_delay(cls, v: float) -> float:
        if v < 0:
            raise ValueError("expected hours, 0 or more (0 turns it off)")
        return v

    @field_validator("meeting_reminder_hours")
    @classmethod
    def _meeting_reminders(cls, v: list[float]) -> list[float]:
        if any(h <= 0 for h in v) or len(set(v)) != len(v):
            raise ValueError("expected different positive hours before the meeting, e.g. [48, 2], or []")
        return sorted(v, reverse=True)

    @field_validator("sms_fold")
    @classmethod
    def _fold(cls, v: str) -> str:
        if v not in ("none", "punctuation", "accents"):
            raise ValueError("expected none, punctuation or accents")
        return v

    @field_validator("telegram_rate", "telegram_chat_rate", "sms_rate", "whatsapp_rate")
    @classmethod
    def _rate(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("expected a rate above 0 (messages or segments per second)")
        return v

    @field_validator("sms_segment_cost")
    @classmethod
    def _segment_cost(cls, v: str) -> str:
        v = " ".join(v.split())
        if v and not SEGMENT_COST.fullmatch(v):
            raise ValueError('expected an amount and, optionally, its currency, e.g. "0.05 USD", or leave it empty')
        return v

    @property
    def sms_segment_price(self) -> tuple[Decimal, str] | None:
        """(amount, currency) of one SMS segment, or None when SMS_SEGMENT_COST is empty."""
        found = SEGMENT_COST.fullmatch(self.sms_segment_cost)
        return (Decimal(found.group(1)), found.group(2) or "") if found else None

    @field_validator("twilio_sms_from", "twilio_whatsapp_from")
    @classmethod
    def _e164(cls, v: str) -> str:
        v = v.removeprefix("whatsapp:")
        if v and not (v.startswith("+") and v[1:].isdigit()):
            raise ValueError("expected an E.164 phone number such as +15005550006")
        return v

    @model_validator(mode="after")
    def _twilio_complete(self):
        if self.twilio_account_sid and not self.twilio_auth_token:
            raise ValueError(
                "TWILIO_AUTH_TOKEN: required when TWILIO_ACCOUNT_SID is set "
                "(it authenticates sends and Twilio's webhooks)"
            )
        if self.twilio_account_sid and not (
            self.twilio_sms_from or self.twilio_messaging_service_sid or self.twilio_whatsapp_from
        ):
            raise ValueError(
                "TWILIO_SMS_FROM: set it, TWILIO_MESSAGING_SERVICE_SID or TWILIO_WHATSAPP_FROM to send through Twilio"
            )
        return self

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @field_validator("public_base_url", "telegram_api_base_url", "twilio_api_base_url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return v.rstrip("/")

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _secret(cls, v: str) -> str:
        # Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and -.
        if v and (len(v) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in v)):
            raise ValueError("expected 1-256 characters from A-Z, a-z, 0-9, _ and -")
        return v

    @field_validator("mechanism_name")
    @classmethod
    def _mechanism(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v or len(v) > 40:
            raise ValueError("expected the mechanism's name as officials know it, 1-40 characters (it is sent by SMS)")
        return v

    @field_validator("default_language")
    @classmethod
    def _language(cls, v: str) -> str:
        try:
            Locale.parse(v)
        except (ValueError, UnknownLocaleError):
            raise ValueError("expected a language code such as en, fr, es, pt or ar") from None
        return v

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Africa"
            raise ValueError("expected an IANA time zone such as Africa/Nairobi or UTC") from None
        return v


def load_settings(**overrides) -> Settings:
    """Read settings; raise SettingsError with one line per the first bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        if err["loc"]:
            name = str(err["loc"][0]).upper()
        else:  # a check across several settings names its variable itself
            name, _, msg = msg.partition(": ")
        raise SettingsError(f"{name}: {msg}") from None
    except PydanticSettingsError as exc:  # a JSON-valued variable that is not JSON
        found = re.search(r'field "(\w+)"', str(exc))
        name = found.group(1).upper() if found else "settings"
        raise SettingsError(f'{name}: expected JSON, e.g. {{"weekly_prompt": {{"en": "HX..."}}}}') from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
