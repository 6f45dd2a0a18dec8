"""`nmirf i18n keywords --check`: no reply word with two meanings, no risky typo, and no STOP/START
word in the bot's own messages; and the words that used to do the opposite of what people meant."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.i18n import keywords as audit
from conversations import engine, subscription
from conversations.parse import command, parse_statuses
from conversations.views import AttendanceAnswered, InvitationView, PersonView

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_the_keyword_lists_pass_the_audit():
    assert audit.audit() == []


def test_the_audit_finds_a_word_with_two_meanings_a_risky_typo_and_a_stop_word_in_a_message(monkeypatch):
    planted = {
        "en": {"stop": (("stop",), ("drop",)), "skip": (("skip",), ("none",)), "completed": (("done",),)},
        "fr": {"back": (("retour",),), "completed": (("retour",),)},
    }
    monkeypatch.setattr(audit, "keywords", lambda lang: planted.get(lang, {}))
    monkeypatch.setattr(audit, "exact_only", lambda lang: frozenset())
    problems = "\n".join(audit.audit())
    assert '"retour" means back (fr) and completed (fr)' in problems
    assert '"done" (completed, en) and "none" (skip, en) are one typo apart' in problems
    assert 'en: the STOP word "drop" is in the message' in problems  # the report's own help says "drop it"
    assert 'en: the STOP word "stop"' not in problems  # the STOP message itself may name it
    monkeypatch.setattr(audit, "exact_only", lambda lang: frozenset({"none"}) if lang == "en" else frozenset())
    assert "one typo apart" not in "\n".join(audit.audit())


def test_one_letter_codes_may_differ_between_languages():
    """ "n" is "not started" in English and "no" in French: each is read in its own language only."""
    assert not any('"n" means' in p for p in audit.audit())


@pytest.mark.parametrize(
    "language,word", [("pt", "cancelar"), ("pt", "sair"), ("es", "salir"), ("ar", "إلغاء"), ("en", "drop it")]
)
def test_words_for_leaving_a_report_do_not_unsubscribe(language, word):
    """What a person types to abandon something is not STOP (the real STOP words still are)."""
    assert subscription.keyword(word, language) is None
    assert (
        subscription.keyword({"pt": "parar", "es": "baja", "ar": "إيقاف", "en": "stop"}[language], language) == "stop"
    )


def test_a_word_marked_exact_takes_no_typo():
    """=none (SKIP) takes no typo, so nothing one edit from it is skipped; done still does."""
    assert [i.status for i in parse_statuses("1 dnoe", "en")] == ["completed"]
    assert command("none", "en", ("skip",)) == "skip" and command("nonr", "en", ("skip",)) is None


def test_present_answers_an_invitation_in_arabic():
    """ "حاضر" ("present", "I will attend") confirms the invitation; it is no longer BACK."""
    invitation = InvitationView(
        meeting_id=12,
        title="Cluster review",
        starts_at=datetime(2026, 12, 3, 7, tzinfo=UTC),
        place="Room 2",
        status="pending",
    )
    person = PersonView(id=1, name="Amina", language="ar", timezone="Africa/Nairobi", invitations=(invitation,))
    assert engine.handle_text(person, None, "حاضر", NOW).events == [AttendanceAnswered(12, "confirmed")]
