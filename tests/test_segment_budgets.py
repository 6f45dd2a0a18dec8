"""What each message kind costs by SMS, in every language (docs/sms-segments.md): the budgets the
texts meet today, so that no change makes a message cost more without anyone noticing."""
from backend.segments_table import table

LONG = {"weekly_prompt", "status"}


def test_english_is_gsm7_and_short():
    """English never leaves GSM-7; every kind is one segment except the prompt and STATUS (two)."""
    for row in table():
        if row["language"] == "en":
            assert row["encoding"] == "GSM-7", row
            assert row["segments"] <= (2 if row["kind"] in LONG else 1), row


def test_every_language_within_its_budget():
    """With accents folded, Latin-script languages fit two segments; Arabic (UCS-2) four."""
    for row in table():
        budget = 4 if row["language"] == "ar" else 2
        assert row["folded_segments"] <= budget, row
        if row["kind"] not in LONG and row["language"] in ("en", "fr"):
            assert row["segments"] == 1, row
