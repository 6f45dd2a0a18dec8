"""Text taken as written that starts with a command word ("Retour du ministre...", "Absent de la
réunion car..."): it is stored as the person wrote it, and the reply says how to send the command
instead, so that nothing is either lost or misread."""

from __future__ import annotations

from conversations.i18n import T
from conversations.parse import _scan, _tokens, normalise
from conversations.views import PersonView, Reply

COMMANDS = ("away", "back", "lang", "stop", "start", "report", "status", "help", "undo", "skip")


def command_hint(person: PersonView, text: str) -> Reply | None:
    """A short note when `text`, kept as a note, place or description, begins with a command word."""
    tokens = _tokens(normalise(text))
    found = _scan(tokens, 0, COMMANDS, person.language, fuzzy=False) if tokens else None
    if not found:
        return None
    word = text[tokens[0].start : tokens[found[1] - 1].end].upper()
    t = T(person.language, person.fallback_language)
    # TRANSLATORS: {word} is the person's own command word(s), as they typed them, e.g. RETOUR. Sent by SMS: keep it
    # as short as the English.
    return Reply(t("To send {word} as a command, send it on its own.", word=word))
