"""Server-side sessions. The browser holds a random id (256 bits); the store holds its SHA-256
digest, the user, a CSRF token, and when it began and was last used. A session ends at logout,
after IDLE without use, after ABSOLUTE since sign-in, or when its user's password or access
changes. Signing in always makes a new id (no fixation)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.accounts.models import AdminUser, WebSession
from backend.db import aware

COOKIE = "nmirf_session"
TOUCH_EVERY = timedelta(minutes=1)  # last use is written at most this often


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """Who is signed in on this request, detached from the database session."""

    user_id: int
    username: str
    role: str
    csrf_token: str
    session_id: str
    language: str = ""  # the user's choice; empty: the deployment's DEFAULT_LANGUAGE
    timezone: str = ""  # likewise DEFAULT_TIMEZONE


def start(session: Session, user: AdminUser, now: datetime) -> str:
    """A new session for the user; returns the cookie value (shown only here)."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32), created_at=now, last_seen_at=now
        )
    )
    return token


def current(
    session: Session, token: str | None, now: datetime, *, idle: timedelta, absolute: timedelta
) -> SignedIn | None:
    if not token or len(token) > 100:
        return None
    row = session.get(WebSession, digest(token))
    if row is None:
        return None
    user = session.get(AdminUser, row.user_id)
    created, seen = aware(row.created_at), aware(row.last_seen_at)
    if user is None or not user.active or now - seen > idle or now - created > absolute:
        session.delete(row)
        return None
    if now - seen > TOUCH_EVERY:
        row.last_seen_at = now
    return SignedIn(user.id, user.username, user.role, row.csrf_token, row.id, user.language or "", user.timezone or "")


def end(session: Session, session_id: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id == session_id))


def purge(session: Session, now: datetime, *, idle: timedelta, absolute: timedelta) -> int:
    """Drop sessions past either timeout (the sweep calls this)."""
    result = session.execute(
        delete(WebSession).where((WebSession.last_seen_at < now - idle) | (WebSession.created_at < now - absolute))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def count_for(session: Session, user_id: int) -> int:
    return len(session.scalars(select(WebSession.id).where(WebSession.user_id == user_id)).all())
