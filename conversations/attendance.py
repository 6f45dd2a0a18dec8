"""Meeting attendance: the answer to an invitation — YES, NO or SUB (send my substitute) — and
AGENDA (the meeting's agenda), with the meeting's number when it is needed to tell two open
invitations apart. Invitations are not a conversation step: several can be open at once, beside
a weekly update or a report. Diagram: attendance.mmd; the meeting's other messages (follow-up,
reminders, changes, the agenda itself) are in conversations/meetings.py.

Rules when another conversation is waiting (applied by the engine, in this order):
1. An answer naming the meeting ("YES 12", "12 oui", "SUB 12") is always an attendance answer;
   the waiting conversation keeps waiting, and the reply says so.
2. A bare answer ("yes", "no") that the waiting conversation could also take (a note, a place, a
   status such as "n") is not guessed: the bot asks for the meeting's number and records nothing.
3. Otherwise a bare answer goes to the only invitation not yet answered (or the only open one);
   with several, the bot lists them and asks for the number.
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations import meetings
from conversations.budget import Limit, cut, fitted
from conversations.i18n import T
from conversations.meetings import PLACE_MAX, place, when
from conversations.parse import _tokens, keyword_and_number, keywords, normalise
from conversations.views import AttendanceAnswered, InvitationView, Outcome, PersonView, Reply
from conversations.writing import listing

MEANINGS = ("yes", "no", "sub")
AGENDA = "agenda"
ANSWER_OF = {"yes": "confirmed", "no": "declined", "sub": "delegated"}
__all__ = ["PLACE_MAX", "when"]


@dataclass(frozen=True)
class Answer:
    meaning: str  # yes, no, sub, or agenda
    meeting_id: int | None  # the number quoted, if any
    word: str  # the person's own word, to quote it back


def invitation_text(person: PersonView, invitation: InvitationView) -> str:
    """The invitation itself, as sent to the person (the lead, or the substitute sent instead)."""
    t = T(person.language, person.fallback_language)
    values = dict(ref=invitation.meeting_id, when=when(person, invitation), place=place(person, invitation))
    replaces = getattr(invitation, "replaces", None)
    if replaces:
        return fitted(
            # TRANSLATORS: an invitation sent to a substitute because the invitee did not answer in time or is away.
            # {ref}: the meeting number, e.g. 12 (keep every {ref}); {title}: the meeting title (shortened to fit);
            # {when}: its day and time, e.g. "Thu, Dec 3 10:00"; {place}: e.g. "Sheria House, room 4"; {name}: the
            # invitee replaced, e.g. "Amina Yusuf". YES/NO: your language's words (keywords.txt). Sent by SMS: keep it
            # as short as the English.
            lambda limit: t(
                "Meeting {ref}: {title}, {when}, {place}. You are invited in place of {name}. Reply YES {ref} or NO {ref}.",
                name=replaces,
                title=cut(invitation.title, limit),
                **values,
            ),
            person.medium,
        )
    if getattr(invitation, "observer", False):
        return fitted(
            # TRANSLATORS: the invitation to a meeting sent to an observer (e.g. the national human-rights
            # institution). {ref}: the meeting number, e.g. 12 (keep every {ref}); {title}: the meeting title
            # (shortened to fit); {when}: its day and time, e.g. "Thu, Dec 3 10:00"; {place}: e.g. "Sheria House, room
            # 4". YES/NO: your language's words (keywords.txt). Sent by SMS: keep it as short as the English.
            lambda limit: t(
                "Meeting {ref}: {title}, {when}, {place}. You are invited as an observer. Reply YES {ref} or NO {ref}.",
                title=cut(invitation.title, limit),
                **values,
            ),
            person.medium,
        )
    if invitation.sent_by:
        return fitted(
            # TRANSLATORS: an invitation sent to a substitute. {ref}: the meeting number, e.g. 12 (keep every {ref});
            # {title}: the meeting title (shortened to fit); {when}: its day and time, e.g. "Thu, Dec 3 10:00";
            # {place}: e.g. "Sheria House, room 4"; {name}: the lead who sends them, e.g. "Amina Yusuf". YES/NO: your
            # language's words for them (keywords.txt). Sent by SMS: keep it as short as the English.
            lambda limit: t(
                "Meeting {ref}: {title}, {when}, {place}. {name} asks you to go instead. Reply YES {ref} or NO {ref}.",
                name=invitation.sent_by,
                title=cut(invitation.title, limit),
                **values,
            ),
            person.medium,
        )
    return fitted(
        # TRANSLATORS: the invitation to a meeting. {ref}: the meeting number, e.g. 12 (keep every {ref}); {title}:
        # the meeting title (shortened to fit); {when}: its day and time, e.g. "Thu, Dec 3 10:00"; {place}: e.g.
        # "Sheria House, room 4". YES/NO/SUB: your language's words (keywords.txt). Sent by SMS: keep it as short as
        # the English.
        lambda limit: t(
            "Meeting {ref}: {title}, {when}, {place}. Reply YES {ref}, NO {ref}, or SUB {ref} to send your substitute.",
            title=cut(invitation.title, limit),
            **values,
        ),
        person.medium,
    )


def parse(person: PersonView, text: str) -> Answer | None:
    """The attendance answer (or AGENDA) in this message: any, when the person has an open
    invitation; else only one that names a meeting ("YES 12"), to be told that meeting is not open
    to them."""
    found = keyword_and_number(text, person.language, MEANINGS + (AGENDA,))
    if found is None or not (person.invitations or found[1] is not None):
        return None
    meaning, number = found
    words = [tok.text for tok in _tokens(normalise(text)) if not tok.is_int and tok.text != "?"]
    if len(words) == 1 and len(words[0]) == 1 and (words[0],) not in keywords(person.language).get(meaning, ()):
        return None  # one letter means yes or no only in the person's own language ("n" is also "not started")
    word = "".join(ch for ch in text if not ch.isdigit() and ch not in "#.)=").strip().upper() or meaning.upper()
    return Answer(meaning, number, word)


def is_open(person: PersonView, meeting_id: int) -> bool:
    return any(i.meeting_id == meeting_id for i in person.invitations)


def ask_which(person: PersonView, answer: Answer) -> Reply:
    """Rule 2: the bare answer could belong to the waiting conversation too."""
    t = T(person.language, person.fallback_language)
    ref = _choices(person, answer.meaning)[0].meeting_id
    return Reply(
        # TRANSLATORS: {ref}: a meeting number, e.g. 12; {answer}: the person's own word, e.g. YES. HELP: your
        # language's help word. Sent by SMS: keep it as short as the English.
        t(
            "Did you mean meeting {ref}? If so, reply {answer} {ref}. Nothing was recorded; "
            "send HELP to see the other question.",
            ref=ref,
            answer=answer.word,
        )
    )


def _choices(person: PersonView, meaning: str = "") -> list[InvitationView]:
    """What a bare answer may be about: the invitations not answered yet (any, if none is); for
    AGENDA, every open one."""
    pending = [i for i in person.invitations if i.status == "pending" and meaning != AGENDA]
    return pending or list(person.invitations)


def answer(person: PersonView, reply: Answer) -> Outcome:
    """Record the answer, or say precisely what is missing. The caller keeps the session."""
    t = T(person.language, person.fallback_language)
    if reply.meeting_id is not None:
        found = [i for i in person.invitations if i.meeting_id == reply.meeting_id]
        if not found:
            # TRANSLATORS: {ref}: the meeting number the person quoted, e.g. 99; their invitations are listed below
            # it. Sent by SMS: keep it as short as the English.
            head = t("You have no open invitation to meeting {ref}.", ref=reply.meeting_id)
            return Outcome(state=None, replies=[Reply(_listing(person, head, list(person.invitations)))])
        invitation = found[0]
    else:
        choices = _choices(person, reply.meaning)
        if len(choices) > 1:
            example = f"{reply.word} {choices[0].meeting_id}"
            # TRANSLATORS: {count}: how many invitations, e.g. 2; {example}: the person's word and a meeting number,
            # e.g. "YES 12". The invitations are listed below it. Sent by SMS: keep it as short as the English.
            head = t.n(
                "You have {count} open invitation. Reply with the meeting number, e.g. {example}:",
                "You have {count} open invitations. Reply with the meeting number, e.g. {example}:",
                len(choices),
                example=example,
            )
            return Outcome(state=None, replies=[Reply(_listing(person, head, choices))])
        invitation = choices[0]
    ref = invitation.meeting_id
    if reply.meaning == AGENDA:
        return Outcome(state=None, replies=[Reply(text) for text in meetings.agenda(person, invitation)])
    if reply.meaning == "sub" and invitation.substitute is None:
        return Outcome(
            state=None,
            # TRANSLATORS: {ref}: the meeting number, e.g. 12. Sent by SMS: keep it as short as the English.
            replies=[Reply(t("No substitute can go in your place. Please reply YES {ref} or NO {ref}.", ref=ref))],
        )
    event = AttendanceAnswered(meeting_id=ref, answer=ANSWER_OF[reply.meaning])
    if reply.meaning == "yes":
        # TRANSLATORS: {ref}: the meeting number, e.g. 12; {when}: e.g. "Thu, Dec 3 10:00"; {place}: e.g. "Sheria
        # House, room 4". Sent by SMS: keep it as short as the English.
        text = t(
            "Thank you: you will attend meeting {ref}, {when}, {place}.",
            ref=ref,
            when=when(person, invitation),
            place=place(person, invitation),
        )
    elif reply.meaning == "sub":
        # TRANSLATORS: {name}: the substitute invited instead, e.g. "Peter Otieno"; {ref}: the meeting number, e.g.
        # 12. Sent by SMS: keep it as short as the English.
        text = t("Noted: {name} is invited to meeting {ref} in your place.", name=invitation.substitute, ref=ref)
    elif invitation.substitute:
        # TRANSLATORS: {ref}: the meeting number, e.g. 12; {name}: the substitute who could go, e.g. "Peter Otieno".
        # Sent by SMS: keep it as short as the English.
        text = t(
            "Noted: you will not attend meeting {ref}. To send {name} instead, reply SUB {ref}.",
            ref=ref,
            name=invitation.substitute,
        )
    else:
        # TRANSLATORS: {ref}: the meeting number, e.g. 12. Sent by SMS: keep it as short as the English.
        text = t("Noted: you will not attend meeting {ref}.", ref=ref)
    return Outcome(state=None, replies=[Reply(text)], events=[event])


def _listing(person: PersonView, head: str, invitations: list[InvitationView]) -> str:
    t = T(person.language, person.fallback_language)

    def line(i: InvitationView, limit: Limit) -> str:
        return listing(t, [f"{i.meeting_id} {t.isolated(cut(i.title, limit))}", when(person, i)])

    return fitted(lambda limit: "\n".join([head] + [line(i, limit) for i in invitations]), person.medium)


def pending_lines(person: PersonView) -> list[str]:
    """For STATUS and the menu: each invitation still waiting for an answer."""
    t = T(person.language, person.fallback_language)
    return [
        # TRANSLATORS: one line per invitation still unanswered (STATUS, menu). {ref}: the meeting number, e.g. 12;
        # {when}: e.g. "Thu, Dec 3 10:00". Sent by SMS: keep it as short as the English.
        t(
            "Meeting {ref}, {when}: please reply YES {ref}, NO {ref} or SUB {ref}.",
            ref=i.meeting_id,
            when=when(person, i),
        )
        if i.substitute
        # TRANSLATORS: one line per invitation still unanswered (STATUS, menu), when nobody can go in the person's
        # place (an observer). {ref}: the meeting number, e.g. 12; {when}: e.g. "Thu, Dec 3 10:00". Sent by SMS: keep
        # it as short as the English.
        else t("Meeting {ref}, {when}: please reply YES {ref} or NO {ref}.", ref=i.meeting_id, when=when(person, i))
        for i in person.invitations
        if i.status == "pending"
    ]
