"""Rendering pages: one Jinja2 environment (autoescaped, with the i18n extension), the signed-in
user and their CSRF token in every template, the page in the viewer's language and time zone,
and small helpers the templates share."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_skeleton
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from backend.admin import i18n
from backend.admin.guard import mask

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
env.policies["ext.i18n.trimmed"] = True  # {% trans %} text is one line however it is wrapped
env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


def _zone(local: datetime, language: str) -> str:
    """The zone's abbreviation ("UTC", "EAT"), or UTC and the offset where it has none ("UTC+05:45")."""
    name = local.tzname() or ""
    if name[:1].isalpha():
        return name
    return "UTC" + format_datetime(local, "ZZZZZ", locale=i18n.locale(language))


def _when(value: datetime | None, fmt: str = "") -> str:
    """A time in the viewer's time zone, written the way their language writes it, with the zone;
    `fmt` without an hour in it ("%Y-%m-%d", "date"): the date alone."""
    if not value:
        return "—"
    language, zone = i18n.current(), i18n.current_timezone()
    locale = i18n.locale(language)
    if value.tzinfo is None:  # the store's times are UTC
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    local = value.astimezone(ZoneInfo(zone))
    day = format_skeleton("yMMMd", local, locale=locale)
    if fmt and "%H" not in fmt and "time" not in fmt:
        return day
    hour = format_skeleton("Hm", local, locale=locale)
    pattern = str(locale.datetime_formats.get("medium", "{1} {0}"))
    return pattern.replace("{1}", day).replace("{0}", hour) + " " + _zone(local, language)


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


env.filters["when"] = _when
env.filters["label"] = i18n.label


def _bidi(value: object) -> Markup:
    """A code or period ("2026-W49") kept in its own order inside right-to-left text."""
    return Markup("<bdi>%s</bdi>") % value


env.filters["bidi"] = _bidi
env.globals["percent"] = _percent
env.globals["label"] = i18n.label


def viewer(request: Request) -> tuple[str, str]:
    """The language and time zone of the page: the signed-in user's own choice, else the
    deployment's DEFAULT_LANGUAGE / DEFAULT_TIMEZONE; before sign-in, the browser's language
    among those the pages are written in."""
    user = getattr(request.state, "user", None)
    ctx = getattr(request.app.state, "ctx", None)
    settings = getattr(ctx, "settings", None)
    default_language = getattr(settings, "default_language", i18n.SOURCE)
    default_timezone = getattr(settings, "default_timezone", "UTC")
    if user is not None:
        language = getattr(user, "language", "") or default_language
        zone = getattr(user, "timezone", "") or default_timezone
    else:
        language = i18n.from_accept_language(request.headers.get("accept-language"), default_language)
        zone = default_timezone
    if not i18n.known_language(language):
        language = i18n.SOURCE
    if not i18n.known_timezone(zone):
        zone = "UTC"
    return language, zone


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    values.setdefault("title", "")
    language, zone = viewer(request)

    def csrf_field() -> Markup:
        token = mask(user.csrf_token) if user else ""
        return Markup('<input type="hidden" name="csrf_token" value="%s">') % escape(token)

    with i18n.activate(language, zone):
        html = env.get_template(template).render(
            request=request,
            user=user,
            csrf_field=csrf_field,
            language=language,
            direction=i18n.direction(language),
            viewer_timezone=zone,
            **values,
        )
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={"Cache-Control": "no-store", "Content-Language": language},
    )


def client_of(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, run uvicorn with
    --proxy-headers so that this is the browser's)."""
    return request.client.host if request.client else ""
