"""What a meeting's fields may hold, checked before anything is written: MeetingError says what
to change."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

AGENDA_ITEMS_MAX, AGENDA_ITEM_MAX = 30, 500


class MeetingError(ValueError):
    """A meeting that cannot be created, changed or sent as asked; the message says what to change."""


def agenda_items(items: Iterable[str]) -> list[str]:
    agenda = [" ".join(item.split()) for item in items if item and item.strip()]
    if len(agenda) > AGENDA_ITEMS_MAX:
        raise MeetingError(f"an agenda has at most {AGENDA_ITEMS_MAX} items; this one has {len(agenda)}")
    for n, item in enumerate(agenda, 1):
        if len(item) > AGENDA_ITEM_MAX:
            raise MeetingError(f"agenda item {n} is {len(item)} characters long; write at most {AGENDA_ITEM_MAX}")
    return agenda


def zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise MeetingError(f'no time zone "{name}"; give an IANA name such as Africa/Nairobi') from None
    return name


def text(value: str, what: str) -> str:
    if not value.strip():
        raise MeetingError(f"a meeting needs a {what}")
    return " ".join(value.split())[:200]


def starts(starts_at: datetime, now: datetime) -> datetime:
    if starts_at.tzinfo is None:
        raise MeetingError("the start time needs a time zone")
    if starts_at <= now:
        raise MeetingError(f"the meeting starts in the past ({starts_at:%Y-%m-%d %H:%M %Z}); give a future time")
    return starts_at.astimezone(UTC)
