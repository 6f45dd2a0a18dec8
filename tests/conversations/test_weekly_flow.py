"""The weekly progress update, as the person sees it: a prompt, short replies, a confirmation."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.segments import count_segments
from conversations.views import ActionView, NoteAdded, PersonView, ProgressReported
from tests.conversations.transcript import TIMEOUT, Chat

NOW = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)  # a Monday
PERIOD = "2024-W19"

PLAN = ActionView(101, "Adopt the national action plan on rights", "in_progress")
TRAIN = ActionView(102, "Train police on custody safeguards today", "not_started", indicator="officers trained")
REPORT = ActionView(103, "Publish annual report on prison visiting", "blocked")
PERSON = PersonView(
    id=7,
    name="Amina Diallo",
    language="en",
    timezone="Africa/Dakar",
    institution="Ministry of Justice",
    actions=(PLAN, TRAIN, REPORT),
)

LABEL = {"completed": "done", "in_progress": "in progress", "not_started": "not started", "blocked": "blocked"}
LETTER = {"completed": "D", "in_progress": "P", "not_started": "N", "blocked": "B"}

SORRY = "Sorry, I did not understand."
SYNTAX = "D done, P in progress, N not started, B blocked"
MENU = "Nothing is waiting for your answer now"


def chat(person: PersonView = PERSON) -> Chat:
    c = Chat(person, NOW)
    assert c.prompt() is not None
    return c


def reported(c: Chat) -> list[tuple[int, str]]:
    return [(e.action_id, e.status) for e in c.events if isinstance(e, ProgressReported)]


def test_titles_are_forty_characters():
    """The fixture's titles are exactly 40 characters, the longest the prompt shows unshortened."""
    assert [len(a.title) for a in PERSON.actions] == [40, 40, 40]


def test_prompt_lists_open_actions_numbered_with_legend():
    """The prompt names the week, numbers each open action and explains the reply, in one SMS: three
    titles of 40 characters are shortened just enough to fit 160 characters."""
    c = Chat(PERSON, NOW)
    text = c.prompt()
    assert text.splitlines() == [
        "Week of 6 May:",
        "1 Adopt the national a...",
        "2 Train police on cust...",
        "3 Publish annual repor...",
        "Reply e.g. 1D 2P (D done, P in progress, N not started, B blocked)",
    ]
    assert len(text) <= 160
    two = Chat(replace(PERSON, actions=PERSON.actions[:2]), NOW).prompt()
    assert "1 Adopt the national action plan on...\n2 Train police on custody safeguards..." in two
    one = Chat(replace(PERSON, actions=PERSON.actions[:1]), NOW).prompt()
    assert "\n1 Adopt the national action plan on rights\n" in one  # whole when it fits
    assert c.state.step == "statuses" and c.state.actions == (101, 102, 103)
    assert c.state.expires_at == NOW + TIMEOUT
    assert c.events == []


def test_whole_answer_in_one_message():
    """Answering every action in one message records them all and confirms them in one reply."""
    c = chat()
    reply = c.say("1D 2P 3B")
    assert reply == (
        "Thank you. Recorded for the week of 6 May: 1 done; 2 in progress; 3 blocked. "
        "To add a note, reply with it now (or SKIP)."
    )
    assert c.events == [
        ProgressReported(action_id=101, status="completed", period=PERIOD),
        ProgressReported(action_id=102, status="in_progress", period=PERIOD),
        ProgressReported(action_id=103, status="blocked", period=PERIOD),
    ]
    assert c.state.step == "note"


def test_one_at_a_time_with_bare_statuses():
    """A bare status answers the next unanswered action, and the bot asks for the one after it."""
    c = chat()
    assert c.say("done") == ("Recorded: 1 done. Now action 2 Train police on custody safeguards today: D/P/N/B?")
    assert c.say("In progress") == (
        "Recorded: 2 in progress. Now action 3 Publish annual report on prison visiting: D/P/N/B?"
    )
    assert c.state.step == "statuses"
    assert c.say("stuck") == (
        "Thank you. Recorded for the week of 6 May: 1 done; 2 in progress; 3 blocked. "
        "To add a note, reply with it now (or SKIP)."
    )
    assert reported(c) == [(101, "completed"), (102, "in_progress"), (103, "blocked")]
    assert c.state.step == "note"


@pytest.mark.parametrize(
    "text",
    [
        "1D",
        "1d",
        "1 d",
        "1. done",
        "1) done",
        "#1 done",
        "1=done",
        "1: done",
        "1 - done",
        "١ d",
        "۱ D",
        "1 DONE",
        "1 Done.",
        "1 completed",
        "1 finished",
        "1 dnoe",
    ],
)
def test_numbering_variants_answer_action_one(text):
    """However the person writes the number (1. 1) #1 1= 1: Arabic-Indic digits), action 1 is recorded."""
    c = chat()
    reply = c.say(text)
    assert reported(c) == [(101, "completed")], c
    assert reply.startswith("Recorded: 1 done. Now action 2 "), c


@pytest.mark.parametrize(
    "text",
    [
        "1) d 2) p 3) b",
        "#1 d #2 p #3 b",
        "1=d 2=p 3=b",
        "1: done, 2: in progress, 3: blocked",
        "1. D\n2. P\n3. B",
        "١ d ٢ p ٣ b",
        "1d2p3b",
    ],
)
def test_numbering_variants_for_all_actions(text):
    """Every numbering style also works for several actions in one message."""
    c = chat()
    c.say(text)
    assert reported(c) == [(101, "completed"), (102, "in_progress"), (103, "blocked")], c
    assert c.state.step == "note"


@pytest.mark.parametrize("text", ["hello how are you", "ok", "12345", "what is this?!", "   ", "Yes"])
def test_gibberish_gets_the_syntax_and_records_nothing(text):
    """A reply without any status is answered with how to reply, and nothing is stored."""
    c = chat()
    before = c.state
    reply = c.say(text)
    assert reply == f"{SORRY} Reply with action number and status, e.g. 1D 2P. {SYNTAX}."
    assert c.events == []
    assert c.state == before


def test_gibberish_example_matches_a_single_action():
    """With one open action the correction's example uses only action 1."""
    c = chat(replace(PERSON, actions=(PLAN,)))
    assert "e.g. 1D." in c.say("what?")


def test_unknown_action_number_is_named_and_the_rest_recorded():
    """A number with no action is named in the reply, while the valid part of the same message is stored."""
    c = chat()
    reply = c.say("5D 1D")
    assert reply.startswith("There is no action 5; your actions are numbered 1 to 3. Recorded: 1 done. ")
    assert reported(c) == [(101, "completed")]
    reply = c.say("2P 7B 9N 3B")
    assert reply.startswith("There are no actions 7, 9; your actions are numbered 1 to 3. ")
    assert "1 done; 2 in progress; 3 blocked" in reply
    assert reported(c) == [(101, "completed"), (102, "in_progress"), (103, "blocked")]


def test_only_unknown_numbers_records_nothing():
    """A message naming only actions that do not exist stores nothing and keeps asking."""
    c = chat()
    before = c.state
    reply = c.say("4D")
    assert reply.startswith("There is no action 4; your actions are numbered 1 to 3.")
    assert c.events == [] and c.state.answered == before.answered


def test_two_answers_in_one_sms():
    """Two answers in one message are both recorded and echoed, then the remaining action is asked."""
    c = chat()
    reply = c.say("1D 2P")
    assert reply == ("Recorded: 1 done; 2 in progress. Now action 3 Publish annual report on prison visiting: D/P/N/B?")
    assert reported(c) == [(101, "completed"), (102, "in_progress")]
    assert c.state.step == "statuses"


def test_correction_last_one_wins():
    """Correcting an answered action stores the new status and the echo shows it, not the old one."""
    c = chat()
    assert c.say("1D").startswith("Recorded: 1 done.")
    assert c.say("1B").startswith("Recorded: 1 blocked. Now action 2 ")
    c.say("2P 3N")
    reply = c.say("3 done")
    assert reply.startswith("Thank you. Recorded for the week of 6 May: 1 blocked; 2 in progress; 3 done.")
    assert c.state.step == "note"
    assert reported(c)[-1] == (103, "completed")


def test_correction_within_one_message_last_one_wins():
    """When one message answers the same action twice, the later status is stored and echoed."""
    c = chat()
    reply = c.say("1D 2P 1B 3N")
    assert "1 blocked; 2 in progress; 3 not started" in reply
    assert "1 done" not in reply
    assert c.state.answered["1"] == "blocked"
    assert reported(c)[-2] == (101, "blocked")


def test_figure_for_indicator_action_is_a_decimal():
    """A figure after an indicator action's status is stored as a Decimal and echoed."""
    c = chat()
    reply = c.say("1D 2P 45 3B")
    update = c.events[1]
    assert update.action_id == 102
    assert isinstance(update.indicator_value, Decimal) and update.indicator_value == Decimal("45")
    assert update.note is None
    assert "2 in progress (45)" in reply


@pytest.mark.parametrize(
    "text,value", [("2P 12,5", "12.5"), ("2P 12.5", "12.5"), ("2 p 300", "300"), ("2 done 0", "0"), ("٢ p ٤٥", "45")]
)
def test_figure_forms(text, value):
    """Decimal commas, points and Arabic-Indic digits all give the same stored figure."""
    c = chat()
    c.say(text)
    assert c.events[0].indicator_value == Decimal(value)


def test_figure_for_action_without_indicator_goes_into_note():
    """A figure for an action with no indicator is kept, in the note, not dropped or stored as a figure."""
    c = chat()
    reply = c.say("1D 2P 3B 12 weeks late")
    update = c.events[2]
    assert update.action_id == 103 and update.indicator_value is None
    assert update.note == "12 weeks late"
    assert "3 blocked;" not in reply and reply.endswith("3 blocked. To add a note, reply with it now (or SKIP).")
    assert "(12)" not in reply


def test_correction_without_figure_drops_echoed_figure():
    """Correcting an indicator action without a figure no longer echoes the old figure."""
    c = chat()
    assert "2 in progress (45)" in c.say("1D 2P 45 3B")
    reply = c.say("2D")
    assert "2 done;" in reply and "(45)" not in reply


def test_notes_between_pairs_attach_to_the_right_action():
    """Text after a status belongs to that action, up to the next number and status."""
    c = chat()
    c.say("1D sent to cabinet, 2P 30 officers so far; 3B waiting for budget")
    plan, train, report = c.events
    assert (plan.action_id, plan.note, plan.indicator_value) == (101, "sent to cabinet", None)
    assert (train.action_id, train.note, train.indicator_value) == (102, "officers so far", Decimal("30"))
    assert (report.action_id, report.note, report.indicator_value) == (103, "waiting for budget", None)


def test_note_keeps_original_spelling():
    """A note is stored as typed (case and accents kept), not in the normalised form used for matching."""
    c = chat()
    c.say("1 blocked Ministère des Finances: AWAITING décret")
    assert c.events[0].note == "Ministère des Finances: AWAITING décret"


@pytest.mark.parametrize("statuses", list(itertools.product(LABEL, repeat=3)))
def test_confirmation_echoes_every_stored_status(statuses):
    """The confirmation names every action with the status that was stored for it."""
    c = chat()
    text = " ".join(f"{n}{LETTER[s]}" for n, s in enumerate(statuses, 1))
    reply = c.say(text)
    echo = "; ".join(f"{n} {LABEL[s]}" for n, s in enumerate(statuses, 1))
    assert reply == f"Thank you. Recorded for the week of 6 May: {echo}. To add a note, reply with it now (or SKIP)."
    assert reported(c) == list(zip((101, 102, 103), statuses))


def test_free_text_in_note_step_adds_note_and_closes():
    """After the confirmation, free text becomes a note on this week's updates and the session ends."""
    c = chat()
    c.say("1D 2P 3B")
    reply = c.say("Minister signed the plan on Monday. ")
    assert reply == "Note added. Thank you."
    assert c.last_events == [
        NoteAdded(action_ids=(101, 102, 103), period=PERIOD, note="Minister signed the plan on Monday.")
    ]
    assert c.state is None
    assert MENU in c.say("anything else?")
    assert len(c.events) == 4


def test_status_in_note_step_corrects_instead_of_noting():
    """In the note step a new status corrects the stored one and the session still waits for a note."""
    c = chat()
    c.say("1D 2P 3B")
    reply = c.say("3 p")
    assert reply.startswith("Thank you. Recorded for the week of 6 May: 1 done; 2 in progress; 3 in progress.")
    assert c.state.step == "note"
    assert c.say("budget released").startswith("Note added.")


def test_long_note_is_cut_to_500_characters():
    """A very long note is stored, cut to 500 characters."""
    c = chat()
    c.say("1D 2P 3B")
    c.say("x" * 800)
    assert len(c.last_events[0].note) == 500


@pytest.mark.parametrize("word", ["HELP", "help", "Help", "?", "help?", "menu", "hlep"])
def test_help_at_each_step_keeps_state_and_is_step_specific(word):
    """HELP explains what to send at this step, and changes nothing."""
    c = chat()
    before = c.state
    reply = c.say(word)
    assert reply.startswith("Reply number+status, e.g. 1D 2P (D done, P in progress, N not started, B blocked)")
    assert "UNDO" in reply
    assert c.state == before and c.events == []

    c.say("1D")
    before = c.state
    reply = c.say(word)
    assert reply.startswith("Reply number+status")
    assert c.state == before and len(c.events) == 1

    c.say("2P 3B")
    before = c.state
    reply = c.say(word)
    assert reply == (
        "Reply with a short note to add it to this week's update, SKIP for none, "
        "or send another status to correct one, e.g. 2B."
    )
    assert c.state == before and len(c.events) == 3

    c.say("all fine")
    reply = c.say(word)
    assert MENU in reply and c.state is None and len(c.events) == 4


def test_help_without_session_gives_menu():
    """HELP with nothing open greets by first name and says a prompt will come."""
    c = Chat(PERSON, NOW)
    reply = c.say("help")
    assert reply == (
        "Hello Amina. Nothing is waiting for your answer now; your weekly message will come. Send HELP at any time."
    )
    assert c.state is None and c.events == []


@pytest.mark.parametrize("late", [timedelta(0), timedelta(minutes=1), timedelta(days=10)])
def test_reply_after_expiry_gets_menu_and_records_nothing(late):
    """Once the session's time is up, a status reply gets the menu and nothing is stored."""
    c = chat()
    c.say("1D")
    reply = c.say("2P 3B", at=NOW + TIMEOUT + late)
    assert MENU in reply
    assert c.state is None
    assert reported(c) == [(101, "completed")]


def test_reply_just_before_expiry_is_recorded():
    """A reply one second before the session expires still counts."""
    c = chat()
    c.say("1D 2P 3B", at=NOW + TIMEOUT - timedelta(seconds=1))
    assert len(c.events) == 3


def test_no_prompt_when_every_action_is_completed():
    """A person whose actions are all completed gets no weekly prompt."""
    done = replace(PERSON, actions=tuple(replace(a, status="completed") for a in PERSON.actions))
    c = Chat(done, NOW)
    assert c.prompt() is None
    assert c.state is None and c.events == []
    assert Chat(replace(PERSON, actions=()), NOW).prompt() is None


def test_completed_actions_are_left_out_and_numbers_follow_the_prompt():
    """Completed actions are not listed, and reply numbers refer to the prompt's numbering."""
    person = replace(PERSON, actions=(replace(PLAN, status="completed"), TRAIN, REPORT))
    c = Chat(person, NOW)
    lines = c.prompt().splitlines()
    assert lines[1:3] == ["1 Train police on custody safeguard...", "2 Publish annual report on prison v..."]
    c.say("1P 2D")
    assert reported(c) == [(102, "in_progress"), (103, "completed")]


def test_long_title_is_shortened_with_ellipsis():
    """A title is cut with "..." as far as the SMS needs, and to 40 characters at most (the
    next-action question has room for 40)."""
    long_title = "Establish an independent monitoring mechanism for places of detention"
    person = replace(PERSON, actions=(PLAN, replace(TRAIN, title=long_title)))
    c = Chat(person, NOW)
    lines = c.prompt().splitlines()
    assert lines[2] == "2 Establish an independent monitorin..."
    assert long_title not in c.say("1D")
    assert "Now action 2 Establish an independent monitoring m...: D/P/N/B?" in c.last.replies[0].text


def _segments(text: str):
    return count_segments(text)


def test_prompt_for_three_forty_char_titles_fits_one_sms_segment():
    """The weekly prompt for three 40-character titles is plain GSM-7 and one SMS."""
    prompt = Chat(PERSON, NOW).prompt()
    seg = _segments(prompt)
    assert seg.encoding == "GSM-7" and seg.segments == 1, (
        f"prompt: {seg.encoding}, {seg.characters} chars, {seg.units} units, {seg.segments} segments"
    )


def test_every_english_reply_is_gsm7():
    """Every English message of a full conversation is GSM-7, so no reply doubles its SMS cost."""
    c = Chat(PERSON, NOW)
    texts = [c.prompt()]
    for msg in [
        "help",
        "what?",
        "5D 1D",
        "1B",
        "2p 45 trained so far",
        "help",
        "3B waiting",
        "2 d 50",
        "help",
        "All good this week",
        "hello",
    ]:
        texts.append(c.say(msg))
    texts.append(Chat(replace(PERSON, actions=(PLAN,)), NOW).say("?"))
    for text in texts:
        seg = _segments(text)
        assert seg.encoding == "GSM-7", f"not GSM-7 ({seg.characters} chars): {text!r}"
        assert seg.segments <= 2, f"{seg.segments} segments ({seg.units} units): {text!r}"


@pytest.mark.parametrize("word", ["SKIP", "none", "no note"])
def test_skip_at_the_note_step_closes_without_a_note(word):
    """SKIP (or "no note", or "none") after the last status closes the update with no note stored."""
    c = chat()
    c.say("1D 2P 3B")
    assert c.say(word) == "No note. Thank you."
    assert c.state is None
    assert not any(isinstance(e, NoteAdded) for e in c.events)


def test_status_words_at_the_note_step_are_a_note():
    """Once all is answered, "done, sent to cabinet" is a note, not a puzzling correction."""
    c = chat()
    c.say("1D 2P 3B")
    assert c.say("done, sent to cabinet") == "Note added. Thank you."
    assert c.events[-1].note == "done, sent to cabinet"


def test_undo_takes_back_only_the_last_message():
    """UNDO reverts what the last message recorded (and only that), then nothing more."""
    c = chat()
    c.say("1D")
    c.say("2P 3B")
    reply = c.say("UNDO")
    assert reply.startswith("Undone: 2, 3.") and c.state.answered == {"1": "completed"}
    assert c.say("undo") == "There is nothing to undo."


def test_two_answers_for_one_action_in_one_message_store_the_last():
    """'1D 1B' is one correction in one message: only "blocked" is stored, and UNDO takes it back."""
    c = chat()
    c.say("1D 1B")
    assert reported(c) == [(101, "blocked")]
    c.say("UNDO")
    assert c.last_events[0].action_ids == (101,)


def test_the_week_is_named_by_the_persons_own_calendar():
    """Sunday 20:00 UTC is already Monday in Auckland: that person's prompt names the new week,
    in their language."""
    sunday = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    dakar = Chat(PERSON, sunday).prompt().splitlines()[0]
    auckland = Chat(replace(PERSON, timezone="Pacific/Auckland", language="fr"), sunday).prompt().splitlines()[0]
    assert (dakar, auckland) == ("Week of 23 Nov:", "Semaine du 30 nov. :")
