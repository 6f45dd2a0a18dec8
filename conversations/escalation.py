"""What the rhythm says: a reminder, the note to a substitute asked in the lead's place, the note
that they are no longer needed, and the secretariat's alert. Diagram: escalation.mmd."""

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
