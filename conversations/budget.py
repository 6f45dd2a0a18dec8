"""Messages that list titles (the weekly prompt, STATUS) are fitted to the SMS budget: one GSM-7
segment, or two when the language needs UCS-2. Titles are shortened only as far as needed, so a
short list keeps its titles whole."""

from __future__ import annotations

from collections.abc import Callable

from bot.segments import count_segments, fold_to_gsm

TITLE_LONGEST, TITLE_SHORTEST = 40, 12


def fits(text: str) -> bool:
    """Within budget as sent with the default folding (typographic punctuation to GSM-7)."""
    count = count_segments(fold_to_gsm(text))
    return count.segments <= (1 if count.encoding == "GSM-7" else 2)


def cut(title: str, limit: int = TITLE_LONGEST) -> str:
    return title if len(title) <= limit else title[: limit - 3].rstrip() + "..."


def fitted(render: Callable[[int], str]) -> str:
    """render(title_limit) with the longest title limit whose text fits the budget (at worst the
    shortest limit: a list too long for any budget is still sent whole)."""
    for limit in range(TITLE_LONGEST, TITLE_SHORTEST - 1, -1):
        text = render(limit)
        if fits(text):
            return text
    return render(TITLE_SHORTEST)
