"""What each message kind costs by SMS, in every language (docs/sms-segments.md), rendered with
the longest realistic values: three long action titles, long names, a four-digit meeting number."""

import pytest

from backend.i18n.segments_table import table
from conversations.i18n import available_languages

ROWS = table()


def test_every_kind_is_measured_in_every_language():
    kinds = {r["kind"] for r in ROWS}
    assert len(kinds) >= 30
    for language in available_languages():
        assert {r["kind"] for r in ROWS if r["language"] == language} == kinds


@pytest.mark.parametrize("row", [r for r in ROWS if r["language"] == "en"], ids=lambda r: r["kind"])
def test_english_is_one_gsm7_segment(row):
    assert (row["encoding"], row["segments"]) == ("GSM-7", 1), row


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r["language"] != "en"], ids=lambda r: f"{r['language']}-{r['kind']}"
)
def test_other_languages_stay_within_two_segments(row):
    """As sent by default (typographic punctuation folded, accents kept); folding accents never costs more."""
    assert row["segments"] <= 2, row
    assert row["folded_segments"] <= row["segments"], row
