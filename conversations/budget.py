"""Fitting a message to what carries it.

By SMS, a message that lists titles (the weekly prompt, STATUS, invitations) keeps the segment
budget: one GSM-7 segment, or two when the language needs UCS-2. Titles are shortened only as
far as needed (an action's short title first, when the secretariat gave one), so a short list
keeps its titles whole. In a chat app (Telegram, WhatsApp, the simulator) titles and places are
shown in full, within the app's own limit."""

from __future__ import annotations

from collections.abc import Callable

from bot.segments import count_segments, fold_to_gsm
from conversations.views import SMS, ActionView

TITLE_LONGEST, TITLE_SHORTEST = 40, 12
# WhatsApp's limit for one message (Telegram's is 4,096): a chat message never exceeds it.
CHAT_LIMIT = 1600

Limit = int | None  # how long a title may be; None: in full


def fits(text: str) -> bool:
    """Within the SMS budget as sent with the default folding (typographic punctuation to GSM-7)."""
    count = count_segments(fold_to_gsm(text))
    return count.segments <= (1 if count.encoding == "GSM-7" else 2)


def cut(title: str, limit: Limit = TITLE_LONGEST) -> str:
    if limit is None or len(title) <= limit:
        return title
    return title[: limit - 3].rstrip() + "..."


def title_of(action: ActionView, limit: Limit) -> str:
    """The action's full title in a chat; by SMS its short title, if any, cut to `limit`."""
    return action.title if limit is None else cut(action.short_title or action.title, limit)


def place_limit(medium: str, limit: int) -> Limit:
    """A place or name is cut to `limit` by SMS only."""
    return limit if medium == SMS else None


def fitted(render: Callable[[Limit], str], medium: str = SMS) -> str:
    """render(title_limit) with the longest title limit that fits: in full in a chat when within
    its limit; by SMS within the segment budget (at worst the shortest limit: a list too long for
    any budget is still sent whole, in as many segments as it takes)."""
    if medium != SMS:
        text = render(None)
        if len(text) <= CHAT_LIMIT:
            return text
    for limit in range(TITLE_LONGEST, TITLE_SHORTEST - 1, -1):
        text = render(limit)
        if fits(text) if medium == SMS else len(text) <= CHAT_LIMIT:
            return text
    return render(TITLE_SHORTEST)
