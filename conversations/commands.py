"""Commands that work at any point of any conversation: STATUS (what is pending for me) and
LANG <code> (switch language). HELP is answered by the engine with the open flow's help."""
from __future__ import annotations

from functools import lru_cache

from babel import Locale

from conversations.attendance import pending_lines
from conversations.i18n import T, available_languages
from conversations.parse import _scan, _tokens, command, normalise
from conversations.views import LanguageChanged, Outcome, PersonView, Reply
from conversations.budget import cut, fitted
from conversations.weekly import open_actions, status_label


def status(person: PersonView, state: dict | None) -> Reply:
    """The person's open actions and their last reported status, and what the bot waits for."""
    t = T(person.language)
    actions = open_actions(person)
    after = []
    if state and state.get("flow") == "weekly" and state.get("step") == "statuses":
        after.append(t("This week's update is waiting: reply e.g. 1D 2P."))
    after += pending_lines(person)
    if not actions:
        return Reply("\n".join([t("You have no open action.")] + after))
    head = t.n("{count} open action:", "{count} open actions:", len(actions))
    return Reply(fitted(lambda limit: "\n".join(
        [head] + [t("{number} {title}: {status}", number=n, title=cut(a.title, limit), status=status_label(t, a.status))
                  for n, a in enumerate(actions, 1)]
        + after)))


@lru_cache(maxsize=None)
def language_names() -> dict[str, str]:
    """Every way to name an available language -> code: its code, and its name in each available
    language ("espagnol", "francés", "الفرنسية" with or without the article)."""
    names = {}
    codes = available_languages()
    for code in codes:
        locale = Locale.parse(code)
        names[code] = code
        for other in codes:
            name = normalise(locale.get_display_name(other))
            names[name] = code
            if name.startswith("ال"):
                names[name[2:]] = code
    return names


def language(person: PersonView, text: str) -> Outcome | None:
    """`LANG fr`, `langue espanol`, `LANG`: None when the message is not a LANG command."""
    tokens = _tokens(normalise(text))
    # Exact words only: "land", "long" must never switch anyone's language.
    found = _scan(tokens, 0, ("lang",), person.language, fuzzy=False) if tokens else None
    if not found:
        return None
    rest = normalise(text[tokens[found[1] - 1].end:] if len(tokens) > found[1] else "").strip()
    code = language_names().get(rest)
    if code is None:
        t = T(person.language)
        choices = ", ".join(f"{c} ({Locale.parse(c).get_display_name(c)})" for c in available_languages())
        return Outcome(state=None, replies=[Reply(t("Send LANG and a language code: {choices}.", choices=choices))])
    t = T(code)
    name = Locale.parse(code).get_display_name(code)
    return Outcome(state=None, replies=[Reply(t("Language set to {language}.", language=name))],
                   events=[LanguageChanged(code)])


def is_status(text: str, language_code: str) -> bool:
    return command(text, language_code, ("status",)) == "status"
