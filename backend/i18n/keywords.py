"""`nmirf i18n keywords --check`: the reply words of every language, audited together, since a
reply is read in the person's language first and then in every other one.

A problem is
- a word or phrase with two meanings, in one language or across two (one-letter codes are read
  only in the person's own language and in English, so across two other languages they may
  differ, and against English they may only mean something that answers another question);
- two words of different meanings one typo apart that both accept typos: a typo of one could
  read as the other. Marking one `=word` in keywords.txt (it then matches only as written)
  settles it: a typo then reads only as the other word, and the marked word still matches as
  typed. Mark the side whose misreading would do harm (a STOP word, a substitute);
- a STOP or START word inside one of the bot's own messages, other than the ones about stopping
  and starting: a person who types back the bot's own word must not unsubscribe."""

from __future__ import annotations

from itertools import combinations

from backend.i18n.catalogs import LOCALES, _read, languages
from conversations.parse import STATUS_MEANINGS, _close, _tokens, exact_only, keywords, normalise

# The messages about STOP/START themselves, which may name those words.
SUBSCRIPTION_MESSAGES = {
    "You will get no more messages from the {mechanism} bot. Send START to receive them again.",
    "Welcome back: you will get {mechanism} messages again. Send HELP for help.",
}


GROUPS = (STATUS_MEANINGS, ("yes", "no", "sub"))


def _group(meaning: str) -> int:
    """Meanings that answer the same question (a status; an invitation); the rest are commands."""
    return next((i for i, group in enumerate(GROUPS) if meaning in group), len(GROUPS))


def _entries() -> list[tuple[str, str, tuple[str, ...]]]:
    return [
        (lang, meaning, phrase)
        for lang in sorted(set(languages()) | {"en"})
        for meaning, phrases in keywords(lang).items()
        for phrase in phrases
    ]


def _collisions(entries) -> list[str]:
    seen: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for lang, meaning, phrase in entries:
        seen.setdefault(phrase, []).append((lang, meaning))
    problems = []
    for phrase, uses in sorted(seen.items()):
        letter = len(" ".join(phrase)) == 1
        for (l1, m1), (l2, m2) in combinations(sorted(set(uses)), 2):
            if m1 == m2:
                continue
            # A letter is read in its own language and in English (for everyone): against
            # English it may not mean another answer to the same question.
            if letter and l1 != l2 and not ("en" in (l1, l2) and _group(m1) == _group(m2)):
                continue
            problems.append(f'"{" ".join(phrase)}" means {m1} ({l1}) and {m2} ({l2}): keep it in one meaning only')
    return problems


def _typos(entries) -> list[str]:
    words = sorted({(lang, meaning, phrase[0]) for lang, meaning, phrase in entries if len(phrase) == 1})
    problems = []
    for (l1, m1, w1), (l2, m2, w2) in combinations(words, 2):
        if m1 == m2 or w1 == w2 or not _close(w1, w2):
            continue
        if w1 in exact_only(l1) or w2 in exact_only(l2):
            continue
        problems.append(
            f'"{w1}" ({m1}, {l1}) and "{w2}" ({m2}, {l2}) are one typo apart: '
            "mark one =word in keywords.txt (the one a typo must never reach), or choose another word"
        )
    return problems


def _in_messages() -> list[str]:
    problems = []
    for lang in sorted(set(languages()) | {"en"}):
        catalog = _read(LOCALES / lang / "LC_MESSAGES" / "messages.po", lang)
        words = [(m, phrase) for m in ("stop", "start") for phrase in keywords(lang).get(m, ())]
        for msg in catalog:
            ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
            if not ids[0] or ids[0] in SUBSCRIPTION_MESSAGES:
                continue
            strings = msg.string if isinstance(msg.string, tuple | list) else (msg.string,)
            for text in strings:
                tokens = tuple(tok.text for tok in _tokens(normalise(str(text or ""))))
                for meaning, phrase in words:
                    n = len(phrase)
                    if any(tokens[i : i + n] == phrase for i in range(len(tokens) - n + 1)):
                        problems.append(
                            f'{lang}: the {meaning.upper()} word "{" ".join(phrase)}" is in the message '
                            f"{ids[0]!r}: reword the message, or drop the word from {meaning}"
                        )
    return problems


def audit() -> list[str]:
    """Every problem in today's keyword lists and catalogues (empty when all is well)."""
    entries = _entries()
    return _collisions(entries) + _typos(entries) + _in_messages()
