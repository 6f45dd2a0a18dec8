"""Which channel carries a message the bot starts (prompt, reminder, agenda): the person's
channels in order of preference, skipping those opted out, unreachable, not configured, or (on
WhatsApp outside the 24-hour window) without an approved template for this kind and language."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.outbox import addresses
from backend.roster.models import Person
from bot.message import Template


@dataclass(frozen=True)
class Route:
    channel: str
    address: str
    template: Template | None = None


def address_of(person: Person, channel: str) -> str | None:
    if channel == "telegram":
        return str(person.telegram_user_id) if person.telegram_user_id else None
    return person.phone


def template_for(settings: Settings, kind: str, language: str, person: Person, text: str) -> Template | None:
    """The approved template for this kind; variables {{1}} first name, {{2}} the message on one line."""
    sids = settings.whatsapp_templates.get(kind, {})
    sid = sids.get(language) or sids.get(settings.default_language)
    if not sid:
        return None
    one_line = " / ".join(line.strip() for line in text.splitlines() if line.strip())
    return Template(sid, {"1": person.name.split()[0], "2": one_line})


def plan(
    session: Session,
    *,
    person: Person,
    kind: str,
    text: str,
    now: datetime,
    settings: Settings,
    configured: set[str],
    tried: Set[str] = frozenset(),
) -> tuple[list[Route], list[str]]:
    """Usable routes in order, and a reason for each channel left out."""
    routes, reasons = [], []
    for channel in person.channel_list:
        if channel in tried:
            continue
        if channel not in configured:
            reasons.append(f"{channel}: not configured")
            continue
        address = address_of(person, channel)
        if address is None:
            reasons.append(
                f"{channel}: no address (Telegram not linked yet)"
                if channel == "telegram"
                else f"{channel}: no phone number"
            )
            continue
        state = addresses.get(session, channel=channel, address=address)
        why = addresses.why_not(state)
        if why:
            reasons.append(f"{channel}: {why}")
            continue
        template = None
        if channel == "whatsapp" and not addresses.window_open(state, now):
            template = template_for(settings, kind, person.language, person, text)
            if template is None:
                reasons.append(f"whatsapp: outside the 24-hour window and no template for {kind} in {person.language}")
                continue
        routes.append(Route(channel, address, template))
    return routes, reasons
