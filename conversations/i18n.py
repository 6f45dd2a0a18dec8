"""Localisation: gettext catalogues in locales/<lang>/LC_MESSAGES/messages.po, read with Babel.

Catalogues are compiled in memory on first use, so a translator edits the .po file and nothing
else. A language without a catalogue, or a message missing from one, falls back to English
(the source strings)."""
from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


@lru_cache(maxsize=None)
def translations(language: str) -> gettext.NullTranslations:
    po = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def available_languages() -> list[str]:
    found = {p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return sorted(found | {"en"})


class T:
    """A translator bound to one language: `t("Hello {name}", name=...)`, `t.n(singular, plural, n)`."""

    def __init__(self, language: str):
        self.language = language
        self._tr = translations(language)

    def __call__(self, message: str, **values) -> str:
        text = self._tr.gettext(message)
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, count: int, **values) -> str:
        return self._tr.ngettext(singular, plural, count).format(count=count, **values)
