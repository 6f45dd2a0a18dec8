"""The read side of the broadcast composer: what the group pickers offer (regions, clusters,
institutions, the roster's languages), past broadcasts, one broadcast's delivery state (from its
outbox rows, keyed `broadcast:<id>:<person id>`), and which broadcast a confirmation form already
sent (its one-time token is in the `broadcast_sent` audit entry written with the send)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.accounts.models import AdminUser, AuditEntry
from backend.broadcast.models import Broadcast
from backend.catalog.models import Cluster
from backend.outbox.models import OUTBOX_STATES, OutboxMessage
from backend.roster.models import Institution, Person

PER_PAGE = 50
SENT_ACTION = "broadcast_sent"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class Choices:
    """What the step-1 form offers."""

    regions: list[str]  # regions of local and regional institutions (groups.py: region:<name>)
    clusters: list[tuple[str, str]]  # (code, name)
    institutions: list[tuple[str, str]]  # (short name, name)
    languages: list[str]  # the languages active people read, most used first


@dataclass(frozen=True)
class BroadcastRow:
    id: int
    group: str
    languages: tuple[str, ...]
    created_at: datetime
    created_by: str
    recipients: int


@dataclass(frozen=True)
class HistoryPage:
    rows: list[BroadcastRow]
    page: int
    more: bool


@dataclass(frozen=True)
class BroadcastState:
    broadcast: BroadcastRow
    texts: dict[str, str]
    by_status: dict[str, int]  # every outbox state, 0 included
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)  # channel -> status -> n
    held: int = 0  # queued, not before a later time (the end of the recipient's quiet hours)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def choices(session: Session) -> Choices:
    regions = sorted(
        {
            r
            for r in session.scalars(select(Institution.region).where(Institution.level.in_(("local", "regional"))))
            if r
        }
    )
    clusters = [(c.code, c.name) for c in session.scalars(select(Cluster).order_by(Cluster.code))]
    institutions = [
        (short, name)
        for short, name in session.execute(
            select(Institution.short_name, Institution.name).order_by(Institution.short_name)
        )
    ]
    counted = session.execute(
        select(Person.language, func.count())
        .where(Person.active.is_(True))
        .group_by(Person.language)
        .order_by(func.count().desc(), Person.language)
    )
    return Choices(regions, clusters, institutions, [language for language, _ in counted])


def _row(b: Broadcast) -> BroadcastRow:
    return BroadcastRow(b.id, b.group, tuple(b.texts or {}), b.created_at, b.created_by, b.recipients)


def history(session: Session, *, page: int = 1, per_page: int = PER_PAGE) -> HistoryPage:
    """Past broadcasts, newest first, one page of them."""
    page = max(1, page)
    found = list(
        session.scalars(
            select(Broadcast).order_by(Broadcast.id.desc()).limit(per_page + 1).offset((page - 1) * per_page)
        )
    )
    return HistoryPage([_row(b) for b in found[:per_page]], page, len(found) > per_page)


def _prefix(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:"  # backend/broadcast/service.py key()


def state(session: Session, *, broadcast_id: int, now: datetime) -> BroadcastState | None:
    """The broadcast and how far its messages got; None when there is no such broadcast."""
    b = session.get(Broadcast, broadcast_id)
    if b is None:
        return None
    mine = OutboxMessage.key.startswith(_prefix(broadcast_id))
    by_status = dict.fromkeys(OUTBOX_STATES, 0)
    by_channel: dict[str, dict[str, int]] = {}
    for channel, status, n in session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .where(mine)
        .group_by(OutboxMessage.channel, OutboxMessage.status)
    ):
        by_status[status] = by_status.get(status, 0) + n
        by_channel.setdefault(channel, dict.fromkeys(OUTBOX_STATES, 0))[status] = n
    held = session.scalar(
        select(func.count()).where(mine, OutboxMessage.status == "queued", OutboxMessage.next_attempt_at > now)
    )
    return BroadcastState(_row(b), dict(b.texts or {}), by_status, dict(sorted(by_channel.items())), held or 0)


def detail(*, broadcast_id: int, group: str, recipients: int, token: str) -> str:
    """The audit detail of a send: no text body, no phone number; the token finds it again."""
    return f"broadcast {broadcast_id} to {group}: {recipients} recipients (confirmation {token})"


def sent_with(session: Session, *, token: str, username: str) -> int | None:
    """The broadcast a confirmation token already sent, if any. Locks the sender's row first, so
    two submissions of one form (a double click) are answered one after the other."""
    if not TOKEN.fullmatch(token):
        return None
    session.scalar(select(AdminUser.id).where(AdminUser.username == username.lower()).with_for_update())
    found = session.scalar(
        select(AuditEntry.detail)
        .where(AuditEntry.action == SENT_ACTION, AuditEntry.detail.endswith(f"(confirmation {token})"))
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    matched = re.match(r"broadcast (\d+) ", found or "")
    return int(matched.group(1)) if matched else None
