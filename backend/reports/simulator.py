"""What the admin simulator page shows: the roster people it may act as (whose channels include
the simulator), and one such person's conversation on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.inbox.models import InboxMessage
from backend.outbox.models import OutboxMessage
from backend.roster.models import Person

CHANNEL = "simulator"


@dataclass(frozen=True)
class SimPerson:
    id: int
    name: str
    phone: str
    language: str


@dataclass(frozen=True)
class Line:
    at: datetime
    from_person: bool  # True: what the person sent; False: what the bot sent
    text: str
    status: str


def people(db: Session) -> list[SimPerson]:
    rows = db.scalars(select(Person).where(Person.active.is_(True), Person.phone.is_not(None)).order_by(Person.name))
    return [SimPerson(p.id, p.name, p.phone or "", p.language) for p in rows if CHANNEL in p.channel_list]


def person(db: Session, person_id: int) -> SimPerson | None:
    return next((p for p in people(db) if p.id == person_id), None)


def conversation(db: Session, phone: str, *, limit: int = 40) -> list[Line]:
    inbound = db.scalars(
        select(InboxMessage)
        .where(InboxMessage.channel == CHANNEL, InboxMessage.address == phone)
        .order_by(InboxMessage.id.desc())
        .limit(limit)
    )
    outbound = db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.channel == CHANNEL, OutboxMessage.address == phone)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    lines = [Line(m.received_at, True, m.text, m.status) for m in inbound]
    lines += [Line(m.created_at, False, m.text, m.status) for m in outbound]
    return sorted(lines, key=lambda line: line.at)[-limit:]
