"""The reply parser's cost stays linear in the input: a long word is never expanded into its
one-letter deletions (which cost the square of its length). Speed itself is measured in bench/."""

from __future__ import annotations

from conversations import parse


def test_a_long_word_is_not_expanded_for_typos(monkeypatch):
    seen: list[int] = []
    real = parse._deletions

    def counting(word: str) -> set[str]:
        seen.append(len(word))
        return real(word)

    monkeypatch.setattr(parse, "_deletions", counting)
    long_word = "x" * 65536
    for language in ("en", "fr", "ar", "th"):
        parse.parse_statuses(long_word, language)
        parse.command(long_word, language, ("help", "stop"))
        parse.keyword_and_number("yes" + long_word, language, ("yes",))
    assert seen == [] or max(seen) <= parse._longest() + 1
    # a typo of a real keyword is still read
    assert parse.command("hlep", "en", ("help",)) == "help"
