"""API tokens for other systems: `nmirf api-token create NAME` prints the token once; the store
keeps its SHA-256 digest. A revoked token stops working at once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.models import ApiToken
from backend.accounts.users import AccountError
from backend.db import aware

PREFIX = "nmirf_"
TOUCH_EVERY = timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, *, name: str, now: datetime) -> str:
    name = name.strip()
    if not name or len(name) > 80:
        raise AccountError("a token's name is 1 to 80 characters (who uses it, e.g. 'national-tracking-db')")
    if session.scalar(select(ApiToken).where(ApiToken.name == name)):
        raise AccountError(f"there is already a token named {name!r}: revoke it first, or pick another name")
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, digest=_digest(token), prefix=token[: len(PREFIX) + 4], created_at=now))
    return token


def revoke(session: Session, *, name: str, now: datetime) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None)))
    if row is None:
        raise AccountError(f"no active token named {name!r} (see `nmirf api-token list`)")
    row.revoked_at = now
    # The name can be used again; the old row keeps a shortened one that fits and is unique.
    row.name = f"{row.name[:40]} (revoked {now:%Y-%m-%d %H:%M} #{row.id})"


def check(session: Session, token: str, now: datetime) -> ApiToken | None:
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.digest == _digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    if row.last_used_at is None or now - aware(row.last_used_at) > TOUCH_EVERY:
        row.last_used_at = now
    return row


def listing(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at)))
