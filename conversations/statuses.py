"""An action's status as people read it: its label, its letter, and which actions are still open.

Each language's status letters are the first one-letter words of its status lines in
`keywords.txt` (French `t` terminée, `e` en cours...); a status with no letter of its own keeps
the English one. English letters are read for everyone; another language's only for its own
speakers (conversations/parse.py)."""

from __future__ import annotations

from functools import cache

from conversations.i18n import T
from conversations.parse import STATUS_MEANINGS, keywords
from conversations.views import ActionView, PersonView
from conversations.writing import listing


def status_label(t: T, status: str) -> str:
    # The label describes an action ("1 done; 2 blocked", "1 Draft the bill: in progress"): it agrees
    # with the language's word for "action" (feminine in French, Spanish, Portuguese: "terminée").
    return {
        # TRANSLATORS: the status of an action, agreeing with your word for "action" (French "terminée"). Shown as "1
        # done; 2 blocked" and in the legend "D done": keep it short.
        "completed": t("done"),
        # TRANSLATORS: the status of an action, agreeing with your word for "action". Keep it short.
        "in_progress": t("in progress"),
        # TRANSLATORS: the status of an action, agreeing with your word for "action" (French "non commencée"). Keep it
        # short.
        "not_started": t("not started"),
        # TRANSLATORS: the status of an action, agreeing with your word for "action" (French "bloquée"). Keep it
        # short.
        "blocked": t("blocked"),
    }[status]


def _letter(language: str, status: str) -> str | None:
    return next((p[0] for p in keywords(language).get(status, ()) if len(p) == 1 and len(p[0]) == 1), None)


@cache
def letters(language: str) -> dict[str, str]:
    """status -> the letter shown for it in the language's prompts, upper case."""
    return {s: (_letter(language, s) or _letter("en", s) or "?").upper() for s in STATUS_MEANINGS}


def letter(language: str, status: str) -> str:
    return letters(language)[status]


def legend(t: T) -> str:
    """ "D done, P in progress, N not started, B blocked", in the language's letters and order."""
    order = ("completed", "in_progress", "not_started", "blocked")
    return listing(t, (f"{t.isolated(letter(t.language, s))} {status_label(t, s)}" for s in order))


def example(language: str, count: int = 2) -> str:
    """An answer to show: "1D 2P" ("1T 2E" in French), or "1D" for a single action."""
    first, second = letter(language, "completed"), letter(language, "in_progress")
    return f"1{first}" if count == 1 else f"1{first} 2{second}"


def choice(t: T) -> str:
    """The letters as a choice: "D/P/N/B"."""
    return "/".join(letter(t.language, s) for s in ("completed", "in_progress", "not_started", "blocked"))


def open_actions(person: PersonView) -> list[ActionView]:
    return [a for a in person.actions if a.status != "completed"]
