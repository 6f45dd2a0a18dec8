"""Signing in and out, and changing one's own password."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from backend.accounts import audit, sessions, users
from backend.accounts.sessions import SignedIn
from backend.accounts.throttle import LoginThrottle
from backend.admin.guard import csrf, mask, reader, signed_in_user, unmask
from backend.admin.i18n import _
from backend.admin.web import client_of, render
from backend.deps import context
from backend.wiring.context import Context

router = APIRouter()


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or urlsplit(value).netloc:
        return "/admin/"
    return value


def set_cookie(request: Request, response: Response, token: str, ctx: Context) -> None:
    response.set_cookie(
        sessions.COOKIE,
        token,
        max_age=int(ctx.settings.admin_absolute_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


# The sign-in form's own CSRF token, before any session exists: a random value in a cookie only
# this path receives, and the same value (masked) in the form. A page on another site can post a
# form here but cannot read or set that cookie, so it cannot sign a browser into its own account.
LOGIN_COOKIE = "nmirf_login"


def _login_form(request: Request, status_code: int = 200, **values) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    values.setdefault("next", "/admin/")
    response = render(
        request, "login.html", status_code=status_code, title=_("Sign in"), login_token=mask(token), **values
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=2 * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/admin/login",
    )
    return response


@router.get("/admin/login")
def login_page(request: Request, next: str = "/admin/", ctx: Context = Depends(context)):
    if signed_in_user(request, ctx):
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_form(request, next=_safe_next(next))


def _sign_in(ctx: Context, username: str, password: str, client: str) -> str | None:
    now = datetime.now(UTC)
    with ctx.db.transaction() as db:
        user = users.authenticate(db, username, password)
        if user is None:
            audit.record(db, username=users.normal(username), action="login_failed", now=now, client=client)
            return None
        audit.record(db, username=user.username, action="login", now=now, client=client)
        return sessions.start(db, user, now)


@router.post("/admin/login")
async def login(
    request: Request,
    username: str = Form("", max_length=200),
    password: str = Form("", max_length=300),
    next: str = Form("/admin/"),
    login_token: str = Form("", max_length=200),
    ctx: Context = Depends(context),
):
    expected = request.cookies.get(LOGIN_COOKIE) or ""
    if not expected or not secrets.compare_digest(unmask(login_token).encode(), expected.encode()):
        return _login_form(
            request,
            status_code=403,
            next=_safe_next(next),
            error=_("This sign-in form has expired. Please sign in again."),
        )
    throttle: LoginThrottle = request.app.state.login_throttle
    name, client = users.normal(username), client_of(request)
    verdict = throttle.check(name, client)
    if not verdict.allowed:
        return _login_form(
            request,
            status_code=429,
            next=_safe_next(next),
            error=_("Too many failed attempts from here. Try again in {seconds} seconds.", seconds=verdict.retry_after),
        )
    if verdict.delay:
        await asyncio.sleep(verdict.delay)
    # A new session id at every sign-in; an old cookie sent with the form is simply replaced.
    token = await run_in_threadpool(_sign_in, ctx, name, password, client)
    if token is None:
        throttle.failed(name, client)
        return _login_form(
            request,
            status_code=401,
            next=_safe_next(next),
            error=_("That user name and password do not match an active account."),
            username=name,
        )
    throttle.succeeded(name, client)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(request, response, token, ctx)
    response.delete_cookie(LOGIN_COOKIE, path="/admin/login")
    return response


@router.post("/admin/logout", dependencies=[Depends(csrf)])
def logout(request: Request, user: SignedIn = Depends(reader()), ctx: Context = Depends(context)):
    with ctx.db.transaction() as db:
        sessions.end(db, user.session_id)
        audit.record(db, username=user.username, action="logout", now=datetime.now(UTC), client=client_of(request))
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


@router.get("/admin/password")
def password_page(request: Request, user: SignedIn = Depends(reader())):
    return render(request, "password.html", title=_("Change your password"))


@router.post("/admin/password", dependencies=[Depends(csrf)])
def change_password(
    request: Request,
    current: str = Form("", max_length=300),
    new: str = Form("", max_length=300),
    repeat: str = Form("", max_length=300),
    user: SignedIn = Depends(reader()),
    ctx: Context = Depends(context),
):
    now = datetime.now(UTC)
    error: str | None = None
    throttle: LoginThrottle = request.app.state.login_throttle
    verdict = throttle.check(user.username, client_of(request))
    if not verdict.allowed:  # the current password is guessed no faster than at sign-in
        error = _("Too many failed attempts from here. Try again in {seconds} seconds.", seconds=verdict.retry_after)
        return render(request, "password.html", status_code=429, title=_("Change your password"), error=error)
    with ctx.db.transaction() as db:
        account = users.authenticate(db, user.username, current)
        if account is None:
            throttle.failed(user.username, client_of(request))
            audit.record(
                db, username=user.username, action="password_change_failed", now=now, client=client_of(request)
            )
            error = _("Your current password is not right.")
        elif new != repeat:
            error = _("The two new passwords differ.")
        else:
            try:
                users.set_password(db, account, new, now)  # ends every session of this user
            except users.AccountError as exc:
                error = f"{str(exc).capitalize()}."
            else:
                audit.record(db, username=user.username, action="password_changed", now=now, client=client_of(request))
                token = sessions.start(db, account, now)  # this browser stays signed in, anew
    if error:
        return render(request, "password.html", status_code=400, title=_("Change your password"), error=error)
    response = RedirectResponse("/admin/?done=password", status_code=303)
    set_cookie(request, response, token, ctx)
    return response
