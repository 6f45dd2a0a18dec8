"""Fitting a message to what carries it, and the SMS budget every message keeps.

In a chat app (Telegram, WhatsApp, the simulator) titles and places are shown in full, within the
app's own limit. By SMS every message keeps these rules, checked for every message kind in every
language by tests/test_segment_budgets.py and, over generated values, by
tests/test_sms_budget_property.py (docs/sms-segments.md has the table):

1. The budget: **one segment in English, two in every other language** (`budget`), as sent with
   the default SMS_FOLD=punctuation (typographic quotes, dashes and spaces folded to GSM-7).
2. Data in a GSM-7 language. English and Swahili write all their own words in GSM-7
   (`gsm_language`: every message of the catalogue, every month and day name). A letter outside
   GSM-7 in a name, title or place ("Muğla", "Łukasz", "Győr") would turn the whole SMS into
   UCS-2, 67 characters a segment instead of 153: such a message is sent with those letters
   written with their base letter (ğ->g, ł->l, ő->o) when that makes all of it GSM-7 (`sms_text`,
   which the send uses). Letters with no GSM-7 form (Arabic or Thai in a title, an emoji) leave
   it UCS-2: it then keeps the characters of its budget rather than its segments (English 160
   characters: 3 UCS-2 segments; Swahili 306: 5). Every other language is sent as written, UCS-2
   when it needs it (French ç and "août", Spanish and Portuguese accents, Arabic, Thai), within its
   two segments whatever the data.
3. Lists (the weekly prompt, STATUS, the report's choice, the lists of invitations, the
   invitation itself, the next action asked for) are fitted by `fitted`: titles are shortened
   only as far as needed (an action's short title first, when the secretariat gave one), from 40
   characters down to 12, for the text to be one GSM-7 segment, or two when it is UCS-2, in any
   language, however it is sent (rule 2 or as written). A list too long for that even at 12
   characters is sent whole, never dropped: in the fewest segments that hold it, with the longest
   titles those segments hold.
4. What is never cut may cost more, by rule (`budget`'s arguments): a message listing more than
   FREE_ITEMS (3) short items (actions, clusters, answers echoed and their figures, numbers that are
   no action, languages) may take one more segment per EXTRA_PER (2) further items; each line given
   to something awaiting an answer (a meeting invitation, in a list or in STATUS; the weekly
   update in STATUS) may take one more; each name longer than NAME_FREE (20) characters (a
   substitute's, the lead's, a first name) one more. Titles are cut (rule 3), and so are places
   (30 or 40 characters). MECHANISM_NAME is measured at its default: a longer one lengthens the
   messages that name it (README).
5. SMS_FOLD=accents also folds the language's own accents (fewer segments, unaccented text);
   SMS_FOLD=none sends the text exactly as written (no folding at all, rule 2 included).
6. A link is never cut (a cut link is useless): a meeting's place that is a link (`is_link`:
   `http://...`, `https://...`, `www....`, one word) goes whole into every SMS that names the
   place (the invitation, its follow-up, reminder, change and the answer to YES), within
   directional isolates in Arabic like any Latin value. What gives way is the rest: the title is
   shortened first (rule 3, down to 12 characters; a notice carries no agenda, the agenda goes
   by AGENDA in messages of its own). When the message still does not fit, it takes the segments
   the link itself needs and no more: the budget grows by the link's length in segments
   (`link_segments`: 153 characters a GSM-7 segment, 67 a UCS-2 one), so a 90-character link
   costs one more segment in English and two more in Arabic. A venue that is not a link is cut
   as before (rule 4)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import cache

from bot.segments import count_segments, fold_to_gsm, is_gsm7
from conversations.i18n import locale_of, translations
from conversations.views import SMS, ActionView

TITLE_LONGEST, TITLE_SHORTEST = 40, 12
# WhatsApp's limit for one message (Telegram's is 4,096): a chat message never exceeds it.
CHAT_LIMIT = 1600

BUDGETS = {"en": 1}  # segments by SMS; every other language:
OTHER_LANGUAGES = 2
FREE_ITEMS = 3  # a list of up to this many items keeps the budget...
EXTRA_PER = 2  # ...and may take one more segment per this many further items
# ...and each line given to something awaiting an answer (a meeting, the weekly update) one more.
NAME_FREE = 20  # a name up to this long keeps the budget; a longer one may add a segment
GSM7_CHARACTERS = (160, 153)  # one segment, each segment of several
UCS2_PER_SEGMENT = 67

Limit = int | None  # how long a title may be; None: in full


@cache
def gsm_language(language: str) -> bool:
    """Whether the language writes all its own words in GSM-7 (after the default folding of
    typographic punctuation): every message of its catalogue, and its month and day names. A
    language without a catalogue reads another's (DEFAULT_LANGUAGE's): not known to be GSM-7."""
    catalogue = getattr(translations(language, language), "_catalog", None)  # gettext's messages
    if catalogue is None and language != "en":  # English without a catalogue: the source strings
        return False
    words = [text for key, text in (catalogue or {}).items() if key]
    locale = locale_of(language)
    if locale is not None:
        for names in (locale.months, locale.days):
            for context in names.values():
                for width in context.values():
                    words += width.values()
    return all(is_gsm7(fold_to_gsm(text)) for text in words)


def sms_text(text: str, language: str, fold: str = "punctuation") -> str:
    """The text as sent by SMS under SMS_FOLD `fold` (rule 2): typographic punctuation folded
    ("punctuation", the default), in a GSM-7 language also the data's accents when that makes the
    whole text GSM-7; every accent ("accents"); nothing ("none")."""
    if fold == "none":
        return text
    sent = fold_to_gsm(text, accents=fold == "accents")
    if not is_gsm7(sent) and gsm_language(language):
        folded = fold_to_gsm(text, accents=True)
        if is_gsm7(folded):
            return folded
    return sent


def budget(
    language: str, encoding: str = "GSM-7", items: int = 0, pending: int = 0, long_names: int = 0, links: int = 0
) -> int:
    """The segments a message may take by SMS (rules 1, 2, 4 and 6): in `language`, sent in
    `encoding`, listing `items` short items and `pending` lines for things awaiting an answer,
    holding `long_names` names longer than NAME_FREE characters and links that take `links`
    segments of their own (`link_segments`)."""
    segments = BUDGETS.get(language, OTHER_LANGUAGES)
    if encoding == "UCS-2" and gsm_language(language):
        single, each = GSM7_CHARACTERS
        segments = math.ceil((single if segments == 1 else each * segments) / UCS2_PER_SEGMENT)
    return segments + math.ceil(max(0, items - FREE_ITEMS) / EXTRA_PER) + pending + long_names + links


def _ways(text: str) -> tuple[str, str]:
    """`text` as sent by default in a GSM-7 language (its data's accents folded when that makes it
    GSM-7, rule 2) and in another language (as written, punctuation folded)."""
    written = fold_to_gsm(text)
    if is_gsm7(written):
        return written, written
    folded = fold_to_gsm(text, accents=True)
    return (folded if is_gsm7(folded) else written), written


def _over(text: str) -> tuple[int, int]:
    """How many segments beyond one GSM-7 segment (two UCS-2) the text takes, each way it may be
    sent (rule 3's target, the same in every language: the language of a list is not known here)."""
    counts = [count_segments(way) for way in _ways(text)]
    gsm, other = (max(0, c.segments - (1 if c.encoding == "GSM-7" else 2)) for c in counts)
    return gsm, other


def fits(text: str, extra: tuple[int, int] = (0, 0)) -> bool:
    """Within one GSM-7 segment, or two UCS-2 (plus `extra` segments, in a GSM-7 language and in
    another), however it is sent by default."""
    gsm, other = _over(text)
    return gsm <= extra[0] and other <= extra[1]


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


LINK = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)


def is_link(text: str) -> bool:
    """A web address (rule 6): never cut."""
    return bool(LINK.match(text.strip()))


def place_text(place: str, medium: str, limit: int) -> str:
    """A meeting's place as a message shows it: a link whole (rule 6); a venue cut to `limit` by SMS."""
    return place if is_link(place) else cut(place, place_limit(medium, limit))


def link_segments(link: str, encoding: str) -> int:
    """The segments a link takes of its own in a message sent in `encoding` (rule 6)."""
    return math.ceil(len(link) / (GSM7_CHARACTERS[1] if encoding == "GSM-7" else UCS2_PER_SEGMENT))


def fitted(render: Callable[[Limit], str], medium: str = SMS) -> str:
    """render(title_limit) with the longest title limit that fits: in full in a chat when within
    its limit; by SMS within one GSM-7 segment or two UCS-2, or, when even the shortest titles do
    not fit that, within the fewest segments that hold it (rule 3)."""
    if medium != SMS:
        for limit in (None, *range(TITLE_LONGEST, TITLE_SHORTEST - 1, -1)):
            chat = render(limit)
            if len(chat) <= CHAT_LIMIT:
                return chat
        return chat
    at = cache(render)
    # A longer limit never makes the text shorter nor cheaper: the longest that fits, by bisection.
    extra = _over(at(TITLE_SHORTEST))
    low, high = TITLE_SHORTEST, TITLE_LONGEST + 1  # at(low) fits; at(high) does not, or is past the longest
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(at(middle), extra) else (low, middle)
    return at(low)
