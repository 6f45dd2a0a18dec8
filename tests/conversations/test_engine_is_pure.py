"""The engine is pure: once the catalogues and keyword lists are loaded (once per process), a reply
touches no file, and the deployment's default language comes in with the person, not from a
process-wide setting."""

from __future__ import annotations

import builtins
import pathlib
from datetime import UTC, datetime, timedelta

from conversations import engine, weekly
from conversations.views import ActionView, PersonView

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TEXTS = ["1D 2P", "HELP", "STATUS", "LANG es", "AWAY 15/12", "absent 15 décembre", "REPORT", "UNDO", "bonjour"]


def person(language: str = "fr", fallback: str = "en") -> PersonView:
    return PersonView(
        id=1,
        name="Amina Odhiambo",
        language=language,
        timezone="Africa/Nairobi",
        fallback_language=fallback,
        actions=(ActionView(1, "Draft the bill", "in_progress"), ActionView(2, "Train officers", "not_started")),
        report_actions=(ActionView(1, "Draft the bill", "in_progress"),),
    )


def converse(p: PersonView) -> list[str]:
    state = engine.start(weekly.FLOW, p, None, NOW, timedelta(hours=72), "t").state
    return [r.text for text in TEXTS for r in engine.handle_text(p, state, text, NOW).replies]


def test_a_reply_reads_no_file_once_loaded(monkeypatch):
    """Every kind of message, after one warm-up: no open(), no glob, no exists() on locales/."""
    expected = converse(person())

    def refuse(*args, **kwargs):
        raise AssertionError(f"the engine touched the file system: {args[:2]}")

    monkeypatch.setattr(builtins, "open", refuse)
    for name in ("glob", "exists", "read_text", "open", "iterdir"):
        monkeypatch.setattr(pathlib.Path, name, refuse)
    assert converse(person()) == expected


def test_the_fallback_language_is_the_persons_not_the_processs():
    """Two deployments' defaults in one process: each person falls back to their own, and the
    same call gives the same answer however often it is made."""
    kinyarwanda_in_spain, kinyarwanda_in_france = person("rw", "es"), person("rw", "fr")
    spain, france = converse(kinyarwanda_in_spain), converse(kinyarwanda_in_france)
    assert spain[0].startswith("Gracias.") and france[0].startswith("Merci.")
    assert converse(kinyarwanda_in_spain) == spain
