"""What each message kind costs by SMS, in every language (docs/sms-segments.md): every message the
bot can send by SMS is in the table, and each keeps its budget (the rules of conversations/budget.py)
with realistic values and with the longest ones; tests/test_sms_budget_property.py does the same
over generated values."""

from datetime import timedelta

import pytest

from backend.i18n.catalogs import extract
from backend.i18n.segments_table import LONGEST, REALISTIC, _person, messages, table
from bot.segments import count_segments
from conversations import weekly
from conversations.budget import budget, cut, fitted, gsm_language, sms_text
from conversations.i18n import T, available_languages
from conversations.views import CHAT, SMS

ROWS = table()

# Messages never sent by SMS, so not in the table:
NOT_BY_SMS = {
    # Telegram's onboarding: the share-my-number button, and what answers a shared contact (a
    # contact can only be shared on Telegram; on SMS an unknown number gets "not registered").
    "Share my phone number",
    'Welcome to the {mechanism} focal point bot. To link your account, tap "Share my phone number" below.',
    'Please share your own number with the "Share my phone number" button.',
    "This number is not in the focal point roster. Please ask your {mechanism} secretariat to add you.",
    "Thank you, {name}. Your Telegram account is linked; your weekly prompts will come here. Send HELP at any time.",
    # Only names a language CLDR has no data for, inside LANG's answers (which are in the table).
    "(name of this language)",
}


def test_every_message_sent_by_sms_is_in_the_table(monkeypatch):
    """Every message of the code (as `nmirf i18n update` extracts them) is looked up while the table
    is built, but those listed in NOT_BY_SMS: a new message needs a row (segments_table.py)."""
    seen = set()
    call, plural = T.__call__, T.n

    def recording_call(self, message, **values):
        seen.add(message)
        return call(self, message, **values)

    def recording_n(self, singular, plural_form, count, **values):
        seen.add(singular)
        return plural(self, singular, plural_form, count, **values)

    monkeypatch.setattr(T, "__call__", recording_call)
    monkeypatch.setattr(T, "n", recording_n)
    for language in available_languages():
        messages(language, REALISTIC)
        messages(language, LONGEST)
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
    assert extracted - seen - NOT_BY_SMS == set(), "messages sent by SMS that the table does not measure"
    assert NOT_BY_SMS <= extracted, "NOT_BY_SMS names a message the code no longer has"


def test_every_kind_is_measured_in_every_language():
    kinds = {r["kind"] for r in ROWS}
    assert len(kinds) >= 60
    for language in available_languages():
        assert {r["kind"] for r in ROWS if r["language"] == language} == kinds


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['language']}-{r['kind']}")
def test_every_kind_keeps_its_budget(row):
    """With realistic and with the longest values, as sent by default: one segment in English (GSM-7),
    two in the other languages, more only by the rules for long lists and long names. Folding
    accents (SMS_FOLD=accents) never costs more."""
    if row["language"] == "en":
        assert row["encoding"] == "GSM-7" and row.get("longest_encoding", "GSM-7") == "GSM-7", row
    assert row["segments"] <= row["budget"], row
    assert row.get("longest_segments", 0) <= row.get("longest_budget", 0), row
    assert row["folded_segments"] <= row["segments"], row


def test_english_and_swahili_data_is_folded_to_gsm7_and_other_languages_are_sent_as_written():
    """Rule 2: a name with ğ or ł keeps an English or Swahili SMS in GSM-7; French keeps its ç (and
    the name as written); letters with no GSM-7 form stay; SMS_FOLD=none sends as written."""
    assert gsm_language("en") and gsm_language("sw")
    assert not any(gsm_language(language) for language in ("fr", "es", "pt", "ar", "th"))
    text = "Noted: Łukasz Ğündoğdu is invited to meeting 12 in your place."
    assert sms_text(text, "en") == "Noted: Lukasz Gündogdu is invited to meeting 12 in your place."  # ü is GSM-7
    assert sms_text(text, "sw") == sms_text(text, "en")
    assert sms_text(text, "fr") == text
    assert sms_text(text, "en", "none") == text
    assert sms_text("Reçu : Łukasz", "fr", "accents") == "Recu : Lukasz"
    thai = "Noted: สมชาย is invited to meeting 12 in your place."
    assert sms_text(thai, "en") == thai


def test_a_gsm7_language_without_folding_would_pay_for_the_data():
    """Rule 2's UCS-2 case: English text that stays UCS-2 (a Thai name) keeps 160 characters (3
    UCS-2 segments); Swahili its 306 (5)."""
    assert budget("en", "UCS-2") == 3 and budget("sw", "UCS-2") == 5
    assert budget("en") == 1 and budget("fr", "UCS-2") == budget("fr") == 2


def test_a_list_too_long_for_one_segment_takes_the_fewest_it_can_with_the_longest_titles():
    """Rule 3: ten actions do not fit one SMS even at 12 characters a title; the prompt is then two
    GSM-7 segments (its letters outside GSM-7 folded), with the longest titles two segments hold,
    and the budget allows it (rule 4)."""
    prompt = weekly.start(_person("en", LONGEST), LONGEST.now, timedelta(hours=72))
    assert prompt is not None
    text = prompt.replies[0].text
    count = count_segments(sms_text(text, "en"))
    assert (count.encoding, count.segments) == ("GSM-7", 2)
    titles = [line.split(" ", 1)[1] for line in text.splitlines()[1:-1]]
    assert len(titles) == 10 and all(12 < len(t) < 40 and t.endswith("...") for t in titles)
    assert count.segments <= budget("en", items=10)


def test_fitted_keeps_short_lists_whole_and_cuts_long_ones_just_enough():
    title = "Adopt the national action plan on rights"

    def render(head: str):
        return lambda limit: head + (title if limit is None else cut(title, limit))

    assert fitted(render("Week of 6 May:\n1 "), SMS) == "Week of 6 May:\n1 " + title
    assert fitted(render("Week of 6 May:\n1 "), CHAT) == "Week of 6 May:\n1 " + title
    assert fitted(render("y" * 130), SMS) == "y" * 130 + cut(title, 30)  # 160 characters: one segment
    assert fitted(render("y" * 150), SMS) == "y" * 150 + title  # two segments even at 12: the whole title fits


def test_the_send_folds_the_data_by_the_persons_language():
    """backend/outbox/send.py sends rule 2's text: the person's language decides (DEFAULT_LANGUAGE
    when the message has no person), and SMS_FOLD still applies."""
    from types import SimpleNamespace

    from backend.outbox.send import _sms_text

    languages = {1: "en", 2: "fr"}
    session = SimpleNamespace(get=lambda _model, ident: SimpleNamespace(language=languages[ident]))

    def sent(person_id, fold="punctuation", default="en"):
        row = SimpleNamespace(person_id=person_id, text="Chat text", sms_text="Noted: Łukasz – Şehir")
        return _sms_text(session, SimpleNamespace(sms_fold=fold, default_language=default), row)

    assert sent(1) == "Noted: Lukasz - Sehir"
    assert sent(2) == "Noted: Łukasz - Şehir"
    assert sent(None) == "Noted: Lukasz - Sehir" and sent(None, default="fr") == "Noted: Łukasz - Şehir"
    assert sent(2, fold="accents") == "Noted: Lukasz - Sehir" and sent(1, fold="none") == "Noted: Łukasz – Şehir"
