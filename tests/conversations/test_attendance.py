"""Meeting attendance as the invitee meets it: YES / NO / SUB, in five languages, the meeting's
number when two invitations are open, and the rules when a weekly update or a report is waiting."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from conversations.attendance import invitation_text
from conversations.i18n import T
from conversations.views import ActionView, AttendanceAnswered, InvitationView, PersonView, ProgressReported
from tests.conversations.transcript import Chat

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
REVIEW = InvitationView(
    12,
    "Disability rights cluster review",
    datetime(2026, 12, 3, 7, 0, tzinfo=UTC),
    "Sheria House, room 4",
    "pending",
    substitute="Peter Otieno",
)
CHILDREN = InvitationView(14, "Children's rights cluster", datetime(2026, 12, 6, 7, 0, tzinfo=UTC), "Online", "pending")
BILL = ActionView(1, "Draft the child protection bill", "in_progress")
TRAIN = ActionView(2, "Train police officers on GBV", "not_started")


def person(language="en", invitations=(REVIEW,), actions=(BILL, TRAIN)):
    return PersonView(
        id=1,
        name="Amina Yusuf",
        language=language,
        timezone="Africa/Nairobi",
        institution="MOJ",
        actions=actions,
        invitations=invitations,
    )


def answers(chat: Chat) -> list[tuple[int, str]]:
    return [(e.meeting_id, e.answer) for e in chat.events if isinstance(e, AttendanceAnswered)]


def test_invitation_names_the_meeting_its_time_and_the_three_answers():
    """The invitation is dated in the person's time zone and language, and quotes the meeting number."""
    assert invitation_text(person(), REVIEW) == (
        "Meeting 12: Disability rights cluster review, Thu, Dec 3 10:00, Sheria House, room 4. "
        "Reply YES 12, NO 12, or SUB 12 to send your substitute."
    )
    sent = invitation_text(person("fr"), replace(REVIEW, sent_by="Amina Yusuf"))
    assert "jeu. 3 déc. 10:00" in sent and "Amina Yusuf" in sent and "OUI 12" in sent


def test_yes_no_and_sub_in_english():
    chat = Chat(person(), NOW)
    assert chat.say("yes") == "Thank you: you will attend meeting 12, Thu, Dec 3 10:00, Sheria House, room 4."
    assert chat.say("No") == "Noted: you will not attend meeting 12. To send Peter Otieno instead, reply SUB 12."
    assert chat.say("SUB") == "Noted: Peter Otieno is invited to meeting 12 in your place."
    assert answers(chat) == [(12, "confirmed"), (12, "declined"), (12, "delegated")]
    assert chat.state is None


@pytest.mark.parametrize(
    "language,yes,no,sub",
    [
        ("en", "y", "no", "substitute"),
        ("fr", "o", "non", "suppléant"),
        ("es", "sí", "no", "suplente"),
        ("pt", "s", "não", "suplente"),
        ("ar", "نعم", "لا", "بديل"),
    ],
)
def test_answers_in_each_language_are_understood_and_answered_in_it(language, yes, no, sub):
    """Short forms count (y, o, s); the reply is in the person's language, never in English."""
    chat = Chat(person(language), NOW)
    replies = [chat.say(yes), chat.say(no), chat.say(sub)]
    assert answers(chat) == [(12, "confirmed"), (12, "declined"), (12, "delegated")]
    t = T(language)
    assert replies[2] == t("Noted: {name} is invited to meeting {ref} in your place.", name="Peter Otieno", ref=12)
    if language != "en":
        english = Chat(person("en"), NOW)
        assert all(r != english.say(w) for r, w in zip(replies, ("yes", "no", "sub")))


def test_arabic_digits_and_a_latin_meeting_number_in_arabic():
    chat = Chat(person("ar", invitations=(REVIEW, CHILDREN)), NOW)
    chat.say("نعم ١٤")
    chat.say("لا 12")
    assert answers(chat) == [(14, "confirmed"), (12, "declined")]


def test_two_open_invitations_need_the_meeting_number():
    """A bare answer with two invitations open lists them and records nothing; "14 yes", "#12 no" do."""
    chat = Chat(person(invitations=(REVIEW, CHILDREN)), NOW)
    reply = chat.say("yes")
    assert reply.splitlines() == [
        "You have 2 open invitations. Reply with the meeting number, e.g. YES 12:",
        "12 Disability rights c..., Thu, Dec 3 10:00",  # titles cut to keep it to one SMS
        "14 Children's rights c..., Sun, Dec 6 10:00",
    ]
    assert answers(chat) == []
    chat.say("14 yes")
    chat.say("#12 no")
    assert answers(chat) == [(14, "confirmed"), (12, "declined")]


def test_a_bare_answer_goes_to_the_one_invitation_not_answered_yet():
    answered = replace(REVIEW, status="confirmed")
    chat = Chat(person(invitations=(answered, CHILDREN)), NOW)
    chat.say("no")
    assert answers(chat) == [(14, "declined")]


def test_a_meeting_number_that_is_not_open_is_named():
    chat = Chat(person(), NOW)
    assert chat.say("yes 99").splitlines()[0] == "You have no open invitation to meeting 99."
    assert answers(chat) == []


def test_sub_without_a_substitute_records_nothing():
    chat = Chat(person(invitations=(CHILDREN,)), NOW)
    assert chat.say("sub") == "No substitute can go in your place. Please reply YES 14 or NO 14."
    assert answers(chat) == []


def test_an_answer_during_the_weekly_update_is_recorded_and_the_update_keeps_waiting():
    """Rule 3: "yes" is not a status, so it is the meeting's; the update stays open and says so."""
    chat = Chat(person(), NOW)
    chat.prompt()
    waiting = chat.state
    assert chat.say("YES").splitlines()[-1] == "Your weekly update is still open."
    assert answers(chat) == [(12, "confirmed")] and chat.state == waiting
    chat.say("1D 2P")
    assert [e.status for e in chat.events if isinstance(e, ProgressReported)] == ["completed", "in_progress"]


def test_a_bare_answer_that_the_waiting_step_could_take_is_not_guessed():
    """Rule 2: at the note step "no" might mean "no note": the bot asks, records nothing, and
    "NO 12" then answers the meeting while the note step still waits."""
    chat = Chat(person(), NOW)
    chat.prompt()
    chat.say("1D 2P")
    note_step = chat.state
    assert chat.say("no") == (
        "Did you mean meeting 12? If so, reply NO 12. Nothing was recorded; send HELP to see the other question."
    )
    assert chat.state == note_step and answers(chat) == []
    chat.say("NO 12")
    assert answers(chat) == [(12, "declined")] and chat.state.step == "note"


def test_one_letter_is_read_in_the_persons_own_language_first():
    """For an English person "n" in the weekly update is "not started", not a Spanish "no"; for a
    French person, whose "n" is "non", the bot asks which was meant."""
    english = Chat(person("en"), NOW)
    english.prompt()
    english.say("n")
    assert answers(english) == [] and english.events[0].status == "not_started"
    french = Chat(person("fr"), NOW)
    french.prompt()
    french.say("n")
    assert answers(french) == [] and french.events == [] and "12" in french.lines[-1][1]


def test_a_place_in_a_community_report_is_not_taken_for_an_answer():
    chat = Chat(replace(person(), report_actions=(BILL,)), NOW)
    chat.say("REPORT")
    assert chat.state.step == "where"
    chat.say("yes")
    assert chat.state.step == "where" and answers(chat) == []
    chat.say("Kondele ward")
    assert chat.state.step == "what"


def test_status_and_the_menu_show_invitations_waiting_for_an_answer():
    chat = Chat(person(), NOW)
    assert chat.say("hello") == "Meeting 12, Thu, Dec 3 10:00: please reply YES 12, NO 12 or SUB 12."
    assert chat.say("STATUS").endswith("Meeting 12, Thu, Dec 3 10:00: please reply YES 12, NO 12 or SUB 12.")


def test_yes_without_any_invitation_is_not_an_attendance_answer():
    """A bare "yes" gets the menu; one naming a meeting is told that meeting is not open to them."""
    chat = Chat(person(invitations=()), NOW)
    assert chat.say("yes").startswith("Hello Amina.")
    assert chat.say("YES 4") == "You have no open invitation to meeting 4."
    assert chat.events == []


def test_a_number_that_is_no_open_meeting_stays_a_status():
    """Rule 1 needs a meeting the person is invited to: for a Spanish person "1 s" in the weekly
    update is action 1 in progress, not an answer to a meeting 1."""
    chat = Chat(person("es"), NOW)
    chat.prompt()
    chat.say("1 s")
    assert answers(chat) == [] and [(e.action_id, e.status) for e in chat.events] == [(1, "in_progress")]


def test_an_answer_after_the_update_expired_gets_the_closing_note_first():
    """The expiry note is given once: by the timer, or (when it has not run yet) before the next answer."""
    chat = Chat(person(invitations=()), NOW)
    chat.prompt()
    reply = chat.say("1D", at=NOW + timedelta(days=4))
    assert reply.startswith("Your update for the week of 23 Nov has closed; what you sent is saved.")
    assert chat.events == [] and chat.state is None
