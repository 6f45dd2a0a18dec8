"""`nmirf import roster FILE.csv`: institutions, people and their focal-point assignments.

One row per assignment. People are matched on their phone number, institutions on their short
name, so importing the same file again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.imports.csvfile import ImportFailed, Row, read_rows, update_fields
from backend.progress import rounds
from backend.rhythm import ScheduleError, parse_escalation, parse_schedule
from backend.roster.models import CHANNELS, LEVELS, ROLES, FocalPoint, Institution, Person
from backend.roster.service import normalise_phone, release_telegram_id
from backend.schedule import turnover
from backend.sessions.state import end as end_conversation
from conversations.i18n import available_languages

REQUIRED = ("institution", "institution_name", "level", "name", "phone", "language", "timezone", "rank")
OPTIONAL = (
    "region",
    "telegram_user_id",
    "channels",
    "title",
    "active_from",
    "active_to",
    "schedule",
    "escalation",
    "role",
)


def _check(row: Row) -> dict | None:
    before = len(row.problems)
    short = row.required("institution")
    inst_name = row.required("institution_name")
    level = row.choice("level", LEVELS)
    region = row.get("region") or None
    if level == "local" and not region:
        row.problem("region", "is required for a local institution")
    name = row.required("name")
    phone = None
    if row.required("phone"):
        phone = normalise_phone(row.get("phone"))
        if phone is None:
            row.problem("phone", "not a valid phone number; write it in international form, e.g. +254712345678")
    language = row.required("language")
    if language and language not in available_languages():
        try:
            Locale.parse(language)
        except (ValueError, UnknownLocaleError):
            row.problem("language", "unknown language; use a code such as en, fr, es, pt or ar")
    schedule = row.get("schedule") or None
    if schedule:
        try:
            schedule = str(parse_schedule(schedule))
        except ScheduleError as e:
            row.problem("schedule", str(e) + "; or leave it empty for the deployment's REPORTING_SCHEDULE")
    escalation = row.get("escalation") or None
    if escalation:
        try:
            escalation = str(parse_escalation(escalation))
        except ScheduleError as e:
            row.problem("escalation", str(e) + "; or leave it empty for the deployment's delays")
    role = (row.get("role") or "focal_point").strip().lower().replace(" ", "_")
    if role not in ROLES:
        row.problem("role", "expected " + ", ".join(ROLES) + " (empty: focal_point)")
    tz = row.required("timezone")
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Africa"
            row.problem("timezone", "unknown time zone; use an IANA name such as Africa/Nairobi")
    rank = None
    if row.required("rank"):
        rank = int(row.get("rank")) if row.get("rank").isdigit() else 0
        if rank < 1:
            row.problem("rank", "expected 1 for the lead, 2, 3... for substitutes")
    tg = row.get("telegram_user_id")
    if tg and not tg.isdigit():
        row.problem("telegram_user_id", "expected the numeric Telegram user id, or leave it empty")
    channels = [c.strip().lower() for c in (row.get("channels") or "sms").split(";") if c.strip()]
    wrong = [c for c in channels if c not in CHANNELS]
    if wrong or len(set(channels)) != len(channels):
        row.problem(
            "channels",
            "expected one or more of " + ", ".join(CHANNELS) + " in order of preference, "
            "separated by ; (e.g. whatsapp;sms), each once",
        )
    # A Telegram account is linked later, when the person shares their number with the bot.
    active_from, active_to = row.optional_date("active_from"), row.optional_date("active_to")
    if active_from and active_to and active_to < active_from:
        row.problem("active_to", "is before active_from")
    if len(row.problems) > before:
        return None
    return dict(
        short=short,
        inst_name=inst_name,
        level=level,
        region=region,
        name=name,
        phone=phone,
        language=language,
        timezone=tz,
        rank=rank,
        telegram_user_id=int(tg) if tg else None,
        channels=",".join(channels),
        title=row.get("title") or None,
        active_from=active_from,
        active_to=active_to,
        schedule=schedule,
        escalation=escalation,
        role=role,
    )


def import_roster(session: Session, path: str | Path) -> dict[str, int]:
    """Validate the whole file, then upsert it; raise ImportFailed (nothing written) on any problem.
    Returns counts of created / updated rows."""
    rows, problems = read_rows(path, REQUIRED, OPTIONAL)
    checked = [(row, _check(row)) for row in rows]
    seen_phone: dict[str, int] = {}
    seen_pair: dict[tuple[str, str], int] = {}
    seen_schedule: dict[str, tuple[str, int]] = {}
    for row, rec in checked:
        if rec is None:
            continue
        key = rec["phone"]
        if key in seen_phone and rows[seen_phone[key]].get("name") != rec["name"]:
            row.problem("phone", f"already used by another person on line {rows[seen_phone[key]].line}")
        elif (rec["short"], key) in seen_pair:  # one line per problem, not this one too
            row.problem("phone", f"already in {rec['short']} on line {seen_pair[(rec['short'], key)]}")
        seen_phone.setdefault(key, rows.index(row))
        seen_pair[(rec["short"], key)] = row.line
        if rec["schedule"]:
            first = seen_schedule.setdefault(rec["short"], (rec["schedule"], row.line))
            if first[0] != rec["schedule"]:
                row.problem("schedule", f"{rec['short']} has schedule {first[0]!r} on line {first[1]}: give one")
    if problems:
        raise ImportFailed(problems)

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    now = datetime.now(UTC)
    records = [rec for _row, rec in checked if rec is not None]  # all of them: a row that failed raised above
    phones_in_file = {rec["phone"] for rec in records}
    for rec in records:
        inst = session.scalar(select(Institution).where(Institution.short_name == rec["short"]))
        if inst is None:
            inst = Institution(short_name=rec["short"], name=rec["inst_name"], level=rec["level"], region=rec["region"])
            session.add(inst)
            session.flush()
        else:
            update_fields(inst, name=rec["inst_name"], level=rec["level"], region=rec["region"])
        if rec["escalation"]:
            inst.escalation = rec["escalation"]
        if rec["schedule"] and inst.schedule != rec["schedule"]:
            inst.schedule, inst.next_prompt_at = rec["schedule"], None  # the scheduler recomputes it
        person = _person_for(session, rec, phones_in_file)
        created = person is None
        before = None if person is None else _post(session, inst.id, person.id)
        was_in_post = before is not None and turnover.in_post(before, now)
        ended_before = before.active_to if before is not None else None
        if person is None:
            person = Person(
                phone=rec["phone"],
                created_at=now,
                active=True,
                name=rec["name"],
                language=rec["language"],
                timezone=rec["timezone"],
                channels=rec["channels"],
            )
            session.add(person)
            session.flush()
        changed = update_fields(
            person,
            name=rec["name"],
            phone=rec["phone"],
            language=rec["language"],
            timezone=rec["timezone"],
            channels=rec["channels"],
            active=True,
            role=rec["role"],
        )
        if rec["telegram_user_id"] is not None and person.telegram_user_id != rec["telegram_user_id"]:
            release_telegram_id(session, rec["telegram_user_id"], keep=person.id)
            person.telegram_user_id = rec["telegram_user_id"]
            changed = True
        fp = _post(session, inst.id, person.id)
        if fp is None:
            fp = FocalPoint(
                institution_id=inst.id,
                person_id=person.id,
                rank=rec["rank"],
                title=rec["title"],
                active_from=rec["active_from"],
                active_to=rec["active_to"],
            )
            session.add(fp)
            changed = True
        else:
            changed |= update_fields(
                fp, rank=rec["rank"], title=rec["title"], active_from=rec["active_from"], active_to=rec["active_to"]
            )
        counts["created" if created else "updated" if changed else "unchanged"] += 1
        session.flush()
        # Turnover: a post that ends (or a focal point who becomes secretariat or observer) is told to
        # the secretariat at the scheduler's next pass, or on the day after it ends.
        if was_in_post and person.role != "focal_point":
            turnover.leaving(session, fp=fp, now=now, why="role")
        elif fp.active_to is not None and fp.active_to != ended_before and (was_in_post or fp.active_to >= now.date()):
            turnover.leaving(session, fp=fp, now=now)
    # A lead who left (active_to, a new rank): the scheduler looks at their open rounds again.
    changed_institutions = {rec["short"] for rec in records}
    ids = session.scalars(select(Institution.id).where(Institution.short_name.in_(changed_institutions)))
    rounds.wake(session, now, institution_ids=list(ids))
    return counts


def _post(session: Session, institution_id: int, person_id: int) -> FocalPoint | None:
    return session.scalar(
        select(FocalPoint).where(FocalPoint.institution_id == institution_id, FocalPoint.person_id == person_id)
    )


def _first_name(name: str) -> str:
    return (name.split() or [""])[0].casefold()


def _person_for(session: Session, rec: dict, phones_in_file: set[str]) -> Person | None:
    """The existing person this row is about, or None for a new one.

    A person is recognised by phone number and first name. A number now listed under another
    first name has changed owner: it is taken from the old owner, with their open conversation,
    so the new owner sees nothing of it. A known full name with a new number, whose old number
    is gone from the file, is the same person with a new phone."""
    person = session.scalar(select(Person).where(Person.phone == rec["phone"]))
    if person is not None and _first_name(person.name) == _first_name(rec["name"]):
        return person
    if person is not None:
        person.phone = None
        end_conversation(session, person_id=person.id)
    same_name = [
        p
        for p in session.scalars(select(Person).where(func.lower(Person.name) == rec["name"].lower()))
        if p.phone is None or p.phone not in phones_in_file
    ]
    return same_name[0] if len(same_name) == 1 else None
