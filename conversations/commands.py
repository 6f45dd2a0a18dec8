"""Commands that work at any point of any conversation: STATUS (what is pending for me) and
LANG <code> (switch language). HELP is answered by the engine with the open flow's help."""

from __future__ import annotations

from functools import cache

from conversations.attendance import pending_lines
from conversations.budget import fitted, title_of
from conversations.flows import flow_of
from conversations.i18n import T, available_languages, locale_of
from conversations.parse import _scan, _tokens, command, normalise
from conversations.state import FlowState
from conversations.statuses import open_actions, status_label
from conversations.views import SMS, LanguageChanged, Outcome, PersonView, Reply
from conversations.writing import listing


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
        # TRANSLATORS: the answer to STATUS when every action is done. Sent by SMS: keep it as short as the English.
        return Reply("\n".join([t("You have no action still to complete.")] + after))
    # TRANSLATORS: {count}: how many actions, e.g. 3; one line per action follows ("1 Draft the bill: in progress").
    # Sent by SMS: keep it as short as the English.
    head = t.n("{count} action still to complete:", "{count} actions still to complete:", len(actions))
    return Reply(
        fitted(
            lambda limit: "\n".join(
                [head]
                + [
                    # TRANSLATORS: {number}: the action's number, e.g. 1; {title}: its title, e.g. "Draft the bill";
                    # {status}: its status, e.g. "in progress". Sent by SMS: keep it as short as the English.
                    t(
                        "{number} {title}: {status}",
                        number=n,
                        title=title_of(a, limit),
                        status=status_label(t, a.status),
                    )
                    for n, a in enumerate(actions, 1)
                ]
                + after
            ),
            person.medium,
        )
    )


@cache
def language_names() -> dict[str, str]:
    """Every way to name an available language -> code: its code, and its name in each available
    language ("espagnol", "francés", "الفرنسية" with or without the article)."""
    names = {}
    codes = available_languages()
    for code in codes:
        names[code] = code
        names[normalise(own_name(code))] = code
        locale = locale_of(code)
        if locale is None:
            continue
        for other in codes:
            if locale_of(other) is None:
                continue  # CLDR has no names in that language
            name = normalise(locale.get_display_name(other) or code)
            names[name] = code
            if name.startswith("ال"):
                names[name[2:]] = code
    return names


def _name_in(code: str, reader: str) -> str:
    locale = locale_of(code)
    return (locale.get_display_name(reader) if locale is not None else None) or own_name(code)


def own_name(code: str) -> str:
    """The language's name in itself: CLDR's, or its catalogue's for a language CLDR lacks."""
    locale = locale_of(code)
    if locale is not None:
        return locale.get_display_name(code) or code
    t = T(code)
    # TRANSLATORS: the name of this catalogue's language, written in it ("français", "Kajin M̧ajeļ"). Used only for a
    # language CLDR has no data for.
    name = t("(name of this language)")
    return code if name == "(name of this language)" else name


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
        # By SMS each name in the reader's language (an endonym in another script would turn the
        # whole message into UCS-2); in a chat each language's own name.
        reader = person.medium == SMS and locale_of(person.language) is not None
        choices = listing(
            t,
            (f"{c} ({_name_in(c, person.language) if reader else own_name(c)})" for c in available_languages()),
        )
        # TRANSLATORS: {choices}: the languages, e.g. "en (English), fr (French)". LANG: your language's word. Sent by
        # SMS: keep it as short as the English.
        return Outcome(state=None, replies=[Reply(t("Send LANG and a language code: {choices}.", choices=choices))])
    t = T(code, person.fallback_language)
    name = own_name(code)
    return Outcome(
        # TRANSLATORS: {language}: the language's own name, e.g. "français" (this text is in the new language). Sent
        # by SMS: keep it as short as the English.
        state=None,
        replies=[Reply(t("Language set to {language}.", language=name))],
        events=[LanguageChanged(code)],
    )


def is_status(text: str, language_code: str) -> bool:
    return command(text, language_code, ("status",)) == "status"
