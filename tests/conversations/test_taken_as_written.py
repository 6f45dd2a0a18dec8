"""What a person types at a step that takes text (a note, a place, a description) is kept as they
wrote it, whatever word it starts with, in every language; the reply says how to send the command
instead. A command word is a command only when the message is the command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conversations import engine
from conversations.views import ActionView, AvailabilityChanged, LanguageChanged, NoteAdded, PersonView
from tests.conversations.transcript import Chat

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ACTIONS = (ActionView(101, "Draft the bill", "in_progress"), ActionView(102, "Train officers", "not_started"))

# Notes as officials write them, each starting with one of its language's command words.
NOTES = [
    ("en", "Back from the workshop, the bill goes to cabinet in January", "BACK"),
    ("en", "Away from the office part of the week: training postponed", "AWAY"),
    ("en", "Language of the bill agreed with the drafters", "LANGUAGE"),
    ("fr", "Retour du ministre prévu lundi, signature ensuite", "RETOUR"),
    ("fr", "De retour de mission, le rapport est en relecture", "DE RETOUR"),
    ("fr", "Absent de la réunion car malade, le dossier avance", "ABSENT"),
    ("es", "De regreso de la misión, el informe está en revisión", "DE REGRESO"),
    ("es", "Ausente el director, la firma se retrasa una semana", "AUSENTE"),
    ("pt", "Voltei da missão e o relatório está em revisão", "VOLTEI"),
    ("pt", "Ausente o diretor, a assinatura atrasa uma semana", "AUSENTE"),
    ("ar", "عدت من الورشة والمشروع أمام مجلس الوزراء", "عدت"),
    ("ar", "غائب المدير هذا الأسبوع والتوقيع مؤجل", "غائب"),
]


def person(language: str) -> PersonView:
    return PersonView(
        id=1,
        name="Amina Odhiambo",
        language=language,
        timezone="Africa/Nairobi",
        actions=ACTIONS,
        report_actions=ACTIONS[:1],
    )


@pytest.mark.parametrize("language,note,word", NOTES)
def test_a_note_that_starts_with_a_command_word_is_stored_as_written(language, note, word):
    chat = Chat(person(language), NOW)
    chat.prompt()
    chat.say("1D 2P")
    reply = chat.say(note)
    assert chat.last_events == [NoteAdded(action_ids=(101, 102), period="2026-W48", note=note)]
    assert chat.state is None and word in reply
    assert not any(isinstance(e, AvailabilityChanged | LanguageChanged) for e in chat.events)


@pytest.mark.parametrize("language,text,word", NOTES)
def test_a_place_or_a_description_that_starts_with_a_command_word_is_kept(language, text, word):
    chat = Chat(person(language), NOW)
    chat.say(
        "REPORT" if language == "en" else {"fr": "RAPPORT", "es": "INFORME", "pt": "RELATORIO", "ar": "تقرير"}[language]
    )
    assert chat.state.step == "where"
    reply = chat.say(text)
    assert chat.state.locality == text[:100] and word in reply
    chat.say(text)
    assert chat.state.what == text and chat.state.step == "reached"
    assert not any(isinstance(e, AvailabilityChanged | LanguageChanged) for e in chat.events)


@pytest.mark.parametrize(
    "language,text", [("en", "BACK"), ("fr", "de retour"), ("fr", "je suis de retour"), ("ar", "عدت")]
)
def test_back_alone_is_still_the_command_at_the_note_step(language, text):
    chat = Chat(person(language), NOW)
    chat.prompt()
    chat.say("1D 2P")
    chat.say(text)
    assert chat.last_events == [AvailabilityChanged(None)] and chat.state.step == "note"


@pytest.mark.parametrize(
    "language,text", [("en", "AWAY 15/12"), ("en", "away until Friday"), ("fr", "absent jusqu'au 15 décembre")]
)
def test_away_with_its_date_is_still_the_command(language, text):
    out = engine.handle_text(person(language), None, text, NOW)
    assert len(out.events) == 1 and isinstance(out.events[0], AvailabilityChanged)


def test_lang_with_a_language_is_the_command_and_lang_in_a_sentence_is_not():
    assert engine.handle_text(person("en"), None, "LANG fr", NOW).events == [LanguageChanged("fr")]
    asked = engine.handle_text(person("en"), None, "LANG", NOW)
    assert "Send LANG and a language code" in asked.replies[0].text
    sentence = engine.handle_text(person("en"), None, "Language of the bill agreed with the drafters", NOW)
    assert sentence.events == [] and "Send LANG" not in sentence.replies[0].text


def test_a_plain_note_gets_no_hint():
    chat = Chat(person("fr"), NOW)
    chat.prompt()
    chat.say("1D 2P")
    assert chat.say("Le texte est chez le Premier ministre") == "Note ajoutée. Merci."


# --- Property: whatever follows a command word at a free-text step is kept as written --------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conversations import subscription  # noqa: E402
from conversations.i18n import available_languages  # noqa: E402
from conversations.parse import command, keywords, parse_statuses  # noqa: E402
from conversations.report import ReportState  # noqa: E402

LANGUAGES = [code for code in available_languages() if code != "en"] + ["en"]
COMMAND_WORDS = sorted(
    {
        " ".join(phrase)
        for code in available_languages()
        for meaning in ("away", "back", "lang", "stop", "start", "status", "undo", "help", "report", "skip", "sub")
        for phrase in keywords(code).get(meaning, ())
    }
)
WORD = st.text(alphabet=st.characters(categories=("Ll", "Lu", "Lo")), min_size=2, max_size=12)


@given(
    language=st.sampled_from(LANGUAGES),
    first=st.sampled_from(COMMAND_WORDS),
    rest=st.lists(WORD, min_size=6, max_size=12),
    padding=st.sampled_from(["", " ", "  \n"]),
)
def test_a_description_starting_with_any_command_word_is_stored_verbatim(language, first, rest, padding):
    """At the report's description step, a text that starts with any language's command word and
    goes on is the description, unchanged (after trimming): no subscription, language or
    availability change."""
    text = padding + " ".join([first, *rest]) + padding
    p = person(language)
    state = ReportState(
        step="what", choices=(("action", 101),), action=101, locality="Kisumu", expires_at=NOW + timedelta(days=1)
    )
    out = engine.handle_text(p, state, text, NOW)
    assert subscription.keyword(text, language) is None
    assert not any(isinstance(e, AvailabilityChanged | LanguageChanged) for e in out.events)
    assert isinstance(out.state, ReportState) and out.state.what == text.strip()


@given(language=st.sampled_from(LANGUAGES), text=st.text(min_size=1, max_size=200))
def test_any_note_that_is_no_command_and_no_status_is_stored_verbatim(language, text):
    """At the weekly note step, any text that is not a command on its own and holds no numbered
    status is the note, unchanged (after trimming, at most 500 characters)."""
    if not text.strip() or command(text, language, tuple(sorted(keywords(language)))) is not None:
        return
    if any(item.number is not None for item in parse_statuses(text, language)):
        return  # "3B": a status for action 3 (answered, or "there is no action 3"), not a note
    chat = Chat(person(language), NOW)
    chat.prompt()
    chat.say("1D 2P")
    before = list(chat.events)
    chat.say(text)
    new = chat.events[len(before) :]
    if any(not isinstance(e, NoteAdded) for e in new):
        # A numbered status ("2 blocked") corrects an answer: never a language or availability change.
        assert not any(isinstance(e, AvailabilityChanged | LanguageChanged) for e in new)
        return
    assert new == [NoteAdded(action_ids=(101, 102), period="2026-W48", note=text.strip()[:500])]


# --- The bot's own advice, followed literally, never unsubscribes ----------------------------

import re  # noqa: E402

from conversations.i18n import T  # noqa: E402
from conversations.report import ReportFlow  # noqa: E402

# Upper-case words in a message are words the bot tells people to send ("SKIP", "PASSER", "RUKA").
ADVICE = re.compile(r"\b[^\W\d_]{2,}\b")


QUOTED = re.compile(r'["«“]([^"»”]+)["»”]')


def _advice_words(text: str) -> list[str]:
    """Upper-case words, and words in quotes (Arabic has no case: "تخطي")."""
    return [w for w in ADVICE.findall(text) if w.isupper()] + QUOTED.findall(text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_following_the_reports_own_cancel_advice_drops_the_report_and_stays_subscribed(language):
    """HELP during a report says how to drop it; sending exactly that word drops the report and is
    never STOP."""
    p = person(language)
    started = engine.handle_text(p, None, "REPORT", NOW)
    assert isinstance(started.state, ReportState)
    advice = ReportFlow().help_text(p, started.state)
    words = [w for w in _advice_words(advice) if w not in _advice_words(T(language)("REPORT"))]
    if not words:  # a script without case or quotes (Thai): the advice's own SKIP word
        skips = {" ".join(phrase) for phrase in keywords(language)["skip"]}
        words = [w for w in skips if w in advice]
    assert words, f"{language}: no command word in {advice!r}"
    for word in words:
        assert subscription.keyword(word, language) is None, f"{language}: {word!r} from {advice!r} means STOP/START"
    skip = words[-1]
    out = engine.handle_text(p, started.state, skip, NOW)
    assert out.state is None and out.events == [], f"{language}: {skip!r} did not drop the report"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_word_the_bot_tells_people_to_send_is_stop_or_start(language):
    """Every upper-case word in every message of the catalogue, sent back alone, is no STOP or
    START (except in the two messages about stopping and starting)."""
    from babel.messages.pofile import read_po

    from backend.i18n.keywords import SUBSCRIPTION_MESSAGES
    from conversations.i18n import LOCALES_DIR

    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=None)
    for msg in catalog:
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        if not ids[0] or ids[0] in SUBSCRIPTION_MESSAGES:
            continue
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        for text in strings:
            for word in _advice_words(text or ""):
                assert subscription.keyword(word, language) is None, f"{language}: {word!r} in {text!r}"
