"""Localisation: gettext catalogues in locales/<lang>/LC_MESSAGES/messages.po, read with Babel.

Catalogues are compiled in memory once per process, on first use, so a translator edits the .po
file and nothing else; the list of languages is read once too. A language without a catalogue, or
a message missing from one, falls back to the language the caller names (the deployment's
DEFAULT_LANGUAGE, which the back end passes in, e.g. as `PersonView.fallback_language`), then
to English (the source strings)."""

from __future__ import annotations

import gettext
import io
import os
import re
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

# NMIRF_LOCALES_DIR: another catalogue tree (a deployment's own languages; the tests' extra ones).
LOCALES_DIR = Path(os.environ.get("NMIRF_LOCALES_DIR") or Path(__file__).resolve().parent.parent / "locales")
DOMAIN = "messages"


@cache
def compiled(language: str, domain: str = DOMAIN) -> bytes | None:
    """A language's catalogue of `domain` compiled in memory (no .mo files to keep in step)."""
    po = LOCALES_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    if not po.exists():
        return None
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


@cache
def translations(language: str, default: str = "en") -> gettext.NullTranslations:
    """The language's catalogue, falling back to the default language's, then to the source text."""
    chain = [
        gettext.GNUTranslations(io.BytesIO(mo))
        for code in dict.fromkeys((language, default))
        if (mo := compiled(code)) is not None
    ]
    if not chain:
        return gettext.NullTranslations()
    for first, then in zip(chain, chain[1:]):
        first.add_fallback(then)
    return chain[0]


@lru_cache(maxsize=1)
def _languages() -> tuple[str, ...]:
    found = {p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return tuple(sorted(found | {"en"}))


def available_languages() -> list[str]:
    """Every language with a catalogue (and English), read from locales/ once."""
    return list(_languages())


@cache
def locale_of(language: str) -> Locale | None:
    """CLDR's data for the language (month names, date order, its direction), or None for a
    language CLDR does not know: it then works from its catalogue alone, dates written as numbers."""
    try:
        return Locale.parse(language)
    except (UnknownLocaleError, ValueError):
        return None


@cache
def right_to_left(language: str) -> bool:
    locale = locale_of(language)
    return locale is not None and locale.character_order == "right-to-left"


# First strong isolate ... pop directional isolate: a Latin title, place or code inside
# right-to-left text keeps its own direction and does not reorder the words around it.
FSI, PDI = "\u2068", "\u2069"
LEFT_TO_RIGHT = re.compile("[A-Za-z\u00c0-\u024f]")
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def isolate(value: object) -> object:
    """`value` between directional isolates when it is Latin text (a title, a place, a code such
    as "1D 2P"); text already mixing in right-to-left words is the bot's own and stays as is."""
    if (
        isinstance(value, str)
        and LEFT_TO_RIGHT.search(value)
        and not RIGHT_TO_LEFT.search(value)
        and not value.startswith(FSI)
    ):
        return FSI + value + PDI
    return value


class T:
    """A translator bound to one language, falling back to `fallback` (then English):
    `t("Hello {name}", name=...)`, `t.n(singular, plural, n)`. In a right-to-left language each
    value holding Latin letters is set between directional isolates."""

    def __init__(self, language: str, fallback: str = "en"):
        self.language = language
        self._tr = translations(language, fallback)
        self._rtl = right_to_left(language)

    def isolated(self, text: str) -> str:
        """`text` as it is to stand inside this language's sentences (isolated when needed)."""
        return str(isolate(text)) if self._rtl else text

    def _values(self, values: dict) -> dict:
        return {k: isolate(v) for k, v in values.items()} if self._rtl else values

    def __call__(self, message: str, **values) -> str:
        text = self._tr.gettext(message)
        return text.format(**self._values(values)) if values else text

    def n(self, singular: str, plural: str, count: int, **values) -> str:
        return self._tr.ngettext(singular, plural, count).format(count=count, **self._values(values))
