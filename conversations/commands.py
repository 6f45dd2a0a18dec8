"""Commands that work at any point of any conversation: STATUS (what is pending for me) and
LANG <code> (switch language). HELP is answered by the engine with the open flow's help."""

from __future__ import annotations

from functools import cache

from babel import Locale

from conversations.attendance import pending_lines
from conversations.budget import cut, fitted
from conversations.flows import flow_of
from conversations.i18n import T, available_languages
from conversations.parse import _scan, _tokens, command, normalise
from conversations.state import FlowState
from conversations.statuses import open_actions, status_label
from conversations.views import LanguageChanged, Outcome, PersonView, Reply


def status(person: PersonView, state: FlowState | None) -> Reply:
    """The person's open actions and their last reported status, and what the bot waits for."""
    t = T(person.language, person.fallback_language)
    actions = open_actions(person)
    after = []
    waiting = flow_of(state).status_line(person, state) if state is not None else None
    if waiting:
        after.append(waiting)
    after += pending_lines(person)
    if not actions:
        return Reply("\n".join([t("You have no open action.")] + after))
    head = t.n("{count} open action:", "{count} open actions:", len(actions))
    return Reply(
        fitted(
            lambda limit: "\n".join(
                [head]
                + [
                    t(
                        "{number} {title}: {status}",
                        number=n,
                        title=cut(a.title, limit),
                        status=status_label(t, a.status),
                    )
                    for n, a in enumerate(actions, 1)
                ]
                + after
            )
        )
    )


@cache
def language_names() -> dict[str, str]:
    """Every way to name an available language -> code: its code, and its name in each available
    language ("espagnol", "francés", "الفرنسية" with or without the article)."""
    names = {}
    codes = available_languages()
    for code in codes:
        locale = Locale.parse(code)
        names[code] = code
        for other in codes:
            name = normalise(locale.get_display_name(other) or code)
            names[name] = code
            if name.startswith("ال"):
                names[name[2:]] = code
    return names


LANGUAGE_NAME_WORDS = 2  # "LANG xx", "langue française": at most this many words name a language


def language(person: PersonView, text: str) -> Outcome | None:
    """`LANG fr`, `langue espanol`, `LANG`: None when the message is not a LANG command (the
    word followed by more than a language's name: "Language of the bill agreed" is a note)."""
    tokens = _tokens(normalise(text))
    # Exact words only: "land", "long" must never switch anyone's language.
    found = _scan(tokens, 0, ("lang",), person.language, fuzzy=False) if tokens else None
    if not found:
        return None
    rest = normalise(text[tokens[found[1] - 1].end :] if len(tokens) > found[1] else "").strip()
    code = language_names().get(rest)
    if code is None and len(tokens) - found[1] > LANGUAGE_NAME_WORDS:
        return None
    if code is None:
        t = T(person.language, person.fallback_language)
        choices = ", ".join(f"{c} ({Locale.parse(c).get_display_name(c)})" for c in available_languages())
        return Outcome(state=None, replies=[Reply(t("Send LANG and a language code: {choices}.", choices=choices))])
    t = T(code, person.fallback_language)
    name = Locale.parse(code).get_display_name(code)
    return Outcome(
        state=None, replies=[Reply(t("Language set to {language}.", language=name))], events=[LanguageChanged(code)]
    )


def is_status(text: str, language_code: str) -> bool:
    return command(text, language_code, ("status",)) == "status"
