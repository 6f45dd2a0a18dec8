"""Localisation: gettext catalogues in locales/<lang>/LC_MESSAGES/messages.po, read with Babel.

Catalogues are compiled in memory once per process, on first use, so a translator edits the .po
file and nothing else; the list of languages is read once too. A language without a catalogue, or
a message missing from one, falls back to the language the caller names (the deployment's
DEFAULT_LANGUAGE, which the back end passes in, e.g. as `PersonView.fallback_language`), then
to English (the source strings)."""

from __future__ import annotations

import gettext
import io
from functools import cache, lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


@cache
def _compiled(language: str) -> bytes | None:
    po = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
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
        if (mo := _compiled(code)) is not None
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


class T:
    """A translator bound to one language, falling back to `fallback` (then English):
    `t("Hello {name}", name=...)`, `t.n(singular, plural, n)`."""

    def __init__(self, language: str, fallback: str = "en"):
        self.language = language
        self._tr = translations(language, fallback)

    def __call__(self, message: str, **values) -> str:
        text = self._tr.gettext(message)
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, count: int, **values) -> str:
        return self._tr.ngettext(singular, plural, count).format(count=count, **values)
