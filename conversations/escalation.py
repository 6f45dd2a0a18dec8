"""What the rhythm says: a reminder, the note to a substitute asked in the lead's place, the note
that they are no longer needed, and the secretariat's alerts (nobody left to ask, a focal point
who left the roster) and digest. Diagram: escalation.mmd."""

from __future__ import annotations

from datetime import date

from conversations.i18n import T
from conversations.statuses import example
from conversations.views import PersonView
from conversations.writing import full_date, listing, period_name


def reminder(person: PersonView, period: str) -> str:
    t = T(person.language, person.fallback_language)
    # TRANSLATORS: {period}: e.g. "the week of 23 Nov"; {example}: an answer such as "1D 2P". Sent by SMS: keep it
    # as short as the English.
    return t(
        "Reminder: your update for {period} is waiting. Reply e.g. {example}, or STATUS for the list.",
        period=period_name(t, period),
        example=example(person.language),
    )


def cover_note(person: PersonView, *, lead: str, institution: str, away_until: date | None) -> str:
    """Why a substitute gets the prompt: the lead is away (until when), or has not answered."""
    t = T(person.language, person.fallback_language)
    if away_until is not None:
        # TRANSLATORS: {name}: the lead focal point; {institution}: e.g. "MOJ"; {date}: e.g. "15 Dec 2026". Sent by SMS.
        return t(
            "You cover for {name} ({institution}), away until {date}: the update below is yours.",
            name=lead,
            institution=institution,
            date=full_date(away_until, person.language),
        )
    # TRANSLATORS: {name}: the lead focal point; {institution}: e.g. "MOJ". Sent by SMS.
    return t(
        "You cover for {name} ({institution}), who has not answered: the update below is yours.",
        name=lead,
        institution=institution,
    )


def stood_down(person: PersonView, *, name: str, institution: str) -> str:
    t = T(person.language, person.fallback_language)
    # TRANSLATORS: {name}: who answered; {institution}: e.g. "MOJ". Sent by SMS.
    return t(
        "Thank you: {name} has answered for {institution}. You are no longer needed for this update.",
        name=name,
        institution=institution,
    )


def no_substitute(person: PersonView, *, institutions: list[str]) -> str:
    """The digest's second line: institutions with nobody to cover for their lead."""
    t = T(person.language, person.fallback_language)
    shown = institutions[:10] + ([f"+{len(institutions) - 10}"] if len(institutions) > 10 else [])
    # TRANSLATORS: to the secretariat. {institutions}: short names, e.g. "NPS, KSM". Sent by SMS.
    return t("No substitute in post: {institutions}.", institutions=listing(t, shown))


def digest(person: PersonView, *, answered: int, prompted: int, waiting: list[str]) -> str:
    """The secretariat's weekly digest: how many institutions answered, and who is still awaited."""
    t = T(person.language, person.fallback_language)
    if not waiting:
        # TRANSLATORS: to the secretariat. {answered} of {prompted}: numbers of institutions. Sent by SMS.
        return t(
            "This week: {answered} of {prompted} institutions answered. None is overdue.",
            answered=answered,
            prompted=prompted,
        )
    # TRANSLATORS: to the secretariat. {waiting}: short names, e.g. "MOJ, NPS". Sent by SMS.
    return t(
        "This week: {answered} of {prompted} institutions answered. Overdue: {waiting}.",
        answered=answered,
        prompted=prompted,
        # at most ten names by SMS, then "+N" for the rest (nmirf rounds list has them all)
        waiting=listing(t, waiting[:10] + ([f"+{len(waiting) - 10}"] if len(waiting) > 10 else [])),
    )


def nobody_left(person: PersonView, *, institution: str, period: str) -> str:
    t = T(person.language, person.fallback_language)
    # TRANSLATORS: to the secretariat. {institution}: e.g. "MOJ"; {period}: e.g. "the week of 23 Nov". Sent by SMS.
    return t(
        "Alert: nobody at {institution} has answered or can be asked for {period}. See nmirf rounds list.",
        institution=institution,
        period=period_name(t, period),
    )


def turnover(person: PersonView, *, name: str, institution: str, lead: str | None, substitutes: int) -> str:
    """To the secretariat, at once: a focal point left an institution's roster (their post ended,
    or they were deactivated), and what cover it has left."""
    t = T(person.language, person.fallback_language)
    if lead is None:
        # TRANSLATORS: to the secretariat. {name}: who left, e.g. "Amina Yusuf"; {institution}: e.g. "MOJ". Sent by
        # SMS: keep it as short as the English.
        return t(
            "Alert: {name} has left {institution}, and nobody is in post now. Please add a focal point to the roster.",
            name=name,
            institution=institution,
        )
    if substitutes == 0:
        # TRANSLATORS: to the secretariat. {name}: who left, e.g. "Amina Yusuf"; {institution}: e.g. "MOJ"; {lead}:
        # who leads now, e.g. "Peter Otieno". Sent by SMS: keep it as short as the English.
        return t(
            "Alert: {name} has left {institution}. {lead} leads, with no substitute: please add one to the roster.",
            name=name,
            institution=institution,
            lead=lead,
        )
    # TRANSLATORS: to the secretariat. {name}: who left, e.g. "Amina Yusuf"; {institution}: e.g. "MOJ"; {lead}: who
    # leads now, e.g. "Peter Otieno"; {count}: how many substitutes are left, e.g. 1. Sent by SMS: keep it as short as
    # the English.
    return t(
        "Alert: {name} has left {institution}. {lead} leads; substitutes still in post: {count}.",
        name=name,
        institution=institution,
        lead=lead,
        count=substitutes,
    )
