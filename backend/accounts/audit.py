"""The audit log: every sign-in, failed sign-in, sign-out and change made through the pages.
It names what changed, never a phone number or a message body."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.accounts.models import AuditEntry


def record(session: Session, *, username: str, action: str, now: datetime, detail: str = "", client: str = "") -> None:
    session.add(AuditEntry(at=now, username=username[:80], action=action, detail=detail[:2000], client=client[:64]))


def recent(session: Session, *, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))
