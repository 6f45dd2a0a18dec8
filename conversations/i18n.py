"""Localisation: gettext catalogues in locales/<lang>/LC_MESSAGES/messages.po, read with Babel.

Catalogues are compiled in memory on first use, so a translator edits the .po file and nothing
else. A language without a catalogue, or a message missing from one, falls back to the
deployment's default language (DEFAULT_LANGUAGE, set with `set_default_language`), then to
English (the source strings)."""
from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


_default = "en"


def set_default_language(language: str) -> None:
    """The deployment's default language: what a missing translation falls back to first."""
    global _default
    _default = language


@lru_cache(maxsize=None)
def _compiled(language: str) -> bytes | None:
    po = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return None
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


@lru_cache(maxsize=None)
def translations(language: str, default: str = "en") -> gettext.NullTranslations:
    """The language's catalogue, falling back to the default language's, then to the source text."""
    chain = [gettext.GNUTranslations(io.BytesIO(mo)) for code in dict.fromkeys((language, default))
             if (mo := _compiled(code)) is not None]
    if not chain:
        return gettext.NullTranslations()
    for first, then in zip(chain, chain[1:]):
        first.add_fallback(then)
    return chain[0]


def available_languages() -> list[str]:
    found = {p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return sorted(found | {"en"})


class T:
    """A translator bound to one language: `t("Hello {name}", name=...)`, `t.n(singular, plural, n)`."""

    def __init__(self, language: str):
        self.language = language
        self._tr = translations(language, _default)

    def __call__(self, message: str, **values) -> str:
        text = self._tr.gettext(message)
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, count: int, **values) -> str:
        return self._tr.ngettext(singular, plural, count).format(count=count, **values)
