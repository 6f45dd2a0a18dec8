"""The message log: what arrived and what left, newest first, with each outbound message's
delivery status, the route it took (each channel tried and why it failed), its SMS segments,
attempts and last failure.

`addresses=False` (the viewer role) hides addresses and scrubs phone numbers from failure
reasons; `bodies=False` hides what was written. Both happen here, before a page sees a row."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, false, literal, select, union_all
from sqlalchemy.orm import Session

from backend.db import aware
from backend.inbox.models import INBOX_STATES, InboxMessage
from backend.outbox.models import OUTBOX_STATES, OutboxMessage
from backend.roster.models import CHANNELS, Person

PER_PAGE = 50
DIRECTIONS = ("in", "out")
STATUSES = tuple(dict.fromkeys(INBOX_STATES + OUTBOX_STATES))
HIDDEN = "hidden"
_KIND = re.compile(r"^[a-z_:]{1,20}$")
_PHONE_LIKE = re.compile(r"\+?\d[\d ()-]{5,}\d")


class FilterError(ValueError):
    """A filter value that means nothing (shown on a 400 page)."""


@dataclass(frozen=True)
class Filters:
    person: str = ""  # a person id, or part of a name
    channel: str = ""
    status: str = ""
    kind: str = ""
    direction: str = ""

    def check(self) -> Filters:
        if self.channel and self.channel not in CHANNELS:
            raise FilterError(f"channel must be one of {', '.join(CHANNELS)}")
        if self.status and self.status not in STATUSES:
            raise FilterError(f"status must be one of {', '.join(STATUSES)}")
        if self.kind and not _KIND.match(self.kind):
            raise FilterError("kind is a word such as reply, weekly_prompt or text")
        if self.direction and self.direction not in DIRECTIONS:
            raise FilterError("direction must be in or out")
        if len(self.person) > 200:
            raise FilterError("person: a name or an id, at most 200 characters")
        return self


@dataclass(frozen=True)
class Step:
    """One channel on an outbound message's route: tried and failed (error), or where it is now."""

    channel: str
    address: str
    error: str | None


@dataclass(frozen=True)
class Entry:
    direction: str  # in / out
    id: int
    at: datetime
    person_id: int | None
    person_name: str | None
    channel: str
    address: str
    kind: str
    status: str
    attempts: int
    error: str | None
    body: str | None  # None: hidden from this reader
    route: tuple[Step, ...] = ()  # outbound: each channel tried, the current one last
    segments: int | None = None
    sent_at: datetime | None = None
    in_reply_to: int | None = None

    @property
    def last_failure(self) -> str | None:
        """The row's own error, or else the last channel's failure on its route."""
        return self.error or next((s.error for s in reversed(self.route) if s.error), None)


@dataclass(frozen=True)
class LogPage:
    entries: list[Entry]
    page: int
    more: bool


@dataclass(frozen=True)
class Detail:
    entry: Entry
    replies: list[Entry]  # for an inbound message: what the bot answered


def _scrub(text: str | None, show: bool) -> str | None:
    if text is None or show:
        return text
    return _PHONE_LIKE.sub(HIDDEN, text)


def _person_ids(session: Session, person: str):
    person = person.strip()
    if person.isdigit():
        return [int(person)]
    return select(Person.id).where(Person.name.icontains(person, autoescape=True))


def log(
    session: Session, *, filters: Filters = Filters(), page: int = 1, addresses: bool = False, bodies: bool = False
) -> LogPage:
    """One page (50) of inbound and outbound messages together, newest first."""
    filters.check()
    page = max(1, page)
    inbound = select(
        literal("in", String).label("direction"), InboxMessage.id.label("id"), InboxMessage.received_at.label("at")
    )
    outbound = select(
        literal("out", String).label("direction"), OutboxMessage.id.label("id"), OutboxMessage.created_at.label("at")
    )
    if filters.person:
        ids = _person_ids(session, filters.person)
        inbound = inbound.where(InboxMessage.person_id.in_(ids))
        outbound = outbound.where(OutboxMessage.person_id.in_(ids))
    if filters.channel:
        inbound = inbound.where(InboxMessage.channel == filters.channel)
        outbound = outbound.where(OutboxMessage.channel == filters.channel)
    if filters.status:
        inbound = inbound.where(InboxMessage.status == filters.status if filters.status in INBOX_STATES else false())
        outbound = outbound.where(
            OutboxMessage.status == filters.status if filters.status in OUTBOX_STATES else false()
        )
    if filters.kind:
        inbound = inbound.where(InboxMessage.kind == filters.kind)
        outbound = outbound.where(OutboxMessage.kind == filters.kind)
    parts = [q for d, q in (("in", inbound), ("out", outbound)) if filters.direction in ("", d)]
    both = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    found = session.execute(
        select(both.c.direction, both.c.id)
        .order_by(both.c.at.desc(), both.c.direction, both.c.id.desc())
        .limit(PER_PAGE + 1)
        .offset((page - 1) * PER_PAGE)
    ).all()
    entries = _entries(session, [(d, i) for d, i in found[:PER_PAGE]], addresses=addresses, bodies=bodies)
    return LogPage(entries=entries, page=page, more=len(found) > PER_PAGE)


def inbound(session: Session, *, id: int, addresses: bool = False, bodies: bool = False) -> Detail | None:
    """One inbound message and the bot's answers to it; None when there is no such message."""
    entries = _entries(session, [("in", id)], addresses=addresses, bodies=bodies)
    if not entries:
        return None
    answers = session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.in_reply_to == id).order_by(OutboxMessage.id).limit(PER_PAGE)
    ).all()
    replies = _entries(session, [("out", a) for a in answers], addresses=addresses, bodies=bodies)
    return Detail(entries[0], replies)


def outbound(session: Session, *, id: int, addresses: bool = False, bodies: bool = False) -> Detail | None:
    entries = _entries(session, [("out", id)], addresses=addresses, bodies=bodies)
    return Detail(entries[0], []) if entries else None


def _entries(session: Session, keys: list[tuple[str, int]], *, addresses: bool, bodies: bool) -> list[Entry]:
    """The rows behind (direction, id) pairs, in that order: one query per table, one for names."""
    in_ids = [i for d, i in keys if d == "in"]
    out_ids = [i for d, i in keys if d == "out"]
    ins = {r.id: r for r in session.scalars(select(InboxMessage).where(InboxMessage.id.in_(in_ids)))} if in_ids else {}
    outs = (
        {r.id: r for r in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(out_ids)))}
        if out_ids
        else {}
    )
    person_ids = {r.person_id for r in ins.values() if r.person_id is not None}
    person_ids |= {r.person_id for r in outs.values() if r.person_id is not None}
    names = (
        {pid: name for pid, name in session.execute(select(Person.id, Person.name).where(Person.id.in_(person_ids)))}
        if person_ids
        else {}
    )

    def address(value: str) -> str:
        return value if addresses else HIDDEN

    result = []
    for direction, key in keys:
        if direction == "in" and key in ins:
            r = ins[key]
            result.append(
                Entry(
                    direction="in",
                    id=r.id,
                    at=aware(r.received_at),
                    person_id=r.person_id,
                    person_name=names.get(r.person_id) if r.person_id is not None else None,
                    channel=r.channel,
                    address=address(r.address),
                    kind=r.kind,
                    status=r.status,
                    attempts=r.attempts,
                    error=_scrub(r.error, addresses),
                    body=r.text if bodies else None,
                )
            )
        elif direction == "out" and key in outs:
            o = outs[key]
            result.append(
                Entry(
                    direction="out",
                    id=o.id,
                    at=aware(o.created_at),
                    person_id=o.person_id,
                    person_name=names.get(o.person_id) if o.person_id is not None else None,
                    channel=o.channel,
                    address=address(o.address),
                    kind=o.kind,
                    status=o.status,
                    attempts=o.attempts,
                    error=_scrub(o.error, addresses),
                    body=(o.sms_text or o.text if o.channel == "sms" else o.text) if bodies else None,
                    route=_route(o, address, addresses),
                    segments=o.segments,
                    sent_at=aware(o.sent_at),
                    in_reply_to=o.in_reply_to,
                )
            )
    return result


def _route(row: OutboxMessage, address: Callable[[str], str], show: bool) -> tuple[Step, ...]:
    """Each channel tried and why it failed, then the channel the message is on now (unless the
    last failure there was the end of it)."""
    steps = [s for s in row.route or [] if isinstance(s, dict)]
    tried = [
        Step(
            str(s.get("channel", "?")),
            address(str(s.get("address", ""))),
            _scrub(str(s.get("error") or "failed"), show),
        )
        for s in steps
    ]
    ended_here = bool(steps) and (steps[-1].get("channel"), steps[-1].get("address")) == (row.channel, row.address)
    if not ended_here:
        tried.append(Step(row.channel, address(row.address), None))
    elif row.status in ("queued", "sending"):  # failed over: the next channel is chosen when it is sent
        tried.append(Step("next channel", "", None))
    return tuple(tried)
