"""AWAY and BACK: a focal point says when they are away; meanwhile their substitute gets their
prompts. Dates are read the way the person writes them: an ISO date, day and month in their
locale's order (`AWAY 15/12`), or in words (`AWAY 15 December`, `ausente hasta el 15 de
diciembre`, `absent jusqu'à vendredi`, `غائب حتى 15 ديسمبر`), in their language or any other
supported one (words through dateparser)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from conversations.i18n import T, available_languages, locale_of
from conversations.parse import DIGITS, _scan, _tokens, normalise, spaced
from conversations.views import AvailabilityChanged, Outcome, PersonView, Reply
from conversations.writing import full_date

NUMERIC = re.compile(r"(\d{1,4})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?")


@cache
def _day_first(language: str) -> bool:
    locale = locale_of(language)
    if language == "en" or locale is None:  # international English, as most countries we serve write it
        return True
    pattern = locale.date_formats["short"].pattern.lower()
    return pattern.index("d") < pattern.index("m")


def _year_for(day: int, month: int, today: date) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= today:
            return candidate
    return None


BUDDHIST_ERA_FROM = 2400


def _numeric(norm: str, language: str, today: date) -> date | None:
    """2026-12-15, 15/12, 15.12.2026 (day and month in the language's order)."""
    iso = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", norm)
    if iso:
        try:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            return None
    numeric = NUMERIC.search(norm)
    if not numeric:
        return None
    a, b = int(numeric[1]), int(numeric[2])
    day, month = (a, b) if _day_first(language) or a > 12 else (b, a)
    if numeric[3]:
        year = int(numeric[3]) + (2000 if len(numeric[3]) == 2 else 0)
        if year > BUDDHIST_ERA_FROM:  # a Buddhist-era year, as Thai officials write it (2569 = 2026)
            year -= 543
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return _year_for(day, month, today)


@cache
def _parser_languages() -> frozenset[str]:
    from dateparser.languages.loader import default_loader

    return frozenset(default_loader.get_locale_map().keys())


def _in_words(text: str, language: str, today: date) -> date | None:
    """A date in words, in the person's language first, then English, then every other one:
    "15 de diciembre", "le 15", "jusqu'à vendredi", "15 ديسمبر", "demain", "two weeks"."""
    import dateparser
    from dateparser.search import search_dates

    base = datetime(today.year, today.month, today.day)
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "RETURN_AS_TIMEZONE_AWARE": False}
    known = _parser_languages()
    order = [language, "en"] + [code for code in available_languages() if code not in (language, "en")]
    for code in (c for c in order if c in known):
        found = search_dates(text, languages=[code], settings=settings)
        if found:
            return found[0][1].date()
    # "le 15", "el 15": a day alone, which the search does not take for a date
    if re.search(r"\d", text):
        for code in (c for c in order if c in known):
            alone = dateparser.parse(text, languages=[code], settings=settings)
            if alone:
                return alone.date()
    return None


def read_date(text: str, language: str, today: date) -> date | None:
    """The first date in `text`, never in the past; None when there is none. Numbers are read
    here; words by dateparser, which knows every supported language's month and weekday names."""
    norm = normalise(text)
    if NUMERIC.search(norm):
        return _numeric(norm, language, today)
    if not text.strip():
        return None
    found = _in_words(spaced(text.translate(DIGITS)), language, today)
    return found if found is None or found >= today else None


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
            # TRANSLATORS: the answer to BACK. Sent by SMS: keep it as short as the English.
            replies=[Reply(t("Welcome back. Your weekly messages come to you again."))],
            events=[AvailabilityChanged(None)],
        )
    if until is None or until < today:
        later = today + timedelta(days=14)
        example = f"{later.day}/{later.month}" if _day_first(person.language) else f"{later.month}/{later.day}"
        return Outcome(
            state=None,
            replies=[
                # TRANSLATORS: {example}: a date two weeks ahead as the person writes it, e.g. "15/12". AWAY: your
                # language's away word. Sent by SMS: keep it as short as the English.
                Reply(t("Until when? Send AWAY and the date of your return, e.g. AWAY {example}.", example=example))
            ],
        )
    return Outcome(
        state=None,
        events=[AvailabilityChanged(until)],
        replies=[
            Reply(
                # TRANSLATORS: {date}: the day of return, e.g. "15 Dec 2026". BACK: your language's back word. Sent by
                # SMS: keep it as short as the English.
                t(
                    "Noted: you are away until {date}. Your substitute gets your weekly messages; send BACK when you return.",
                    date=full_date(until, person.language),
                )
            )
        ],
    )
