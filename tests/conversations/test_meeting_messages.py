"""The meeting's own messages as the invitee meets them (conversations/meetings.py): AGENDA, split
into as few messages as SMS or a chat app needs, and the follow-up, reminder, change and
cancellation notices, each one GSM-7 segment in English by SMS with realistic values."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.segments import count_segments
from conversations import attendance, meetings
from conversations.budget import CHAT_LIMIT, fits, sms_text
from conversations.meetings import MeetingView, pack
from conversations.views import CHAT, SMS, ActionView, PersonView
from tests.conversations.transcript import Chat

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ITEMS = (
    "Opening and adoption of the agenda",
    "Progress on the Children Protection Bill and its submission to Cabinet, with comments from the "
    "Attorney General's office on the latest draft",
    "Birth registration campaign: counties reached, problems met, and the plan for the next quarter",
    "Juvenile justice: diversion programmes in Kisumu and Turkana",
    "Any other business",
)
REVIEW = MeetingView(
    12,
    "Review of the disability rights cluster recommendations",
    datetime(2026, 12, 3, 7, 0, tzinfo=UTC),
    "Sheria House, 4th floor, conference room B",
    "pending",
    substitute="Peter Otieno",
    agenda=ITEMS,
)


def person(language="en", medium=SMS, invitations=(REVIEW,), actions=()):
    return PersonView(
        id=1,
        name="Amina Yusuf",
        language=language,
        timezone="Africa/Nairobi",
        medium=medium,
        institution="MOJ",
        invitations=invitations,
        actions=actions,
    )


def replies(chat: Chat) -> list[str]:
    return [r.text for r in chat.last.replies]


def test_agenda_by_sms_takes_as_few_messages_as_fit_each_one_within_its_budget():
    chat = Chat(person(), NOW)
    chat.say("AGENDA")
    parts = replies(chat)
    assert parts[0].startswith("Agenda of meeting 12: Review of the disability rights clust..., Thu, Dec 3 10:00.\n1. ")
    assert all(fits(part) and count_segments(sms_text(part, "en")).segments == 1 for part in parts)
    lines = "\n".join(parts).splitlines()[1:]
    assert lines == [f"{n}. {item}" for n, item in enumerate(ITEMS, 1)]  # every item, whole, in order
    assert len(parts) == 4  # 1 with the heading; 2 alone; 3; 4 and 5 together
    assert chat.state is None and chat.events == []


def test_agenda_in_a_chat_app_is_one_message_up_to_its_limit():
    chat = Chat(person(medium=CHAT), NOW)
    chat.say("agenda 12")
    assert replies(chat) == [
        "Agenda of meeting 12: Review of the disability rights cluster recommendations, Thu, Dec 3 10:00.\n"
        + "\n".join(f"{n}. {item}" for n, item in enumerate(ITEMS, 1))
    ]
    long = replace(REVIEW, agenda=tuple(f"Item {n}: " + "word " * 95 for n in range(30)))
    parts = meetings.agenda(person(medium=CHAT), long)
    assert len(parts) == 10 and all(len(part) <= CHAT_LIMIT for part in parts)  # three items of 490 each


def test_an_item_longer_than_one_sms_is_split_between_words_and_a_word_between_letters():
    text = "word " * 60
    pieces = pack([text, "x" * 400], fits)
    assert len(pieces) == 5 and all(fits(p) for p in pieces)
    words = [w for p in pieces for w in p.split()]
    assert words.count("word") == 60 and "".join(w for w in words if w.startswith("x")) == "x" * 400


@pytest.mark.parametrize(
    "language,word,date", [("fr", "ordre du jour", "jeu. 3 déc."), ("es", "orden del día", "3 dic")]
)
def test_agenda_is_asked_for_in_each_language(language, word, date):
    chat = Chat(person(language), NOW)
    chat.say(word)
    parts = replies(chat)
    assert date in parts[0] and parts[-1].endswith("5. Any other business")


def test_agenda_while_the_weekly_update_waits_keeps_it_waiting():
    bill = ActionView(1, "Draft the child protection bill", "in_progress")
    chat = Chat(person(medium=CHAT, actions=(bill,)), NOW)
    chat.prompt()
    waiting = chat.state
    chat.say("AGENDA")
    assert replies(chat)[0].startswith("Agenda of meeting 12:")
    assert replies(chat)[-1] == "Your weekly update is still open."
    assert chat.state == waiting


def test_agenda_of_several_meetings_asks_which_and_none_says_so():
    other = replace(REVIEW, meeting_id=14, status="confirmed", agenda=())
    chat = Chat(person(invitations=(REVIEW, other)), NOW)
    assert chat.say("agenda").startswith("You have 2 open invitations. Reply with the meeting number, e.g. AGENDA 12:")
    assert chat.say("AGENDA 14") == "Meeting 14 has no agenda yet."
    assert chat.events == []


def test_an_observer_is_never_offered_a_substitute():
    observer = replace(REVIEW, substitute=None, observer=True)
    p = person(invitations=(observer,))
    assert "You are invited as an observer. Reply YES 12 or NO 12." in attendance.invitation_text(p, observer)
    assert attendance.pending_lines(p) == ["Meeting 12, Thu, Dec 3 10:00: please reply YES 12 or NO 12."]
    assert meetings.follow_up(p, observer).endswith("Please reply YES 12 or NO 12.")


def test_each_notice_is_one_sms_segment_in_english():
    p = person()
    confirmed = replace(REVIEW, status="confirmed")
    texts = {
        "follow_up": meetings.follow_up(p, REVIEW),
        "follow_up_alone": meetings.follow_up(p, replace(REVIEW, substitute=None)),
        "reminder": meetings.reminder(p, confirmed),
        "changed": meetings.changed(p, REVIEW),
        "changed_confirmed": meetings.changed(p, confirmed),
        "cancelled": meetings.cancelled(p, REVIEW),
        "observer": attendance.invitation_text(p, replace(REVIEW, observer=True, substitute=None)),
        "in_place_of": attendance.invitation_text(p, replace(REVIEW, replaces="Amina Yusuf")),
        "no_agenda": meetings.agenda(p, replace(REVIEW, agenda=()))[0],
    }
    for name, text in texts.items():
        counted = count_segments(sms_text(text, "en"))
        assert (counted.encoding, counted.segments) == ("GSM-7", 1), (name, text)
    assert texts["changed_confirmed"] == (
        "Meeting 12 has changed: Review of the disability..., Thu, Dec 3 10:00, Sheria House, 4th floor, co.... "
        "You are still expected; if you cannot come, reply NO 12."
    )
    assert (
        texts["cancelled"]
        == "Meeting 12 (Review of the disability rights clust..., Thu, Dec 3 10:00) is cancelled. No need to reply."
    )
