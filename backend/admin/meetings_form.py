"""The meeting form as typed: each field read and checked before anything is written, with one
message per field that says what to change. No database here: the choices come from
backend/reports/meetings_forms.py, the rules for the fields from backend/meetings/fields.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from backend.admin.i18n import _
from backend.meetings import fields
from backend.meetings.fields import MeetingError
from backend.reports.meetings_forms import Choices

TEXT_MAX = 200


@cache
def zones() -> tuple[str, ...]:
    """The IANA zone names the time zone select offers."""
    return tuple(sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))


@dataclass(frozen=True)
class Typed:
    """What was typed, shown again as it was when the form comes back with a message."""

    title: str = ""
    committee: str = ""
    cluster: str = ""
    date: str = ""
    time: str = ""
    timezone: str = ""
    place: str = ""
    agenda: str = ""
    institutions: frozenset[int] = frozenset()
    observers: frozenset[int] = frozenset()
    standing: bool = True


@dataclass(frozen=True)
class Meeting:
    """The form, read: what the meetings service is called with."""

    title: str
    committee: str
    cluster: str | None
    starts_at: datetime
    timezone: str
    place: str
    agenda: list[str]
    institutions: list[int] = field(default_factory=list)
    observers: list[int] = field(default_factory=list)
    standing: bool = True


def _ids(values: list[str], known: set[int]) -> tuple[list[int], bool]:
    """The ids given that are known, in order; and whether any was not."""
    out, bad = [], False
    for value in values:
        value = value.strip()
        if value.isdigit() and len(value) < 10 and int(value) in known:
            if int(value) not in out:
                out.append(int(value))
        else:
            bad = True
    return out, bad


def read(
    *,
    title: str,
    committee: str,
    cluster: str,
    day: str,
    hour: str,
    timezone: str,
    place: str,
    agenda: str,
    institutions: list[str],
    observers: list[str],
    standing: bool,
    now: datetime,
    choices: Choices,
    new: bool,
) -> tuple[Typed, Meeting | None, dict[str, str]]:
    """(what was typed, the meeting read from it or None, a message per field that is wrong)."""
    errors: dict[str, str] = {}
    institution_ids, bad_institution = _ids(institutions, {i for i, _s, _n in choices.institutions})
    observer_ids, bad_observer = _ids(observers, {p for p, _n, _i in choices.observers})
    typed = Typed(
        title=title[:1000],
        committee=committee[:1000],
        cluster=cluster[:100],
        date=day[:40],
        time=hour[:40],
        timezone=timezone[:100],
        place=place[:1000],
        agenda=agenda[:20000],
        institutions=frozenset(institution_ids),
        observers=frozenset(observer_ids),
        standing=standing,
    )
    if not title.strip():
        errors["title"] = _("Give the meeting a title.")
    elif len(title.strip()) > TEXT_MAX:
        errors["title"] = _("Write at most {count} characters.", count=TEXT_MAX)
    if len(committee.strip()) > TEXT_MAX:
        errors["committee"] = _("Write at most {count} characters.", count=TEXT_MAX)
    if cluster and cluster not in {code for code, _name in choices.clusters}:
        errors["cluster"] = _("Choose a cluster from the list, or none.")
    if not place.strip():
        errors["place"] = _("Give a venue, or a link to the online meeting.")
    elif len(place.strip()) > TEXT_MAX:
        errors["place"] = _("Write at most {count} characters.", count=TEXT_MAX)
    try:
        zone = fields.zone(timezone.strip())
    except MeetingError:
        errors["timezone"] = _("Choose a time zone from the list (an IANA name such as Africa/Nairobi).")
        zone = ""
    try:
        on = date.fromisoformat(day.strip())
    except ValueError:
        errors["date"] = _("Give the date as YYYY-MM-DD, e.g. 2026-12-03.")
        on = None
    try:
        at = time.fromisoformat(hour.strip())
        if at.tzinfo is not None:
            raise ValueError("a time of day, without a zone")
    except ValueError:
        errors["time"] = _("Give the time as HH:MM, e.g. 10:00.")
        at = None
    starts = None
    if on is not None and at is not None and zone:
        starts = datetime.combine(on, at.replace(second=0, microsecond=0), tzinfo=ZoneInfo(zone))
        if starts <= now:
            errors["date"] = f"{starts:%Y-%m-%d %H:%M} in {zone} has passed: give a date and time in the future."
    try:
        items = fields.agenda_items(agenda.splitlines())
    except MeetingError as exc:
        errors["agenda"] = f"{str(exc).capitalize()}."
        items = []
    if bad_institution:
        errors["institutions"] = _("One of the institutions is not in the roster: reload the page and choose again.")
    elif new and not institution_ids:
        errors["institutions"] = _("Choose at least one institution to invite.")
    if bad_observer:
        errors["observers"] = _("One of the observers is not in the roster: reload the page and choose again.")
    if errors or starts is None:
        return typed, None, errors
    meeting = Meeting(
        title=title.strip(),
        committee=committee.strip(),
        cluster=cluster or None,
        starts_at=starts,
        timezone=zone,
        place=place.strip(),
        agenda=items,
        institutions=institution_ids,
        observers=observer_ids,
        standing=standing,
    )
    return typed, meeting, errors
