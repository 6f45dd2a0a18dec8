"""AWAY and BACK: a focal point says when they are away; meanwhile their substitute gets their
prompts. Dates are read the way the person writes them: an ISO date, day and month in their
locale's order (`AWAY 15/12`), a month name (`AWAY 15 December`), or a weekday
(`AWAY until Friday`), in their language or any other supported one."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date

from conversations.i18n import T, available_languages
from conversations.parse import _scan, _tokens, normalise
from conversations.views import AvailabilityChanged, Outcome, PersonView, Reply

NUMERIC = re.compile(r"(\d{1,4})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?")


@cache
def _names(kind: str) -> dict[str, int]:
    """Normalised weekday (0 = Monday) or month (1-12) names, wide and abbreviated, every language."""
    found: dict[str, int] = {}
    for code in available_languages():
        table = getattr(Locale.parse(code), kind)["format"]
        for width in ("wide", "abbreviated"):
            for number, name in table[width].items():
                key = normalise(name).strip(".").split("-")[0]
                if len(key) >= 3:
                    found.setdefault(key, number)
    return found


@cache
def _day_first(language: str) -> bool:
    if language == "en":  # international English, as written in most countries we serve
        return True
    pattern = Locale.parse(language).date_formats["short"].pattern
    return pattern.lower().index("d") < pattern.lower().index("m")


def _year_for(day: int, month: int, today: date) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None


def read_date(text: str, language: str, today: date) -> date | None:
    """The first date in `text`, never in the past; None when there is none."""
    norm = normalise(text)
    iso = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", norm)
    if iso:
        try:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            return None
    numeric = NUMERIC.search(norm)
    if numeric:
        a, b = int(numeric[1]), int(numeric[2])
        day, month = (a, b) if _day_first(language) or a > 12 else (b, a)
        if numeric[3]:
            year = int(numeric[3]) + (2000 if len(numeric[3]) == 2 else 0)
            try:
                return date(year, month, day)
            except ValueError:
                return None
        return _year_for(day, month, today)
    words = [tok.text for tok in _tokens(norm)]
    months, weekdays = _names("months"), _names("days")
    for i, word in enumerate(words):
        if word in months and i > 0 and words[i - 1].isdigit():
            return _year_for(int(words[i - 1]), months[word], today)
        if word in weekdays:
            ahead = (weekdays[word] - today.weekday()) % 7 or 7
            return today + timedelta(days=ahead)
    return None


# Words besides the date an AWAY command may carry ("absent jusqu'au 15/12", "away until Friday"),
# and besides no date at all ("away soon": the bot asks until when). More is a sentence that
# merely starts with the word ("Absent de la réunion car malade..."), not the command.
WORDS_WITH_A_DATE, WORDS_WITHOUT = 4, 2


def handle(person: PersonView, text: str, now: datetime) -> Outcome | None:
    """AWAY <date> / BACK; None when the message is neither. They are commands only when the
    message is the command: BACK alone; AWAY alone, or with a date and a few words around it."""
    tokens = _tokens(normalise(text))
    found = _scan(tokens, 0, ("away", "back"), person.language, fuzzy=False) if tokens else None
    if not found:
        return None
    rest = tokens[found[1] :]
    words = [tok for tok in rest if not tok.is_number]
    if found[0] == "back" and rest:
        return None  # "Retour du ministre prévu lundi" is a note, not BACK
    today = now.astimezone(ZoneInfo(person.timezone)).date()
    until = read_date(text[tokens[found[1] - 1].end :], person.language, today) if rest else None
    if found[0] == "away" and len(words) > (WORDS_WITH_A_DATE if until else WORDS_WITHOUT):
        return None
    t = T(person.language, person.fallback_language)
    if found[0] == "back":
        return Outcome(
            state=None,
            replies=[Reply(t("Welcome back. Your prompts come to you again."))],
            events=[AvailabilityChanged(None)],
        )
    if until is None or until < today:
        later = today + timedelta(days=14)
        example = f"{later.day}/{later.month}" if _day_first(person.language) else f"{later.month}/{later.day}"
        return Outcome(
            state=None,
            replies=[
                Reply(t("Until when? Send AWAY and the date of your return, e.g. AWAY {example}.", example=example))
            ],
        )
    return Outcome(
        state=None,
        events=[AvailabilityChanged(until)],
        replies=[
            Reply(
                t(
                    "Noted: you are away until {date}. Your substitute gets your prompts; send BACK when you return.",
                    date=format_date(until, "medium", locale=person.language),
                )
            )
        ],
    )
