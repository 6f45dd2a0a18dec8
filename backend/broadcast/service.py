"""Broadcasts: who is in a group (`recipients`), what sending to it would do (`preview`: each
person's text language and first usable channel, SMS segments and cost, who cannot be reached and
why), and the send itself (`send`: one outbox row per person, at bulk priority, on the channel's
paced bulk queue once the caller's transaction commits). QUIET_HOURS hold: a person in their
quiet hours (their own time zone) when it is confirmed gets it at their end, the row queued with
that not-before time and sent by the sweep then (`Sent.held`); the preview counts them.

A person reads the text of their language; without one, DEFAULT_LANGUAGE's, then English's. Each
message is keyed `broadcast:<broadcast id>:<person id>`, and the same group and texts sent again
are the same broadcast (unless asked `again`), so running a broadcast twice reaches nobody twice:
the second run reaches only those the first could not (or who joined the group since)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.broadcast import groups
from backend.broadcast.groups import BroadcastError, Group
from backend.broadcast.models import Broadcast
from backend.config import Settings
from backend.outbox import routing
from backend.outbox.models import OutboxMessage
from backend.outbox.start import start_message
from backend.rhythm import QuietHours, outside_quiet_hours, parse_quiet_hours
from backend.roster.models import Person
from bot.segments import count_segments
from conversations.budget import sms_text
from conversations.i18n import available_languages

__all__ = ["BroadcastError", "Preview", "Recipient", "Sent", "TextLine", "preview", "recipients", "send"]

KIND = "broadcast"  # the outbox kind, and WHATSAPP_TEMPLATES' key for the approved template
BULK = 1  # outbox priority: after answers to people who just wrote (0), on the channel's bulk queue
MAX_CHARACTERS = 1600  # the longest body Twilio accepts (Telegram takes 4096)


@dataclass(frozen=True)
class Recipient:
    person_id: int
    name: str
    phone: str | None
    institutions: tuple[str, ...]
    language: str  # the person's
    text_language: str | None  # whose text they read; None: no text for them
    channel: str | None  # the first usable channel; None: they cannot be reached
    template: bool = False  # on WhatsApp outside the 24-hour window, as the approved template
    segments: int = 0  # by SMS: the segments their message takes
    why_not: str = ""  # why they cannot be reached
    already: bool = False  # the same broadcast reached them before: nothing is sent again
    later: datetime | None = None  # in their quiet hours now: held until their end (local time)


@dataclass(frozen=True)
class TextLine:
    """One language's text, and who reads it."""

    language: str
    text: str
    encoding: str  # by SMS, as its own language's readers get it: GSM-7 or UCS-2
    characters: int
    segments: int
    readers: int = 0  # people it is sent to, those of other languages included
    instead_of: dict[str, int] = field(default_factory=dict)  # language with no text -> readers of this one
    by_sms: int = 0
    sms_segments: int = 0  # what those by SMS cost in all


@dataclass(frozen=True)
class Earlier:
    id: int
    created_at: datetime
    created_by: str
    recipients: int


@dataclass(frozen=True)
class Preview:
    group: str
    texts: dict[str, str]
    default_language: str
    recipients: tuple[Recipient, ...]  # everyone in the group
    lines: tuple[TextLine, ...]
    price: tuple[Decimal, str] | None  # one SMS segment (SMS_SEGMENT_COST)
    earlier: Earlier | None = None  # the same group and texts sent before: this run continues it
    quiet_hours: str = ""  # QUIET_HOURS, as the preview says it

    @property
    def to_send(self) -> list[Recipient]:
        return [r for r in self.recipients if r.channel is not None and not r.already]

    @property
    def unreachable(self) -> list[Recipient]:
        return [r for r in self.recipients if r.channel is None and not r.already]

    @property
    def already(self) -> list[Recipient]:
        return [r for r in self.recipients if r.already]

    @property
    def later(self) -> list[Recipient]:
        """Those to send to who are in their quiet hours now: sent at their end."""
        return [r for r in self.to_send if r.later is not None]

    def by_language(self) -> Counter[str]:
        """People to send to, by their own language."""
        return Counter(r.language for r in self.to_send)

    def by_channel(self) -> Counter[str]:
        """People to send to, by first channel ("whatsapp (template)" outside the 24-hour window)."""
        return Counter(f"{r.channel} (template)" if r.template else str(r.channel) for r in self.to_send)

    @property
    def segments(self) -> int:
        return sum(r.segments for r in self.to_send)

    @property
    def cost(self) -> tuple[Decimal, str] | None:
        return (self.price[0] * self.segments, self.price[1]) if self.price else None


@dataclass
class Sent:
    broadcast: Broadcast
    queued: list[OutboxMessage]  # enqueue each after commit (work.send)
    held: list[OutboxMessage]  # in the recipient's quiet hours: the sweep sends each at their end
    skipped: list[tuple[str, str]]  # (name, why) for those the send found unreachable after all
    already: int  # reached by an earlier run of the same broadcast


def clean_texts(texts: Mapping[str, str | None]) -> dict[str, str]:
    """Texts by language, stripped, empty ones left out; BroadcastError when none is left, one is
    too long or a language code is unknown."""
    known = set(available_languages())
    clean = {}
    for language, text in texts.items():
        code = language.strip().lower().replace("-", "_")
        body = "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").strip().split("\n"))
        if not body:
            continue
        if code not in known:
            try:
                Locale.parse(code)
            except (ValueError, UnknownLocaleError):
                raise BroadcastError(f'"{language}": not a language code (such as en, fr, sw or ar)') from None
        if len(body) > MAX_CHARACTERS:
            raise BroadcastError(
                f"the {code} text has {len(body)} characters; at most {MAX_CHARACTERS} go in one message"
            )
        clean[code] = body
    if not clean:
        raise BroadcastError("no text given: give the message in at least one language")
    return clean


def text_language(texts: Mapping[str, str], language: str, default_language: str) -> str | None:
    """Whose text a person of `language` reads: theirs, else DEFAULT_LANGUAGE's, else English's."""
    base = language.replace("-", "_").split("_")[0]
    for candidate in (language, base, default_language, "en"):
        if candidate in texts:
            return candidate
    return None


def recipients(session: Session, group: str | Group, day: date) -> list[Person]:
    """The active people in `group` (its name, e.g. "region:Kisumu", or a parsed Group) on `day`."""
    return groups.members(session, group if isinstance(group, Group) else groups.parse(session, group), day)


def preview(
    session: Session,
    *,
    group: str,
    texts: Mapping[str, str | None],
    day: date,
    now: datetime,
    settings: Settings,
    configured: set[str],
    again: bool = False,
) -> Preview:
    """What sending `texts` to `group` would do now; nothing is written."""
    return _plan(session, group, texts, day, now, settings, configured, again)[0]


def send(
    session: Session,
    *,
    group: str,
    texts: Mapping[str, str | None],
    day: date,
    now: datetime,
    settings: Settings,
    configured: set[str],
    created_by: str,
    again: bool = False,
) -> Sent:
    """Record the broadcast (or continue the same one sent before) and queue a message to each
    person in the group not reached by it yet. Enqueue `queued` after commit."""
    plan, people = _plan(session, group, texts, day, now, settings, configured, again)
    if not plan.to_send:
        why = (
            f"broadcast {plan.earlier.id} reached everyone in {plan.group} already"
            if plan.earlier and plan.already
            else f"nobody in {plan.group} can be reached"
        )
        raise BroadcastError(f"nothing to send: {why}")
    if plan.earlier is not None:
        broadcast = session.get(Broadcast, plan.earlier.id, with_for_update=True)
        assert broadcast is not None  # found by _plan in this transaction
    else:
        broadcast = Broadcast(
            group=plan.group, texts=plan.texts, created_at=now, created_by=created_by[:100], recipients=0
        )
        session.add(broadcast)
        session.flush()
    queued, held, skipped = [], [], []
    for r in plan.to_send:
        assert r.text_language is not None  # reachable people have a text
        row, why = start_message(
            session,
            person=people[r.person_id],
            kind=KIND,
            text=plan.texts[r.text_language],
            key=key(broadcast.id, r.person_id),
            now=now,
            settings=settings,
            configured=configured,
            priority=BULK,
        )
        if row is None:
            skipped.append((r.name, why))
        elif r.later is not None:
            row.next_attempt_at = r.later  # the outbox's not-before: released by the sweep then
            held.append(row)
        else:
            queued.append(row)
    broadcast.recipients = _sent_count(session, broadcast.id)
    return Sent(broadcast, queued, held, skipped, already=len(plan.already))


def key(broadcast_id: int, person_id: int) -> str:
    return f"broadcast:{broadcast_id}:{person_id}"


def _plan(
    session: Session,
    group_text: str,
    given: Mapping[str, str | None],
    day: date,
    now: datetime,
    settings: Settings,
    configured: set[str],
    again: bool,
) -> tuple[Preview, dict[int, Person]]:
    group = groups.parse(session, group_text)
    texts = clean_texts(given)
    people = groups.members(session, group, day)
    earlier = None if again else _earlier(session, group.name, texts)
    reached = _reached(session, earlier.id) if earlier else set()
    served = groups.institutions_of(session, (p.id for p in people), day)
    result = [
        _recipient(session, p, texts, tuple(served[p.id]), p.id in reached, now, settings, configured) for p in people
    ]
    lines = tuple(_line(language, text, result, settings) for language, text in texts.items())
    plan = Preview(
        group=group.name,
        texts=texts,
        default_language=settings.default_language,
        recipients=tuple(result),
        lines=lines,
        price=settings.sms_segment_price,
        earlier=earlier,
        quiet_hours=settings.quiet_hours,
    )
    return plan, {p.id: p for p in people}


def _recipient(
    session: Session,
    person: Person,
    texts: dict[str, str],
    institutions: tuple[str, ...],
    already: bool,
    now: datetime,
    settings: Settings,
    configured: set[str],
) -> Recipient:
    base = Recipient(
        person_id=person.id,
        name=person.name,
        phone=person.phone,
        institutions=institutions,
        language=person.language,
        text_language=None,
        channel=None,
        already=already,
    )
    reads = text_language(texts, person.language, settings.default_language)
    if reads is None:
        wanted = dict.fromkeys((person.language, settings.default_language, "en"))
        return replace(base, why_not=f"no text in {', '.join(wanted)}")
    text = texts[reads]
    routes, reasons = routing.plan(
        session, person=person, kind=KIND, text=text, now=now, settings=settings, configured=configured
    )
    if not routes:
        return replace(base, text_language=reads, why_not="; ".join(reasons) or "no channel in the roster")
    first = routes[0]
    resume = outside_quiet_hours(now, ZoneInfo(person.timezone), _quiet(settings))
    segments = 0
    if first.channel == "sms":  # exactly as the send folds and counts it (backend/outbox/send.py)
        segments = count_segments(sms_text(text, person.language, settings.sms_fold)).segments
    return replace(
        base,
        text_language=reads,
        channel=first.channel,
        template=first.template is not None,
        segments=segments,
        later=resume if resume > now else None,
    )


def _quiet(settings: Settings) -> QuietHours | None:
    return parse_quiet_hours(settings.quiet_hours) if settings.quiet_hours else None


def _line(language: str, text: str, people: list[Recipient], settings: Settings) -> TextLine:
    own = count_segments(sms_text(text, language, settings.sms_fold))
    readers = [r for r in people if r.text_language == language and r.channel is not None and not r.already]
    by_sms = [r for r in readers if r.channel == "sms"]
    return TextLine(
        language=language,
        text=text,
        encoding=own.encoding,
        characters=own.characters,
        segments=own.segments,
        readers=len(readers),
        instead_of=dict(Counter(r.language for r in readers if r.language != language)),
        by_sms=len(by_sms),
        sms_segments=sum(r.segments for r in by_sms),
    )


def _earlier(session: Session, group: str, texts: dict[str, str]) -> Earlier | None:
    """The latest broadcast of these very texts to this group, if any."""
    for b in session.scalars(select(Broadcast).where(Broadcast.group == group).order_by(Broadcast.id.desc())):
        if b.texts == texts:
            return Earlier(b.id, b.created_at, b.created_by, b.recipients)
    return None


def _reached(session: Session, broadcast_id: int) -> set[int]:
    prefix = key(broadcast_id, 0).removesuffix("0")
    return {
        pid
        for pid in session.scalars(select(OutboxMessage.person_id).where(OutboxMessage.key.startswith(prefix)))
        if pid is not None
    }


def _sent_count(session: Session, broadcast_id: int) -> int:
    prefix = key(broadcast_id, 0).removesuffix("0")
    return session.scalar(select(func.count()).where(OutboxMessage.key.startswith(prefix))) or 0
