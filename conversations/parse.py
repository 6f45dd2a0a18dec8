"""Understanding replies typed on any phone.

Case, accents and spacing do not matter; Arabic-Indic digits count as digits; keywords come from
`locales/<lang>/keywords.txt` so that a translator can add synonyms without touching code.

A status reply is a sequence of `<action number> <status> [figure] [note]`, e.g. `1D 2P`,
`1=done 2 blocked waiting for budget`, `#1 completed`, `2) in progress 45`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Any

import regex

from conversations.i18n import LOCALES_DIR, available_languages

# Other digit forms, the Arabic decimal and thousands separators and question mark: one
# character for one character, so that positions stay those of the original text.
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹๐๑๒๓๔๕๖๗๘๙٫٬؟", "012345678901234567890123456789.,?")
# Arabic short vowels, shadda, sukun and the stretching tatweel may sit inside a word: they are
# part of the word, and dropped from what is matched.
MARKS = "\u064b-\u065f\u0670\u0640"
STRIP_MARKS = re.compile(f"[{MARKS}]")
STATUS_MEANINGS = ("completed", "in_progress", "not_started", "blocked")
# A word is letters with the marks written on them (Thai vowels, Arabic vowels, Devanagari signs),
# whatever the script: a new language needs no change here.
TOKEN = regex.compile(r"\d+(?:[.,]\d+)?|[\p{L}\p{M}\p{Nl}\p{No}]+|\?")


def normalise(text: str) -> str:
    """Lower case, accents stripped, other digit forms made ASCII, one character for one
    character (so positions in the result are positions in the original)."""
    if text.isascii():  # most replies: nothing to strip or translate
        return text.lower()
    out = []
    for ch in text.translate(DIGITS):
        base = unicodedata.normalize("NFD", ch)[0] if ch.isalpha() else ch
        low = base.lower()
        out.append(low if len(low) == 1 else base)
    return "".join(out)


@cache
def _keyword_file(language: str) -> tuple[dict[str, tuple[tuple[str, ...], ...]], frozenset[str]]:
    """The language's keywords.txt: meaning -> phrases (tuples of normalised words), and the
    words marked `=word`, which match only as written (no typo: one edit away is another meaning)."""
    path = LOCALES_DIR / language / "keywords.txt"
    table: dict[str, list[tuple[str, ...]]] = {}
    exact: set[str] = set()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#") or ":" not in line:
                continue
            meaning, words = line.split(":", 1)
            for phrase in words.split(","):
                phrase = phrase.strip()
                tokens = tuple(tok.text for tok in _tokens(normalise(phrase.removeprefix("="))))
                if tokens:
                    table.setdefault(meaning.strip(), []).append(tokens)
                    if phrase.startswith("="):
                        exact.add(tokens[0])
    return {k: tuple(v) for k, v in table.items()}, frozenset(exact)


def keywords(language: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """meaning -> phrases, each phrase a tuple of normalised words."""
    return _keyword_file(language)[0]


def exact_only(language: str) -> frozenset[str]:
    """Keywords that never match with a typo (`=word` in keywords.txt)."""
    return _keyword_file(language)[1]


def _languages_for(language: str) -> list[str]:
    """The person's language first, then every other one (people answer in more than one)."""
    return [language] + [code for code in available_languages() if code != language]


def _close(word: str, key: str) -> bool:
    """Equal, or one edit apart for words of four letters or more."""
    if word == key:
        return True
    # Both must have four letters: otherwise "one" would be "done", "hel" would be "help".
    if len(key) < 4 or len(word) < 4 or abs(len(word) - len(key)) > 1:
        return False
    if len(word) == len(key):
        diffs = [i for i in range(len(word)) if word[i] != key[i]]
        if len(diffs) == 1:
            return True
        i = diffs[0] if len(diffs) == 2 else -1
        return len(diffs) == 2 and diffs[1] == i + 1 and word[i] == key[i + 1] and word[i + 1] == key[i]
    short, long_ = (word, key) if len(word) < len(key) else (key, word)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@dataclass(frozen=True)
class _Tok:
    text: str
    start: int
    end: int

    @property
    def is_int(self) -> bool:
        # isdecimal, not isdigit: "²" or "①" are digits to isdigit but not to int().
        # Ten digits or more is never an action number (and int() refuses over 4300 digits).
        return self.text.isdecimal() and len(self.text) < 10

    @property
    def is_number(self) -> bool:
        return self.text[0].isdecimal()


@lru_cache(maxsize=4096)
def _thai_words(text: str) -> tuple[str, ...]:
    from pythainlp.tokenize import word_tokenize  # loaded only when Thai is typed (half a second)

    return tuple(word_tokenize(text, engine="newmm", keep_whitespace=False))


# Scripts written without spaces between words, and what splits a run of them into words: a
# language in another such script (Lao, Khmer, Burmese) needs one line here and its catalogue.
SEGMENTERS: dict[re.Pattern[str], Callable[[str], tuple[str, ...]]] = {
    re.compile("[\u0e00-\u0e7f]"): _thai_words,
}


def _split(text: str, start: int) -> list[tuple[str, int, int]]:
    """A run of letters as words: itself, or the words its script's segmenter finds."""
    for script, segment in SEGMENTERS.items():
        if script.search(text):
            words, at = [], 0
            for word in segment(text):
                at = text.find(word, at)
                if at < 0:  # a segmenter that changed the text: keep the run whole
                    return [(text, start, start + len(text))]
                words.append((word, start + at, start + at + len(word)))
                at += len(word)
            return words
    return [(text, start, start + len(text))]


def spaced(text: str) -> str:
    """`text` with its words apart, for a reader that expects spaces ("ถึงวันศุกร์" -> "ถึง วัน ศุกร์")."""
    parts, at = [], 0
    for m in TOKEN.finditer(text):
        words = _split(m.group(), m.start())
        if len(words) == 1:
            continue
        parts.append(text[at : m.start()])
        parts.append(" ".join(word for word, _, _ in words))
        at = m.end()
    return "".join(parts) + text[at:] if parts else text


def _tokens(norm: str) -> list[_Tok]:
    if not any(script.search(norm) for script in SEGMENTERS):  # the common case: words are spaced
        plain = (_Tok(STRIP_MARKS.sub("", m.group()), m.start(), m.end()) for m in TOKEN.finditer(norm))
        return [tok for tok in plain if tok.text]
    tokens = (
        _Tok(STRIP_MARKS.sub("", word), begin, end)
        for m in TOKEN.finditer(norm)
        for word, begin, end in _split(m.group(), m.start())
    )
    return [tok for tok in tokens if tok.text]


@cache
def _by_first_word(language: str) -> dict[str, list[tuple[str, int, tuple[str, ...]]]]:
    """first word -> (meaning, position of the phrase in its meaning's list, phrase)."""
    index: dict[str, list[tuple[str, int, tuple[str, ...]]]] = {}
    for meaning, phrases in keywords(language).items():
        for position, phrase in enumerate(phrases):
            index.setdefault(phrase[0], []).append((meaning, position, phrase))
    return index


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@cache
def _near_index(language: str) -> dict[str, set[str]]:
    """Each first word of four letters or more, and each of its one-letter deletions -> that word:
    the candidates one edit away from a typed word share one of these keys with it."""
    index: dict[str, set[str]] = {}
    exact = exact_only(language)
    for word in _by_first_word(language):
        if len(word) >= 4 and word not in exact:
            for key in _deletions(word) | {word}:
                index.setdefault(key, set()).add(word)
    return index


@cache
def _everyone() -> tuple[dict[str, set[str]], dict[str, set[tuple[str, str]]]]:
    """Every language at once: first word -> its languages; and each one-letter deletion of a
    first word that accepts typos (four letters or more, not `=word`) -> (language, first word)."""
    words: dict[str, set[str]] = {}
    near: dict[str, set[tuple[str, str]]] = {}
    for lang in available_languages():
        for word in _by_first_word(lang):
            words.setdefault(word, set()).add(lang)
        for key, found in _near_index(lang).items():
            near.setdefault(key, set()).update((lang, w) for w in found)
    return words, near


def warm() -> None:
    """Load every language's keywords now (seconds, with Thai's word list), so that a worker's
    first message is not the one that waits for it."""
    _longest()


@cache
def _longest() -> int:
    """The longest first word of any keyword: a longer typed word cannot be one edit away."""
    return max(map(len, _everyone()[0]), default=0)


def _candidates(word: str, fuzzy: bool) -> set[tuple[str, str]]:
    """(language, first word) pairs equal to `word`, or one edit away when `fuzzy`. A word longer
    than every keyword plus one is not looked at for typos: the cost stays linear in its length."""
    words, near = _everyone()
    found = {(lang, word) for lang in words.get(word, ())}
    if fuzzy and len(word) <= _longest() + 1:
        for key in _deletions(word) | {word}:
            found |= {(lang, w) for lang, w in near.get(key, ()) if _close(word, w)}
    return found


def _scan(tokens: list[_Tok], i: int, meanings, language: str, fuzzy: bool) -> tuple[str, int] | None:
    """The longest phrase of one of `meanings` starting at tokens[i], in the person's language
    first, then in the first other language that has one; between phrases of one length, the
    first meaning asked for, then the first listed."""
    if i >= len(tokens):
        return None
    same = _close if fuzzy else str.__eq__
    order = {meaning: rank for rank, meaning in enumerate(meanings)}
    best: dict[str, tuple[tuple[int, int, int], str]] = {}
    for lang, first in _candidates(tokens[i].text, fuzzy):
        # A one-letter code counts in the person's own language and in English, never in a
        # third language: French "e" (en cours) is nothing to a Spanish speaker.
        letters = lang in (language, "en")
        for meaning, position, phrase in _by_first_word(lang).get(first, ()):
            n = len(phrase)
            if meaning not in order or i + n > len(tokens) or (n == 1 and len(first) == 1 and not letters):
                continue
            if all(same(tokens[i + k].text, phrase[k]) for k in range(1, n)):
                rank = (n, -order[meaning], -position)
                if lang not in best or rank > best[lang][0]:
                    best[lang] = (rank, meaning)
    for lang in _languages_for(language) if best else ():
        if lang in best:
            return best[lang][1], best[lang][0][0]
    return None


@cache
def _all_meanings() -> tuple[str, ...]:
    return tuple(sorted({meaning for lang in available_languages() for meaning in keywords(lang)}))


def _match(tokens: list[_Tok], i: int, meanings, language: str) -> tuple[str, int] | None:
    """The meaning whose phrase starts at tokens[i] (longest phrase first), and its length.
    Exact matches win; a one-typo match is tried only for a word that is not itself a keyword
    (so "none", a keyword of its own, is never read as "done")."""
    exact = _scan(tokens, i, meanings, language, fuzzy=False)
    if exact or _scan(tokens, i, _all_meanings(), language, fuzzy=False):
        return exact
    return _scan(tokens, i, meanings, language, fuzzy=True)


def command(text: str, language: str, meanings: tuple[str, ...]) -> str | None:
    """The command meaning when the whole message is one keyword (e.g. HELP), else None."""
    tokens = _tokens(normalise(text))
    # "help?" and "???" are still one command: a question mark only counts when it stands alone.
    tokens = [tok for tok in tokens if tok.text != "?"] or tokens[:1]
    if not tokens:
        return None
    found = _match(tokens, 0, meanings, language)
    return found[0] if found and found[1] == len(tokens) else None


@dataclass(frozen=True)
class StatusItem:
    number: int | None  # the action's number in the prompt; None: "the current one"
    status: str
    figure: Decimal | None = None
    note: str = ""


def _figure(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def _note(original: str, start: int, end: int) -> str:
    return (
        original[start:end].strip(" \t\r\n,;:-.،؛" + "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0640").strip()
    )


def parse_statuses(text: str, language: str) -> list[StatusItem]:
    """Every `<number> <status> [figure] [note]` in the message, in order. A message that starts
    with a bare status ("done, sent to cabinet") gives one item with number None. Text that
    holds no status keyword gives an empty list."""
    norm = normalise(text)
    tokens = _tokens(norm)
    items: list[dict[str, Any]] = []
    note_from: int | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        found = None
        number: int | None = None
        if tok.is_int and int(tok.text) > 0:
            found = _match(tokens, i + 1, STATUS_MEANINGS, language)
            number, used = int(tok.text), 1
        elif i == 0:
            found = _match(tokens, 0, STATUS_MEANINGS, language)
            used = 0
        if not found:
            i += 1
            continue
        if items and note_from is not None:
            items[-1]["note"] = _note(text, note_from, tok.start)
        meaning, length = found
        i += used + length
        item: dict[str, Any] = {"number": number, "status": meaning, "figure": None, "note": ""}
        # A number straight after the status, not itself starting the next pair, is a figure.
        if i < len(tokens) and tokens[i].is_number and not _match(tokens, i + 1, STATUS_MEANINGS, language):
            item["figure"] = _figure(tokens[i].text)
            i += 1
        items.append(item)
        note_from = tokens[i - 1].end
    if items and note_from is not None:
        items[-1]["note"] = _note(text, note_from, len(text))
    return [StatusItem(**it) for it in items]


def keyword_and_number(text: str, language: str, meanings: tuple[str, ...]) -> tuple[str, int | None] | None:
    """(meaning, number) when the whole message is one keyword with at most one number before or
    after it ("YES", "yes 12", "12 oui", "Y12", "#12 no"); None for anything else."""
    tokens = [tok for tok in _tokens(normalise(text)) if tok.text != "?"]
    number = None
    if tokens and tokens[0].is_int:
        number, tokens = int(tokens[0].text), tokens[1:]
    if not tokens:
        return None
    found = _match(tokens, 0, meanings, language)
    if not found:
        return None
    rest = tokens[found[1] :]
    if len(rest) == 1 and rest[0].is_int and number is None:
        number, rest = int(rest[0].text), []
    return (found[0], number) if not rest else None
