"""Who is asking, and may they: the session cookie read on every request, the role checked for
every route, and the CSRF token checked on every request that changes anything."""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import UTC, datetime, timedelta

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.status import HTTP_303_SEE_OTHER

from backend.accounts import sessions
from backend.accounts.sessions import SignedIn
from backend.admin.i18n import _
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
            raise HTTPException(status_code=403, detail=_("Your role may not do this."))
        return user

    return dependency


def mask(token: str) -> str:
    """The session's CSRF token as a page carries it: XOR-ed with a fresh random pad, pad first.
    Every page then holds different bytes, so a compressed page (gzip) leaks nothing of the
    token to an attacker who can put text beside it (BREACH)."""
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    return base64.urlsafe_b64encode(pad + bytes(a ^ b for a, b in zip(pad, raw))).decode()


def unmask(sent: str) -> str:
    try:
        both = base64.urlsafe_b64decode(sent.encode())
    except (ValueError, binascii.Error):
        return ""
    half = len(both) // 2
    if len(both) % 2 or not half or base64.urlsafe_b64encode(both).decode() != sent:  # nothing added or cut
        return ""
    return bytes(a ^ b for a, b in zip(both[:half], both[half:])).decode(errors="replace")


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
    if user is None or not sent or not secrets.compare_digest(unmask(sent).encode(), user.csrf_token.encode()):
        raise HTTPException(
            status_code=403,
            detail=_("The form has expired or did not come from this site: reload the page and try again."),
        )


def reader():
    return require(*READ)


def changer():
    return require(*CHANGE)
