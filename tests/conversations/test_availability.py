"""AWAY and BACK, with dates as people write them, in several languages."""

from datetime import UTC, date, datetime

import pytest

from conversations import engine
from conversations.availability import read_date
from conversations.views import AvailabilityChanged, PersonView
from conversations.weekly import WeeklyState

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday
TODAY = date(2026, 11, 27)


def person(language="en"):
    return PersonView(id=1, name="Amina Yusuf", language=language, timezone="Africa/Nairobi")


@pytest.mark.parametrize(
    "language,text,expected",
    [
        ("en", "AWAY 15/12", date(2026, 12, 15)),
        ("en", "away until Friday", date(2026, 12, 4)),
        ("en", "AWAY 2027-01-10", date(2027, 1, 10)),
        ("en", "on leave until 15 December", date(2026, 12, 15)),
        ("en", "out of office 3/1", date(2027, 1, 3)),  # day first; January is next year
        ("fr", "absent jusqu'au 15/12", date(2026, 12, 15)),
        ("fr", "ABSENT 15 décembre", date(2026, 12, 15)),
        ("es", "ausente hasta el viernes", date(2026, 12, 4)),
        ("pt", "de férias até 20/12/2026", date(2026, 12, 20)),
        ("ar", "غائب حتى ١٥/١٢", date(2026, 12, 15)),
    ],
)
def test_away_reads_the_date_as_written(language, text, expected):
    """AWAY with an ISO date, day/month, a month name or a weekday, in the person's language."""
    out = engine.handle_text(person(language), None, text, NOW)
    assert out.events == [AvailabilityChanged(expected)], out.replies[0].text


@pytest.mark.parametrize("text", ["AWAY", "away soon", "AWAY 31/02", "away 2020-01-01"])
def test_away_without_a_usable_date_asks_until_when(text):
    """No date, an impossible one or a past one: the bot asks, with an example, and stores nothing."""
    out = engine.handle_text(person(), None, text, NOW)
    assert out.events == [] and "AWAY 11/12" in out.replies[0].text


@pytest.mark.parametrize(
    "language,text", [("en", "BACK"), ("fr", "de retour"), ("es", "he vuelto"), ("pt", "voltei"), ("ar", "عدت")]
)
def test_back_ends_the_absence(language, text):
    """BACK (in any language) clears the absence."""
    assert engine.handle_text(person(language), None, text, NOW).events == [AvailabilityChanged(None)]


def test_away_keeps_an_open_update_and_answers_in_the_persons_language():
    """AWAY during a weekly update keeps the update open; a French person is answered in French."""
    state = WeeklyState(
        step="statuses",
        period="2026-W48",
        actions=(),
        answered={},
        token="t",
        expires_at=datetime.fromisoformat("2026-11-30T09:00:00+00:00"),
    )
    out = engine.handle_text(person("fr"), state, "absent 15/12", NOW)
    assert out.state == state
    assert "15 déc. 2026" in out.replies[0].text and "away" not in out.replies[0].text


def test_read_date_never_returns_the_past():
    """15/01 written in November means next January."""
    assert read_date("15/01", "en", TODAY) == date(2027, 1, 15)


@pytest.mark.parametrize(
    "text,language,expected",
    [
        ("15 de diciembre", "es", date(2026, 12, 15)),
        ("hasta el 15 de diciembre", "es", date(2026, 12, 15)),
        ("até 15 de dezembro", "pt", date(2026, 12, 15)),
        ("até sexta-feira", "pt", date(2026, 12, 4)),
        ("jusqu'au 15 décembre", "fr", date(2026, 12, 15)),
        ("le 15", "fr", date(2026, 12, 15)),
        ("jusqu'à vendredi", "fr", date(2026, 12, 4)),
        ("15 ديسمبر", "ar", date(2026, 12, 15)),
        ("حتى ١٥ ديسمبر", "ar", date(2026, 12, 15)),
        ("hadi tarehe 15 Desemba", "sw", date(2026, 12, 15)),
        ("ถึงวันศุกร์", "th", date(2026, 12, 4)),  # no spaces between the words
        ("15/12/2569", "th", date(2026, 12, 15)),  # a Buddhist-era year
        ("15 août", "fr", date(2027, 8, 15)),
        ("1 de enero", "es", date(2027, 1, 1)),
        ("until Friday", "en", date(2026, 12, 4)),
    ],
)
def test_dates_in_words_in_every_language(text, language, expected):
    """Dates as people write them (read by dateparser), never in the past."""
    assert read_date(text, language, date(2026, 12, 1)) == expected


@pytest.mark.parametrize("text", ["soon", "on mission", "en mission", "em missão", "de vacaciones", "في مهمة"])
def test_words_that_are_no_date_give_none(text):
    assert read_date(text, "en", date(2026, 12, 1)) is None
