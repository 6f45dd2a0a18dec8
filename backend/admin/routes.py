"""Mounting the admin side on the app: its pages, static files, the API, the sign-in redirect."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from backend.accounts.sessions import COOKIE
from backend.accounts.throttle import LoginThrottle
from backend.admin import (
    accounts,
    broadcast,
    meetings,
    meetings_export,
    messages,
    overview,
    progress,
    roster,
    settings,
    signin,
    simulator,
)
from backend.admin.api import mount as mount_api
from backend.admin.guard import SignInNeeded, signed_in_user
from backend.admin.headers import SecurityHeaders
from backend.admin.i18n import _
from backend.admin.web import STATIC, render
from backend.wiring.context import Context

PAGES = (signin, overview, accounts, broadcast, meetings, meetings_export, roster, messages, progress, settings)

# Starlette's own answers (no route, wrong method...), said in the reader's language.
GENERIC = {
    "Not Found": _("There is no such page."),
    "Method Not Allowed": _("This page cannot be used that way."),
    "Length Required": _("Send the file from the import form (its length was not given)."),
}


def mount(app: FastAPI, ctx: Context) -> None:
    app.state.login_throttle = LoginThrottle(ctx.settings.redis_url or "memory://")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(GZipMiddleware, minimum_size=500)  # pages as a 2G-class connection gets them
    app.mount("/admin/static", StaticFiles(directory=STATIC), name="admin-static")
    mount_api(app, ctx)  # /api: the read-only JSON API, its own app with its own OpenAPI schema
    for module in PAGES:
        app.include_router(module.router)
    app.state.simulator_on = "simulator" in ctx.channels
    if app.state.simulator_on:  # SIMULATOR_ENABLED: otherwise the page does not exist either
        app.include_router(simulator.router)

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded):
        return RedirectResponse("/admin/login?next=" + quote(exc.path), status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/admin") and exc.status_code in (400, 403, 404, 405, 411, 413):
            if getattr(request.state, "user", None) is None and request.cookies.get(COOKIE):
                # no route ran (an unknown path): the page still in the signed-in user's language
                await run_in_threadpool(signed_in_user, request, ctx)
            detail = GENERIC.get(exc.detail, exc.detail) if isinstance(exc.detail, str) else exc.detail
            return render(request, "error.html", status_code=exc.status_code, title=_("Not possible"), detail=detail)
        from fastapi.exception_handlers import http_exception_handler

        return await http_exception_handler(request, exc)
