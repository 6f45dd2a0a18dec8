"""Mounting the admin side on the app: its pages, static files, the API, the sign-in redirect."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.accounts.throttle import LoginThrottle
from backend.admin import accounts, overview, signin, simulator
from backend.admin.guard import SignInNeeded
from backend.admin.headers import SecurityHeaders
from backend.admin.web import STATIC, render
from backend.wiring.context import Context

PAGES = (signin, overview, accounts)


def mount(app: FastAPI, ctx: Context) -> None:
    app.state.login_throttle = LoginThrottle(ctx.settings.redis_url or "memory://")
    app.add_middleware(SecurityHeaders)
    app.mount("/admin/static", StaticFiles(directory=STATIC), name="admin-static")
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
        if request.url.path.startswith("/admin") and exc.status_code in (400, 403, 404, 405):
            return render(request, "error.html", status_code=exc.status_code, title="Not possible", detail=exc.detail)
        from fastapi.exception_handlers import http_exception_handler

        return await http_exception_handler(request, exc)
