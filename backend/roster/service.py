"""Roster queries: who is behind an address, who leads an institution today, linking Telegram."""

from __future__ import annotations

from datetime import date

import phonenumbers
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from backend.roster.models import FocalPoint, Institution, Person


def find_by_address(session: Session, *, channel: str, address: str, lock: bool = False) -> Person | None:
    if channel == "telegram":
        if not address.lstrip("-").isdigit():
            return None
        query = select(Person).where(Person.telegram_user_id == int(address))
    else:
        query = select(Person).where(Person.phone == address)
    query = query.where(Person.active.is_(True))
    if lock:
        # FOR NO KEY UPDATE: it serialises the person's conversation without waiting for a
        # transaction that only inserts rows referring to the person (a broadcast's outbox rows
        # hold FOR KEY SHARE on each recipient until they commit, and FOR UPDATE would wait).
        query = query.with_for_update(key_share=True)
    return session.scalar(query)


def normalise_phone(raw: str, region: str | None = None) -> str | None:
    """E.164 form of a phone number, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def release_telegram_id(session: Session, telegram_user_id: int, keep: int) -> None:
    """A Telegram account belongs to one person: unlink it from anyone else first."""
    other = session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id, Person.id != keep))
    if other is not None:
        other.telegram_user_id = None
        session.flush()


def link_telegram(session: Session, *, phone: str, telegram_user_id: int) -> Person | None:
    """Attach a Telegram account to the roster person with this phone; None when nobody has it."""
    e164 = normalise_phone(phone if phone.startswith("+") else "+" + phone)
    if e164 is None:
        return None
    person = session.scalar(select(Person).where(Person.phone == e164, Person.active.is_(True)))
    if person is None:
        return None
    release_telegram_id(session, telegram_user_id, keep=person.id)
    person.telegram_user_id = telegram_user_id
    return person


def led_institutions(session: Session, *, person_id: int, day: date) -> list[Institution]:
    """Institutions where this person is today's lead: the lowest rank among those available
    (in post, active, not away). Two queries, whatever the size of the rosters."""
    mine = session.scalars(
        select(FocalPoint).where(FocalPoint.person_id == person_id).options(joinedload(FocalPoint.person))
    ).all()
    mine = [fp for fp in mine if available(fp, day)]
    if not mine:
        return []
    lowest = dict(
        session.execute(
            select(FocalPoint.institution_id, func.min(FocalPoint.rank))
            .join(Person, Person.id == FocalPoint.person_id)
            .where(
                FocalPoint.institution_id.in_([fp.institution_id for fp in mine]),
                or_(FocalPoint.active_from.is_(None), FocalPoint.active_from <= day),
                or_(FocalPoint.active_to.is_(None), FocalPoint.active_to >= day),
                Person.active.is_(True),
                or_(Person.away_until.is_(None), Person.away_until < day),
            )
            .group_by(FocalPoint.institution_id)
        ).all()
    )
    return [fp.institution for fp in mine if lowest.get(fp.institution_id) == fp.rank]


def available(fp: FocalPoint, day: date) -> bool:
    """In post that day, active, and not away (AWAY)."""
    person = fp.person
    return fp.active_on(day) and person.active and (person.away_until is None or person.away_until < day)


def leads(session: Session, *, day: date) -> list[Person]:
    """Every active person who leads at least one institution today."""
    people = session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.id))
    return [p for p in people if led_institutions(session, person_id=p.id, day=day)]


def institutions_of(session: Session, *, person_id: int, day: date) -> list[Institution]:
    """Every institution where this person is a focal point in post that day, lead or substitute."""
    return [
        fp.institution
        for fp in session.scalars(
            select(FocalPoint)
            .where(FocalPoint.person_id == person_id)
            .order_by(FocalPoint.rank, FocalPoint.institution_id)
        )
        if fp.active_on(day)
    ]
