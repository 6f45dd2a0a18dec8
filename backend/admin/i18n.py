"""The admin pages in the viewer's language: the gettext domain `admin`
(locales/<lang>/LC_MESSAGES/admin.po, apart from the bot's SMS-budgeted messages.po).

Templates mark text with `{{ _("...") }}` and `{% trans %}...{% endtrans %}` (Jinja2's i18n
extension, new-style: placeholders are `%(name)s`). Python code marks it with `_("...", name=...)`
and `N_(singular, plural, n)`: these make a `Text`, English as a str (so JSON and logs read the
source text) and translated when a page is rendered, in the language `activate()` set for it.
Catalogues are read once per process; a message missing from one falls back to English."""

from __future__ import annotations

import contextvars
import io
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.support import NullTranslations, Translations
from markupsafe import escape

from conversations.i18n import LOCALES_DIR, compiled, locale_of, right_to_left

DOMAIN = "admin"
SOURCE = "en"


@cache
def languages() -> tuple[str, ...]:
    """The languages the pages are written in: each with an admin catalogue (and English)."""
    found = {p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return tuple(sorted(found | {SOURCE}))


@cache
def _catalogue(language: str) -> Translations | None:
    mo = compiled(language, DOMAIN)
    return None if mo is None else Translations(io.BytesIO(mo), domain=DOMAIN)


@cache
def translations(language: str) -> NullTranslations:
    """The language's catalogue, then English's, then the source text."""
    chain = [c for code in dict.fromkeys((language, SOURCE)) if (c := _catalogue(code)) is not None]
    if not chain:
        return NullTranslations()
    for first, then in zip(chain, chain[1:]):
        first.add_fallback(then)
    return chain[0]


_current: contextvars.ContextVar[tuple[str, str]] = contextvars.ContextVar("admin_viewer", default=(SOURCE, "UTC"))


def current() -> str:
    """The language of the page being rendered."""
    return _current.get()[0]


def current_timezone() -> str:
    """The time zone the page being rendered shows times in."""
    return _current.get()[1]


@contextmanager
def activate(language: str, timezone: str = "UTC") -> Iterator[None]:
    """Within the block, marked text is translated into `language`, times shown in `timezone`."""
    token = _current.set((language, timezone))
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


class Text(str):
    """A message marked in Python code: as a str, the English text with its values; rendered in a
    page (`__html__`, `str()`, `format`), the translation in the page's language."""

    _message: str
    _plural: str | None
    _count: int
    _values: dict[str, object]

    def __new__(cls, message: str, plural: str | None = None, count: int = 1, values: dict | None = None) -> Text:
        values = values or {}
        source = plural if plural is not None and count != 1 else message
        self = super().__new__(cls, _fill(source, count, values))
        self._message, self._plural, self._count, self._values = message, plural, count, values
        return self

    def translated(self) -> str:
        if self._plural is None:
            text = gettext(self._message)
        else:
            text = ngettext(self._message, self._plural, self._count)
        return _fill(text, self._count, {k: str(v) for k, v in self._values.items()})

    def __str__(self) -> str:
        return self.translated()

    def __format__(self, spec: str) -> str:
        return format(self.translated(), spec)

    def __html__(self) -> str:
        return str(escape(self.translated()))


def _fill(text: str, count: int, values: dict[str, object]) -> str:
    return text.format(count=count, **values) if values or "{count}" in text else text


def _(message: str, **values: object) -> Text:
    """Mark `message` for the admin catalogue; `{name}` placeholders filled from `values`."""
    return Text(message, None, 1, values)


def N_(singular: str, plural: str, count: int, **values: object) -> Text:
    """A message with a plural form; `{count}` is `count`."""
    return Text(singular, plural, count, values)


# The values the store keeps (statuses, answers, roles...) as a reader sees them. The stored value
# stays as it is (filters and exports use it); only its label is translated.
LABELS = {
    "answered": _("answered"),
    "open": _("awaiting an answer"),
    "pending": _("pending"),
    "prompted": _("prompted"),
    "reminded": _("reminded"),
    "escalated": _("escalated"),
    "exhausted": _("nobody left to ask"),
    "skipped": _("skipped"),
    "confirmed": _("confirmed"),
    "declined": _("declined"),
    "substitute": _("substitute"),
    "no reply": _("no reply"),
    "invited": _("invited"),
    "queued": _("queued"),
    "sending": _("sending"),
    "sent": _("sent"),
    "delivered": _("delivered"),
    "failed": _("failed"),
    "read": _("read"),
    "received": _("received"),
    "held": _("held"),
    "cancelled": _("cancelled"),
    "scheduled": _("scheduled"),
    "completed": _("completed"),
    "in_progress": _("in progress"),
    "not_started": _("not started"),
    "blocked": _("blocked"),
    "admin": _("admin"),
    "secretariat": _("secretariat"),
    "viewer": _("viewer"),
    "focal_point": _("focal point"),
    "observer": _("observer"),
    "lead": _("lead"),
    "national": _("national"),
    "regional": _("regional"),
    "local": _("local"),
}


def label(value: object) -> object:
    """The reader's word for a stored value (a status, an answer, a role); other values as they are."""
    if isinstance(value, str):
        return LABELS.get(value, LABELS.get(value.replace(" ", "_"), value))
    return value


def language_name(code: str) -> str:
    """The language's name in itself ("français", "العربية"), for the language choice."""
    locale = locale_of(code)
    name = locale.get_display_name(code) if locale else None
    return name or code


def direction(language: str) -> str:
    return "rtl" if right_to_left(language) else "ltr"


def known_language(value: str) -> bool:
    return value in languages()


@cache
def timezones() -> tuple[str, ...]:
    """The IANA zone names offered (UTC first)."""
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return ("UTC", *zones)


def known_timezone(value: str) -> bool:
    if value not in timezones():
        return False
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def from_accept_language(header: str | None, default: str) -> str:
    """The first of the browser's languages (by q) that the pages are written in; else `default`."""
    wanted: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "")[:500].split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and q > 0:
            wanted.append((-q, i, tag.strip().lower()))
    have = languages()
    for _q, _i, tag in sorted(wanted):
        base = tag.replace("_", "-").split("-")[0]
        if base in have:
            return base
    return default if default in have else SOURCE


def locale(language: str) -> Locale:
    return locale_of(language) or Locale.parse(SOURCE)
