"""Understanding what people type: normalising, commands and status replies."""

from __future__ import annotations

import re
import string
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from conversations.parse import StatusItem, command, normalise, parse_statuses

KEYWORDS_FILE = Path(__file__).resolve().parents[2] / "locales" / "en" / "keywords.txt"
STATUS_MEANINGS = ("completed", "in_progress", "not_started", "blocked")


def _read_keywords() -> dict[str, list[str]]:
    """The keywords file read independently of the product's loader: meaning -> phrases."""
    table: dict[str, list[str]] = {}
    for line in KEYWORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            meaning, words = line.split(":", 1)
            table[meaning.strip()] = [w.strip() for w in words.split(",") if w.strip()]
    return table


KEYWORDS = _read_keywords()
STATUS_PHRASES = [(m, p) for m in STATUS_MEANINGS for p in KEYWORDS[m]]
STATUS_WORDS = sorted({w for _, p in STATUS_PHRASES for w in p.lower().split()})
STATUS_LETTERS = frozenset("".join(STATUS_WORDS))


def _one_edit(a: str, b: str) -> bool:
    """Optimal string alignment distance <= 1 (one insertion, deletion, substitution or swap)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) == 1 or (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def near_status_keyword(text: str) -> bool:
    """Whether any word of the text could be read as (part of) a status keyword under the documented
    rule: equal, or one typo away when both words have four letters or more."""
    for token in re.findall(r"[^\W\d_]+", normalise(text)):
        for word in STATUS_WORDS:
            if token == word or (len(token) >= 4 and len(word) >= 4 and _one_edit(token, word)):
                return True
    return False


def items(text: str) -> list[tuple]:
    return [(i.number, i.status, i.figure, i.note) for i in parse_statuses(text, "en")]


# --- normalise ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("DONE", "done"),
        ("Éàçñ Ü", "eacn u"),
        ("Ministère signé", "ministere signe"),
        ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
        ("۰۱۲۳۴۵۶۷۸۹", "0123456789"),
        ("١ D ۲ p", "1 d 2 p"),
        ("  1=Done;  ", "  1=done;  "),
    ],
)
def test_normalise_examples(text, expected):
    """Case, accents and digit forms do not matter: they normalise to plain lower-case ASCII."""
    assert normalise(text) == expected


@pytest.mark.parametrize("text", ["İstanbul", "ß", "ǅ", "ﬁnished", "한국", "e\u0301", "Ω", "K", "😀 done"])
def test_normalise_keeps_length_on_awkward_letters(text):
    """Letters whose lower case or decomposition is longer still give one character for one."""
    assert len(normalise(text)) == len(text)


@given(st.text())
def test_normalise_preserves_length(text):
    """Positions in the normalised text are positions in the original, so notes are cut correctly."""
    assert len(normalise(text)) == len(text)


@given(st.text(alphabet="٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹0123456789 "))
def test_normalise_makes_every_digit_ascii(text):
    """Arabic-Indic and Eastern Arabic-Indic digits always become the ASCII digit of the same value."""
    out = normalise(text)
    assert all(c in "0123456789 " for c in out)
    assert [int(c) for c in out if c != " "] == [int(c) for c in text if c != " "]


# --- command -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "HELP",
        "help",
        "Help",
        "hElP",
        "  help  ",
        "help!",
        "HELP?",
        "help.",
        "?",
        "???",
        "Menu?",
        "menu",
        "Info",
        "hlep",
        "helpp",
        "halp",
        "menú",
    ],
)
def test_command_recognises_help(text):
    """HELP is understood in any case, with punctuation, a synonym, or one typo in a long-enough word."""
    assert command(text, "en", ("help",)) == "help"


@pytest.mark.parametrize(
    "text",
    [
        "hel",
        "hep",
        "he",
        "h",
        "inf",
        "",
        "   ",
        "!!!",
        "help me please",
        "1 help",
        "helping",
        "hhelpp",
        "1D 2P",
        "done",
        "what?",
        "why??",
    ],
)
def test_command_rejects_non_help(text):
    """Short fragments, longer sentences and status replies are not taken as HELP."""
    assert command(text, "en", ("help",)) is None


def test_command_only_answers_for_the_meanings_asked():
    """A keyword of another meaning (skip) is not reported when only help is asked for."""
    assert command("skip", "en", ("help",)) is None
    assert command("skip", "en", ("help", "skip")) == "skip"
    assert command("no note", "en", ("skip",)) == "skip"


def test_command_in_unknown_language_falls_back_to_english():
    """A person whose language has no keywords file can still send HELP."""
    assert command("HELP", "xx", ("help",)) == "help"


# --- parse_statuses: realistic replies ---------------------------------------------------------

D, P, N, B = "completed", "in_progress", "not_started", "blocked"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1D 2P", [(1, D, None, ""), (2, P, None, "")]),
        ("1d2p3b", [(1, D, None, ""), (2, P, None, ""), (3, B, None, "")]),
        ("1=done 2 blocked waiting for budget", [(1, D, None, ""), (2, B, None, "waiting for budget")]),
        ("#1 completed", [(1, D, None, "")]),
        ("2) in progress 45", [(2, P, Decimal("45"), "")]),
        ("1. D\n2. P", [(1, D, None, ""), (2, P, None, "")]),
        ("1:d\n2:p", [(1, D, None, ""), (2, P, None, "")]),
        ("1 - done", [(1, D, None, "")]),
        ("1 d, 2 p, 3 b", [(1, D, None, ""), (2, P, None, ""), (3, B, None, "")]),
        ("1 d; 2 p; 3 b", [(1, D, None, ""), (2, P, None, ""), (3, B, None, "")]),
        ("1 d. 2 p.", [(1, D, None, ""), (2, P, None, "")]),
        ("1 DONE 2 not started 3 on hold", [(1, D, None, ""), (2, N, None, ""), (3, B, None, "")]),
        ("1 not yet", [(1, N, None, "")]),
        ("1 not started yet", [(1, N, None, "yet")]),
        ("1 ns 2 n", [(1, N, None, ""), (2, N, None, "")]),
        ("1 wip 2 underway 3 ongoing", [(1, P, None, ""), (2, P, None, ""), (3, P, None, "")]),
        ("1 s 2 c", [(1, P, None, ""), (2, D, None, "")]),
        ("1 achieved 2 pending", [(1, D, None, ""), (2, N, None, "")]),
        ("1 stuck 2 delayed by elections", [(1, B, None, ""), (2, B, None, "by elections")]),
        ("1 on hold since march", [(1, B, None, "since march")]),
        ("1 finshed", [(1, D, None, "")]),
        ("1 complted", [(1, D, None, "")]),
        ("1 in progres", [(1, P, None, "")]),
        ("1 dnoe", [(1, D, None, "")]),
        ("2 p 12,5", [(2, P, Decimal("12.5"), "")]),
        ("2 p 12.5 officers", [(2, P, Decimal("12.5"), "officers")]),
        ("1 p 45 2 d 10", [(1, P, Decimal("45"), ""), (2, D, Decimal("10"), "")]),
        ("3 b no budget 2025", [(3, B, None, "no budget 2025")]),
        ("1d, sent to cabinet; 2p 30 officers", [(1, D, None, "sent to cabinet"), (2, P, Decimal("30"), "officers")]),
        ("1 D Ministère signé", [(1, D, None, "Ministère signé")]),
        ("١ d ٢ p", [(1, D, None, ""), (2, P, None, "")]),
        ("۳ b", [(3, B, None, "")]),
        ("٢ p ٤٥", [(2, P, Decimal("45"), "")]),
        ("10 d", [(10, D, None, "")]),
        ("0 d 1 p", [(1, P, None, "")]),
        ("Week 19: 1 d", [(1, D, None, "")]),
        ("done", [(None, D, None, "")]),
        ("Done.", [(None, D, None, "")]),
        ("blocked", [(None, B, None, "")]),
        ("done, sent to cabinet", [(None, D, None, "sent to cabinet")]),
        ("In progress - draft with minister", [(None, P, None, "draft with minister")]),
        ("d 45", [(None, D, Decimal("45"), "")]),
    ],
)
def test_parse_statuses_realistic_replies(text, expected):
    """Replies as people type them give each action number, status, figure and note in order."""
    assert items(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "thanks",
        "ok",
        "hello how are you",
        "what is this?",
        "I will reply later",
        "one more week needed",
        "call me tomorrow",
        "12345",
        "1 2 3",
        "1 hold",
        "1 blokd",
        "help",
        "I have done it",  # a status not at the start and not after a number is not an answer
        "²",
        "x ³ d",
        "① d",
        "9" * 5000 + " d",
    ],
)
def test_parse_statuses_finds_nothing_in_non_answers(text):
    """Chat, thanks, numbers alone and odd digit forms are not taken as a status."""
    assert parse_statuses(text, "en") == []


def test_parse_statuses_returns_status_items():
    """The parser returns StatusItem values with Decimal figures."""
    [item] = parse_statuses("2 p 7", "en")
    assert item == StatusItem(number=2, status=P, figure=Decimal("7"), note="")
    assert isinstance(item.figure, Decimal)


# --- properties --------------------------------------------------------------------------------

LANGUAGES = st.sampled_from(["en", "fr", "xx"])


@settings(max_examples=300)
@given(st.text(), LANGUAGES)
@example("²", "en")
@example("9" * 5000 + " d", "en")
@example("1 d ² ① ³", "en")
def test_parse_statuses_never_raises(text, language):
    """Whatever arrives (emoji, any script, odd digits), parsing a reply never crashes."""
    result = parse_statuses(text, language)
    for item in result:
        assert item.status in STATUS_MEANINGS
        assert item.number is None or item.number >= 1
        assert item.figure is None or isinstance(item.figure, Decimal)


@settings(max_examples=300)
@given(st.text(), LANGUAGES, st.sampled_from([("help",), ("skip",), ("help", "skip")]))
@example("²", "en", ("help",))
def test_command_never_raises(text, language, meanings):
    """Whatever arrives, checking it for a command never crashes and gives a meaning asked for or None."""
    found = command(text, language, meanings)
    assert found is None or found in meanings


def _no_status_letter(ch: str) -> bool:
    return not (set(normalise(ch)) & STATUS_LETTERS)


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8").filter(_no_status_letter)))
def test_no_status_item_without_status_letters(text):
    """Text made only of characters that cannot spell a status keyword never records a status."""
    assert parse_statuses(text, "en") == []


CHAT_WORDS = [
    "thanks",
    "hello",
    "budget",
    "minister",
    "waiting",
    "report",
    "week",
    "ministry",
    "call",
    "tomorrow",
    "yes",
    "ok",
    "meeting",
    "cabinet",
    "law",
    "draft",
    "the",
    "for",
    "we",
    "are",
    "still",
    "working",
    "one",
    "more",
    "signed",
    "approved",
    "sent",
    "training",
]
WORD = st.one_of(
    st.sampled_from(CHAT_WORDS),
    st.text(alphabet=string.ascii_letters + "éàüñ", min_size=2, max_size=9),
    st.integers(0, 99).map(str),
)
SEP = st.sampled_from([" ", ", ", "; ", ". ", "\n", " - ", ": ", "="])


@settings(max_examples=300, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.lists(st.tuples(WORD, SEP), min_size=1, max_size=8))
def test_no_status_item_when_no_word_is_near_a_status_keyword(parts):
    """Ordinary text with no word within one typo of a status keyword never records a status."""
    text = "".join(w + s for w, s in parts)
    assume(not near_status_keyword(text))
    assert parse_statuses(text, "en") == []


def test_near_status_keyword_helper():
    """The test helper itself flags keywords and their one-typo variants, and nothing else."""
    assert near_status_keyword("1 D") and near_status_keyword("finshed") and near_status_keyword("Stuk")
    assert not near_status_keyword("thanks for the meeting") and not near_status_keyword("one")


PAIR = st.tuples(
    st.integers(1, 9),
    st.sampled_from(STATUS_PHRASES),
    st.sampled_from(["", " ", ". ", ") ", "=", ": ", " - "]),
    st.sampled_from([str.lower, str.upper, str.title]),
    st.booleans(),
)


@settings(max_examples=400)
@given(st.lists(PAIR, min_size=1, max_size=6), st.lists(st.sampled_from([" ", ", ", "; "]), min_size=6, max_size=6))
def test_generated_valid_replies_give_exactly_their_pairs(pairs, seps):
    """Any reply made of `<number> <status>` pairs, in any case and numbering style, gives exactly those pairs."""
    chunks = []
    for number, (_, phrase), gap, case, arabic in pairs:
        digits = str(number).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) if arabic else str(number)
        chunks.append(f"{digits}{gap}{case(phrase)}")
    text = chunks[0] + "".join(sep + chunk for sep, chunk in zip(seps, chunks[1:]))
    got = parse_statuses(text, "en")
    assert [(i.number, i.status) for i in got] == [(n, m) for n, (m, _), *_ in pairs], text
    assert all(i.figure is None and i.note == "" for i in got), (text, got)


# --- The indexed lookup gives the answers of a plain scan of every phrase --------------------

from conversations import parse as _parse  # noqa: E402
from conversations.i18n import available_languages  # noqa: E402


def _reference_scan(tokens, i, meanings, language, fuzzy):
    """Every phrase of every language, language by language: what _scan must agree with."""
    if i >= len(tokens):
        return None
    order = {m: r for r, m in enumerate(meanings)}
    for lang in _parse._languages_for(language):
        exact = _parse.exact_only(lang)
        best = None
        for meaning, phrases in _parse.keywords(lang).items():
            for position, phrase in enumerate(phrases):
                n = len(phrase)
                if meaning not in order or i + n > len(tokens):
                    continue
                if n == 1 and len(phrase[0]) == 1 and lang not in (language, "en"):
                    continue
                first_ok = tokens[i].text == phrase[0] or (
                    fuzzy
                    and phrase[0] not in exact
                    and len(phrase[0]) >= 4
                    and _parse._close(tokens[i].text, phrase[0])
                )
                same = _parse._close if fuzzy else str.__eq__
                if first_ok and all(same(tokens[i + k].text, phrase[k]) for k in range(1, n)):
                    rank = (n, -order[meaning], -position)
                    if best is None or rank > best[0]:
                        best = (rank, meaning)
        if best:
            return best[1], best[0][0]
    return None


PHRASES = sorted({" ".join(p) for code in available_languages() for ps in _parse.keywords(code).values() for p in ps})


@settings(max_examples=600)
@given(
    phrase=st.sampled_from(PHRASES),
    edit=st.integers(min_value=0, max_value=40),
    kind=st.sampled_from(["none", "delete", "swap", "replace", "insert"]),
    language=st.sampled_from(available_languages()),
    fuzzy=st.booleans(),
    tail=st.sampled_from(["", " 2", " de retour", " budget"]),
)
def test_indexed_lookup_agrees_with_a_plain_scan(phrase, edit, kind, language, fuzzy, tail):
    text = phrase
    if kind != "none" and text:
        k = edit % len(text)
        text = {
            "delete": text[:k] + text[k + 1 :],
            "swap": text[:k] + text[k + 1 : k + 2] + text[k : k + 1] + text[k + 2 :],
            "replace": text[:k] + "x" + text[k + 1 :],
            "insert": text[:k] + "e" + text[k:],
        }[kind]
    tokens = _parse._tokens(_parse.normalise(text + tail))
    meanings = _parse._all_meanings()
    assert _parse._scan(tokens, 0, meanings, language, fuzzy) == _reference_scan(tokens, 0, meanings, language, fuzzy)
