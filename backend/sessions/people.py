"""Building the engine's view of a person, and where to reach them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from backend.catalog import service as catalog
from backend.catalog.models import Action
from backend.meetings import service as meetings
from backend.roster import service as roster
from backend.roster.models import Person
from conversations.views import SMS, ActionView, ClusterView, PersonView


def person_view(
    session: Session,
    person: Person,
    now: datetime,
    extra_action_ids=(),
    answering: bool = True,
    fallback_language: str = "en",
    mechanism: str = "NMIRF",
    medium: str = SMS,
) -> PersonView:
    """The person, their language and time zone, and the actions they answer for today (plus any
    action an open conversation still refers to). `answering`: also what a reply of theirs may be
    about (open invitations, what a report may name); a prompt leaves them out.
    `fallback_language`: the deployment's DEFAULT_LANGUAGE, for missing translations (of the
    messages, and of action titles and cluster names, which then fall back to the base column).
    `mechanism`: the deployment's MECHANISM_NAME, as messages name it."""
    today = now.astimezone(ZoneInfo(person.timezone)).date()
    institutions = roster.led_institutions(session, person_id=person.id, day=today)
    actions = catalog.actions_of(session, institution_ids=[i.id for i in institutions])
    have = {a.id for a in actions}
    missing = [i for i in extra_action_ids if i not in have]
    actions += list(catalog.actions_by_id(session, ids=missing).values())
    languages = (person.language, fallback_language)
    return PersonView(
        id=person.id,
        name=person.name,
        language=person.language,
        timezone=person.timezone,
        fallback_language=fallback_language,
        mechanism=mechanism,
        medium=medium,
        institution=", ".join(i.short_name for i in institutions),
        actions=tuple(_action(a, languages) for a in actions),
        **(_answering(session, person, now, today, languages) if answering else {}),
    )


def _action(a: Action, languages: tuple[str, ...]) -> ActionView:
    """The full title and the SMS short title, in the first of `languages` that has a title."""
    title, short = a.titles_in(languages)
    return ActionView(id=a.id, title=title, short_title=short, status=a.status, indicator=a.indicator)


def _answering(session: Session, person: Person, now: datetime, today, languages: tuple[str, ...]) -> dict:
    serving = [i.id for i in roster.institutions_of(session, person_id=person.id, day=today)]
    return dict(
        invitations=meetings.open_invitations(session, person_id=person.id, now=now),
        report_actions=tuple(_action(a, languages) for a in catalog.actions_of(session, institution_ids=serving)),
        clusters=tuple(
            ClusterView(id=c.id, name=c.name_in(languages))
            for c in catalog.clusters_for(session, institution_ids=serving)
        ),
    )
