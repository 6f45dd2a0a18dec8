"""What the bot tells invitees about a meeting besides the invitation itself: the follow-up to an
unanswered invitation, the reminder to who confirmed, a change of time or place, a cancellation,
and the agenda (AGENDA, read in conversations/attendance.py). Diagram: attendance.mmd.

By SMS each message keeps the budget of conversations/budget.py (titles shortened by `fitted`,
venues cut to PLACE_MAX, a link never cut: rule 6); the agenda is split into as few messages as it needs, each within
`fits` by SMS, or CHAT_LIMIT in a chat app, an item only split when it does not fit a message
alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from conversations.budget import CHAT_LIMIT, Limit, cut, fits, fitted, place_text
from conversations.i18n import T
from conversations.views import SMS, InvitationView, PersonView
from conversations.writing import day_and_time

PLACE_MAX = 30


@dataclass(frozen=True)
class MeetingView(InvitationView):
    """An invitation with what only the meeting's own messages need."""

    agenda: tuple[str, ...] = ()  # the agenda items, in order
    observer: bool = False  # invited as an observer: no substitute
    replaces: str | None = None  # the invitee this person replaces (no answer by the deadline, or away)


def when(person: PersonView, invitation: InvitationView) -> str:
    """The meeting's day and time in the person's language and time zone: "Thu, Dec 3 10:00"."""
    return day_and_time(invitation.starts_at.astimezone(ZoneInfo(person.timezone)), person.language)


def place(person: PersonView, invitation: InvitationView) -> str:
    """By SMS a venue is cut to PLACE_MAX; a link never is (conversations/budget.py, rule 6)."""
    return place_text(invitation.place, person.medium, PLACE_MAX)


def _fitted(person: PersonView, invitation: InvitationView, render: Callable[[T, dict], str]) -> str:
    """render(t, values) with the meeting's number, time and place, and its title as long as fits."""
    t = T(person.language, person.fallback_language)
    values = dict(ref=invitation.meeting_id, when=when(person, invitation), place=place(person, invitation))

    def with_title(limit: Limit) -> str:
        return render(t, values | {"title": cut(invitation.title, limit)})

    return fitted(with_title, person.medium)


def follow_up(person: PersonView, invitation: InvitationView) -> str:
    """The one follow-up to an invitation still unanswered (SUB offered when someone can go)."""
    if invitation.substitute:
        return _fitted(
            person,
            invitation,
            # TRANSLATORS: the one follow-up to an unanswered meeting invitation. {ref}: the meeting number, e.g. 12
            # (keep every {ref}); {title}: the meeting title (shortened to fit); {when}: its day and time, e.g. "Thu,
            # Dec 3 10:00"; {place}: e.g. "Sheria House, room 4". YES/NO/SUB: your language's words (keywords.txt).
            # Sent by SMS: keep it as short as the English.
            lambda t, v: t(
                "No answer yet to meeting {ref}: {title}, {when}, {place}. Please reply YES {ref}, NO {ref} or SUB {ref}.",
                **v,
            ),
        )
    return _fitted(
        person,
        invitation,
        # TRANSLATORS: the one follow-up to an unanswered meeting invitation, for someone with no substitute (an
        # observer). {ref}: the meeting number, e.g. 12 (keep every {ref}); {title}: the meeting title (shortened to
        # fit); {when}: its day and time, e.g. "Thu, Dec 3 10:00"; {place}: e.g. "Sheria House, room 4". YES/NO: your
        # language's words (keywords.txt). Sent by SMS: keep it as short as the English.
        lambda t, v: t(
            "No answer yet to meeting {ref}: {title}, {when}, {place}. Please reply YES {ref} or NO {ref}.", **v
        ),
    )


def reminder(person: PersonView, invitation: InvitationView) -> str:
    """Before the meeting, to who confirmed (MEETING_REMINDER_HOURS)."""
    return _fitted(
        person,
        invitation,
        # TRANSLATORS: a reminder before a meeting the person said they will attend. {ref}: the meeting number, e.g.
        # 12 (keep every {ref}); {title}: the meeting title (shortened to fit); {when}: its day and time, e.g. "Thu,
        # Dec 3 10:00"; {place}: e.g. "Sheria House, room 4". NO: your language's word (keywords.txt). Sent by SMS:
        # keep it as short as the English.
        lambda t, v: t(
            "Reminder: you will attend meeting {ref}: {title}, {when}, {place}. If you cannot, reply NO {ref}.", **v
        ),
    )


def changed(person: PersonView, invitation: InvitationView) -> str:
    """A change of time or place, to everyone who holds the invitation (once per change)."""
    if invitation.status == "confirmed":
        return _fitted(
            person,
            invitation,
            # TRANSLATORS: the meeting's time or place changed; the person had said they will attend. {ref}: the
            # meeting number, e.g. 12 (keep every {ref}); {title}: the meeting title (shortened to fit); {when}: its new
            # day and time, e.g. "Thu, Dec 3 10:00"; {place}: e.g. "Sheria House, room 4". NO: your language's word
            # (keywords.txt). Sent by SMS: keep it as short as the English.
            lambda t, v: t(
                "Meeting {ref} has changed: {title}, {when}, {place}. You are still expected; if you cannot come, "
                "reply NO {ref}.",
                **v,
            ),
        )
    return _fitted(
        person,
        invitation,
        # TRANSLATORS: the meeting's time or place changed; the person had not answered, or had declined. {ref}: the
        # meeting number, e.g. 12 (keep every {ref}); {title}: the meeting title (shortened to fit); {when}: its new
        # day and time, e.g. "Thu, Dec 3 10:00"; {place}: e.g. "Sheria House, room 4". YES/NO: your language's words
        # (keywords.txt). Sent by SMS: keep it as short as the English.
        lambda t, v: t("Meeting {ref} has changed: {title}, {when}, {place}. Please reply YES {ref} or NO {ref}.", **v),
    )


def cancelled(person: PersonView, invitation: InvitationView) -> str:
    """The meeting will not take place."""
    return _fitted(
        person,
        invitation,
        # TRANSLATORS: the meeting will not take place. {ref}: the meeting number, e.g. 12; {title}: the meeting title
        # (shortened to fit); {when}: the day and time it was to be, e.g. "Thu, Dec 3 10:00". Sent by SMS: keep it as
        # short as the English.
        lambda t, v: t("Meeting {ref} ({title}, {when}) is cancelled. No need to reply.", **v),
    )


def nobody_to_send(person: PersonView, invitation: InvitationView, *, institution: str, name: str) -> str:
    """To the secretariat: an invitation could go to nobody in the invitee's place (every
    substitute away, opted out or unreachable, or none in the roster). No title: the number and
    the time say which meeting, and `nmirf meetings show` the rest."""
    t = T(person.language, person.fallback_language)
    # TRANSLATORS: to the secretariat. {institution}: e.g. "MOJ"; {name}: the invitee, e.g. "Amina Yusuf"; {ref}: the
    # meeting number, e.g. 12 (keep every {ref}); {when}: its day and time, e.g. "Thu, Dec 3 10:00". "nmirf meetings
    # show" is a command: keep it as written. Sent by SMS: keep it as short as the English.
    return t(
        "Alert: nobody at {institution} can replace {name} at meeting {ref} ({when}). See nmirf meetings show {ref}.",
        institution=institution,
        name=name,
        ref=invitation.meeting_id,
        when=when(person, invitation),
    )


def agenda(person: PersonView, invitation: InvitationView) -> list[str]:
    """AGENDA: the meeting's agenda items, numbered, in as few messages as the medium needs."""
    t = T(person.language, person.fallback_language)
    items = getattr(invitation, "agenda", ())
    if not items:
        # TRANSLATORS: the answer to AGENDA when the secretariat gave none. {ref}: the meeting number, e.g. 12. Sent
        # by SMS: keep it as short as the English.
        return [t("Meeting {ref} has no agenda yet.", ref=invitation.meeting_id)]
    head = _fitted(
        person,
        invitation,
        # TRANSLATORS: the first line of the answer to AGENDA; the numbered items follow, one a line. {ref}: the
        # meeting number, e.g. 12; {title}: the meeting title (shortened to fit); {when}: its day and time, e.g. "Thu,
        # Dec 3 10:00". Sent by SMS: keep it as short as the English.
        lambda t, v: t("Agenda of meeting {ref}: {title}, {when}.", **v),
    )
    lines = [head] + [f"{n}. {t.isolated(item)}" for n, item in enumerate(items, 1)]
    return pack(lines, _fits_sms if person.medium == SMS else _fits_chat)


def _fits_sms(text: str) -> bool:
    return fits(text)


def _fits_chat(text: str) -> bool:
    return len(text) <= CHAT_LIMIT


def pack(lines: list[str], ok: Callable[[str], bool]) -> list[str]:
    """The lines, in order, in as few messages as `ok` allows: whole lines together; a line that
    does not fit a message alone split between words (or, a word too long, between letters)."""
    messages: list[str] = []
    current: list[str] = []
    for line in lines:
        for piece in _pieces(line, ok):
            if current and not ok("\n".join(current + [piece])):
                messages.append("\n".join(current))
                current = []
            current.append(piece)
    if current:
        messages.append("\n".join(current))
    return messages


def _pieces(line: str, ok: Callable[[str], bool]) -> list[str]:
    pieces = []
    rest = line.strip()
    while rest and not ok(rest):
        words = rest.split(" ")
        taken = 0
        while taken < len(words) and ok(" ".join(words[: taken + 1])):
            taken += 1
        if taken == 0:  # one word longer than a message: the longest start of it that fits
            size = max(1, max((n for n in range(1, len(words[0])) if ok(words[0][:n])), default=1))
            piece, rest = rest[:size], rest[size:]
        else:
            piece, rest = " ".join(words[:taken]), " ".join(words[taken:])
        pieces.append(piece)
        rest = rest.strip()
    if rest:
        pieces.append(rest)
    return pieces
