"""Your settings: the language of the pages and the time zone times are shown in, each user's own."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from backend.accounts import audit, users
from backend.accounts.sessions import SignedIn
from backend.admin import i18n
from backend.admin.guard import csrf, reader
from backend.admin.i18n import _
from backend.admin.web import client_of, render
from backend.deps import context
from backend.wiring.context import Context

router = APIRouter(prefix="/admin")


def _page(request: Request, ctx: Context, user: SignedIn, status_code: int = 200, **values):
    s = ctx.settings
    values.setdefault("chosen_language", user.language)
    values.setdefault("chosen_timezone", user.timezone)
    return render(
        request,
        "settings.html",
        status_code=status_code,
        title=_("Your settings"),
        languages=[(code, i18n.language_name(code)) for code in i18n.languages()],
        zones=i18n.timezones(),
        default_language=i18n.language_name(s.default_language),
        default_timezone=s.default_timezone,
        **values,
    )


@router.get("/settings")
def settings_page(
    request: Request, done: str = "", user: SignedIn = Depends(reader()), ctx: Context = Depends(context)
):
    return _page(request, ctx, user, notice=_("Your settings are saved.") if done == "yes" else None)


@router.post("/settings", dependencies=[Depends(csrf)])
def save_settings(
    request: Request,
    language: str = Form("", max_length=40),
    timezone: str = Form("", max_length=80),
    user: SignedIn = Depends(reader()),
    ctx: Context = Depends(context),
):
    language, timezone = language.strip(), timezone.strip()
    error = None
    if language and not i18n.known_language(language):
        error = _("There is no language “{code}” here: choose one from the list.", code=language[:20])
    elif timezone and not i18n.known_timezone(timezone):
        error = _(
            "There is no time zone “{zone}”: choose one from the list (an IANA name such as Africa/Nairobi).",
            zone=timezone[:40],
        )
    if error:
        return _page(
            request, ctx, user, status_code=400, error=error, chosen_language=language, chosen_timezone=timezone
        )
    now = datetime.now(UTC)
    with ctx.db.transaction() as db:
        account = users.find(db, user.username)
        if account is not None:
            users.set_preferences(db, account, language=language, timezone=timezone)
            audit.record(
                db,
                username=user.username,
                action="settings_changed",
                now=now,
                detail=f"language {language or 'default'}, time zone {timezone or 'default'}",
                client=client_of(request),
            )
    return RedirectResponse("/admin/settings?done=yes", status_code=303)
