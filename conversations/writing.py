"""Writing for people: dates, periods and lists the way each language writes them.

Dates come from CLDR (through Babel) in the person's language; a language CLDR has no data for
falls back to neutral numbers (15/12, 2026-12-15). A reporting period is shown as people say it
("week of 23 Nov", "semaine du 23 nov."), never as its stored code (2026-W48). List separators
are messages of the catalogue, so that each language sets its own (Arabic "، " and "؛ ")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from babel.dates import format_date, format_skeleton

from conversations.i18n import T, locale_of

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def day_month(day: date, language: str) -> str:
    """ "23 Nov", "23 nov.", "23 نوفمبر"; "23/11" without CLDR data."""
    if locale_of(language) is None:
        return f"{day.day}/{day.month}"
    return format_date(day, "d MMM", locale=language)


def full_date(day: date, language: str) -> str:
    """ "15 Dec 2026", "15 déc. 2026"; "2026-12-15" without CLDR data."""
    if locale_of(language) is None:
        return day.isoformat()
    return format_date(day, "medium", locale=language)


def day_and_time(moment: datetime, language: str) -> str:
    """ "Thu, Dec 3 10:00" in the language; "2026-12-03 10:00" without CLDR data."""
    if locale_of(language) is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return format_skeleton("MMMEd", moment, locale=language) + " " + format_skeleton("Hm", moment, locale=language)


def period_start(period: str) -> date | None:
    """The first day of a stored period: "2026-W48" (ISO week) or "2026-12" (month)."""
    if m := WEEK.match(period):
        return date.fromisocalendar(int(m[1]), int(m[2]), 1)
    if m := MONTH.match(period):
        return date(int(m[1]), int(m[2]), 1)
    return None


def period_name(t: T, period: str) -> str:
    """A stored period as people say it: "the week of 23 Nov", "December 2026"."""
    start = period_start(period)
    if start is None:
        return period
    if MONTH.match(period):
        if locale_of(t.language) is None:
            return f"{start.month}/{start.year}"
        return format_date(start, "LLLL y", locale=t.language)
    # TRANSLATORS: {date}: the Monday, e.g. "23 Nov". Fills {period} in "Recorded for {period}" and "Your update for
    # {period} has closed".
    return t("the week of {date}", date=day_month(start, t.language))


def items(t: T, parts: Iterable[str]) -> str:
    """Items of one answer ("1 done; 2 blocked")."""
    # TRANSLATORS: the separator between the items of an answer, as in "1 done; 2 blocked".
    return t("; ").join(parts)


def listing(t: T, parts: Iterable[str]) -> str:
    """A plain list ("3, 5")."""
    # TRANSLATORS: the separator between the members of a list, as in "actions 3, 5".
    return t(", ").join(parts)
