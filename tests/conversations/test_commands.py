"""Commands available everywhere: STATUS and LANG, in any language, without losing the open update."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from conversations import engine, weekly
from conversations.views import CHAT, ActionView, LanguageChanged, PersonView

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ACTIONS = (
    ActionView(1, "Draft the child protection bill", "in_progress"),
    ActionView(2, "Train police officers on GBV", "not_started"),
    ActionView(3, "Open a county shelter", "completed"),
)


def person(language="en"):
    return PersonView(id=1, name="Amina Yusuf", language=language, timezone="UTC", actions=ACTIONS)


def prompt(p):
    return engine.start(weekly.FLOW, p, None, NOW, timedelta(hours=72), "t").state


@pytest.mark.parametrize("word", ["STATUS", "status", "statut", "estado", "الحالة"])
def test_status_lists_open_actions_and_what_is_waiting(word):
    """STATUS (in any language) lists open actions with their last status and the waiting update."""
    p = replace(person(), medium=CHAT)  # titles in full (by SMS they are cut to the budget)
    state = prompt(p)
    out = engine.handle_text(p, state, word, NOW)
    assert out.state == state and out.events == []
    text = out.replies[0].text
    assert text.startswith("2 actions still to complete:\n1 Draft the child protection bill: in progress")
    assert "county shelter" not in text
    assert "This week's update is waiting" in text


def test_status_with_nothing_open():
    """A person with every action completed is told so."""
    p = PersonView(id=1, name="A B", language="en", timezone="UTC", actions=(ACTIONS[2],))
    assert engine.handle_text(p, None, "status", NOW).replies[0].text == "You have no action still to complete."


@pytest.mark.parametrize(
    "text,code",
    [
        ("LANG fr", "fr"),
        ("lang FR", "fr"),
        ("langue español", "es"),
        ("idioma portugues", "pt"),
        ("LANG arabic", "ar"),
        ("اللغة العربية", "ar"),
        ("language English", "en"),
    ],
)
def test_lang_switches_language_and_answers_in_it(text, code):
    """LANG with a code or a language name switches, answers in the new language, keeps the update."""
    p = person()
    state = prompt(p)
    out = engine.handle_text(p, state, text, NOW)
    assert out.events == [LanguageChanged(code)] and out.state == state
    assert out.replies[0].text != "" and ("Language set to" in out.replies[0].text) == (code == "en")


def test_lang_without_a_known_language_lists_the_choices():
    """`LANG` alone, or an unknown language, lists what is available and changes nothing."""
    for text in ("LANG", "LANG klingon"):
        out = engine.handle_text(replace(person(), medium=CHAT), None, text, NOW)
        assert out.events == [] and "fr (français)" in out.replies[0].text and "ar (العربية)" in out.replies[0].text
        # By SMS the names are in the reader's language: an Arabic name would make it UCS-2.
        out = engine.handle_text(person(), None, text, NOW)
        assert "fr (French)" in out.replies[0].text and "ar (Arabic)" in out.replies[0].text


@pytest.mark.parametrize("text", ["land allocated for the shelter", "long delays at the ministry"])
def test_words_close_to_lang_are_not_commands(text):
    """A note that starts with "land" or "long" is a note, never a language switch."""
    p = person()
    state = prompt(p)
    engine_out = engine.handle_text(p, state, "1D 2P", NOW)
    out = engine.handle_text(p, engine_out.state, text, NOW)
    assert not any(isinstance(e, LanguageChanged) for e in out.events)
