"""Roster queries: who is behind an address, who leads an institution today, linking Telegram."""

from __future__ import annotations

from datetime import date

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

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
        query = query.with_for_update()
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
    """Institutions where this person is today's lead: the lowest active rank."""
    result = []
    for fp in session.scalars(select(FocalPoint).where(FocalPoint.person_id == person_id)):
        if not fp.active_on(day):
            continue
        ranks = [other.rank for other in fp.institution.focal_points if available(other, day)]
        if available(fp, day) and fp.rank == min(ranks):
            result.append(fp.institution)
    return result


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
