"""Who is asking, and may they: the session cookie read on every request, the role checked for
every route, and the CSRF token checked on every request that changes anything."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.status import HTTP_303_SEE_OTHER

from backend.accounts import sessions
from backend.accounts.sessions import SignedIn
from backend.deps import context
from backend.wiring.context import Context

READ = ("admin", "secretariat", "viewer")
CHANGE = ("admin", "secretariat")
USERS = ("admin",)


class SignInNeeded(HTTPException):
    """Answered by a redirect to the sign-in page (see admin.routes)."""

    def __init__(self, path: str):
        super().__init__(status_code=HTTP_303_SEE_OTHER, detail="sign in first")
        self.path = path


def signed_in_user(request: Request, ctx: Context) -> SignedIn | None:
    token = request.cookies.get(sessions.COOKIE)
    if not token:
        return None
    s = ctx.settings
    with ctx.db.transaction() as db:
        user = sessions.current(
            db,
            token,
            datetime.now(UTC),
            idle=timedelta(minutes=s.admin_idle_minutes),
            absolute=timedelta(hours=s.admin_absolute_hours),
        )
    request.state.user = user
    return user


def require(*roles: str):
    """A dependency: the signed-in user, who must hold one of `roles` (403 otherwise); with no
    session, a redirect to the sign-in page."""

    def dependency(request: Request, ctx: Context = Depends(context)) -> SignedIn:
        user = signed_in_user(request, ctx)
        if user is None:
            raise SignInNeeded(request.url.path)
        if user.role not in roles:
            raise HTTPException(status_code=403, detail="your role may not do this")
        return user

    return dependency


async def csrf(request: Request, ctx: Context = Depends(context)) -> None:
    """A dependency for every POST: the form's csrf_token (or an X-CSRF-Token header) must be the
    signed-in session's (the synchronizer-token pattern: the token lives in the server-side
    session, so no second cookie is needed)."""
    user: SignedIn | None = getattr(request.state, "user", None)
    if user is None:
        user = await run_in_threadpool(signed_in_user, request, ctx)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if user is None or not sent or not secrets.compare_digest(sent, user.csrf_token):
        raise HTTPException(
            status_code=403, detail="the form has expired or did not come from this site: reload the page and try again"
        )


def reader():
    return require(*READ)


def changer():
    return require(*CHANGE)
