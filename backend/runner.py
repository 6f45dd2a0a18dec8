"""Handling one inbox row: who sent it, what the conversation engine makes of it, and storing
the outcome (session, progress updates, replies) in the caller's transaction."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from backend import addresses
from backend.config import Settings
from backend.meetings import service as meetings
from backend.people import person_view
from backend.pipeline import service as pipeline
from backend.pipeline.models import InboxMessage, OutboxMessage
from backend.progress import service as progress
from backend.roster import service as roster
from backend.roster.models import Person
from bot.handlers.twilio import TWILIO_OPT_OUT_WORDS
from bot.message import ReplyButton
from conversations import engine, onboarding, subscription
from backend.catalog.models import Action
from conversations.views import (AttendanceAnswered, AvailabilityChanged, CommunityReported, LanguageChanged,
                                 NoteAdded, Outcome, ProgressReported, ProgressRetracted, Reply)


class Runner:
    def __init__(self, session: Session, *, settings: Settings, configured: set[str]):
        self.session = session
        self.settings = settings
        self.configured = configured
        self.default_language = settings.default_language
        self.timeout = timedelta(hours=settings.session_timeout_hours)
        self.outbox: list[OutboxMessage] = []

    def handle(self, row: InboxMessage, person: Person | None, now: datetime) -> None:
        if row.kind == "event:blocked":
            addresses.mark_unreachable(self.session, channel=row.channel, address=row.address,
                                       reason="blocked the bot", now=now)
            return
        addresses.note_inbound(self.session, channel=row.channel, address=row.address, now=now)
        if row.kind.startswith("event:"):
            return  # unblocked: the address works again
        if row.kind == "contact":
            self._contact(row, now)
            return
        language = person.language if person else self.default_language
        if row.kind == "text" and self._subscription(row, language, now):
            return
        if person is None:
            if addresses.may_answer_stranger(self.session, channel=row.channel, address=row.address, now=now):
                self._reply(row, onboarding.unknown_sender(language, row.channel), now, None)
            return
        state = pipeline.load_state(self.session, person_id=person.id)
        view = person_view(self.session, person, now, extra_action_ids=(state or {}).get("actions", ()))
        if row.kind == "unsupported":
            self._reply(row, [engine.unsupported(person.language)], now, person.id)
            return
        text = "help" if row.kind == "command" else row.text
        outcome = engine.handle_text(view, state, text, now, self.timeout)
        self.apply(person, outcome, now, inbound_id=row.id)
        self._reply(row, outcome.replies, now, person.id)

    def apply(self, person: Person, outcome: Outcome, now: datetime, inbound_id: int | None = None) -> None:
        pipeline.save_state(self.session, person_id=person.id, state=outcome.state, now=now)
        for event in outcome.events:
            if isinstance(event, ProgressReported):
                progress.record(self.session, action_id=event.action_id, person_id=person.id, status=event.status,
                                period=event.period, note=event.note, indicator_value=event.indicator_value,
                                now=now, inbound_id=inbound_id)
            elif isinstance(event, ProgressRetracted):
                progress.retract(self.session, action_ids=event.action_ids, person_id=person.id, period=event.period)
            elif isinstance(event, NoteAdded):
                progress.add_note(self.session, action_ids=event.action_ids, person_id=person.id,
                                  period=event.period, note=event.note)
            elif isinstance(event, LanguageChanged):
                person.language = event.language
            elif isinstance(event, AvailabilityChanged):
                person.away_until = event.until
            elif isinstance(event, CommunityReported):
                action = self.session.get(Action, event.action_id) if event.action_id else None
                status = "in_progress" if action is None or action.status == "not_started" else action.status
                progress.record(self.session, action_id=event.action_id, person_id=person.id, status=status,
                                period=event.period, note=event.note, now=now, inbound_id=inbound_id,
                                level="community", locality=event.locality, people_reached=event.people_reached,
                                cluster_id=event.cluster_id)
            elif isinstance(event, AttendanceAnswered):
                handed = meetings.answer(self.session, person_id=person.id, meeting_id=event.meeting_id,
                                         answer=event.answer, now=now, settings=self.settings,
                                         configured=self.configured)
                if handed is not None:
                    self.outbox.append(handed)
        self.session.flush()

    def _subscription(self, row: InboxMessage, language: str, now: datetime) -> bool:
        """STOP / START, whoever sends them. On SMS Twilio answers its own English stop words (and
        would refuse our answer), so we answer those only on other channels."""
        word = subscription.keyword(row.text, language)
        if word == "stop":
            addresses.opt_out(self.session, channel=row.channel, address=row.address, now=now)
            if not (row.channel == "sms" and row.text.strip().lower() in TWILIO_OPT_OUT_WORDS):
                self._reply(row, [subscription.stopped(language)], now, row.person_id, kind="stop_ack")
        elif word == "start":
            addresses.opt_in(self.session, channel=row.channel, address=row.address)
            self._reply(row, [subscription.started(language)], now, row.person_id)
        return word is not None

    def _contact(self, row: InboxMessage, now: datetime) -> None:
        contact = row.payload.get("contact") or {}
        if row.channel != "telegram" or not contact.get("own"):
            self._reply(row, onboarding.not_own_contact(self.default_language), now, None)
            return
        person = roster.link_telegram(self.session, phone=contact["phone"], telegram_user_id=int(row.address))
        if person is None:
            self._reply(row, onboarding.not_in_roster(self.default_language), now, None)
            return
        row.person_id = person.id
        self._reply(row, onboarding.linked(person.language, person.name), now, person.id)

    def _reply(self, row: InboxMessage, replies: list[Reply], now: datetime, person_id: int | None,
               kind: str = "reply") -> None:
        for n, reply in enumerate(replies):
            out = pipeline.queue_outbound(
                self.session, key=f"in{row.id}:{n}", channel=row.channel, address=row.address, text=reply.text,
                kind=kind, now=now, person_id=person_id, priority=0, in_reply_to=row.id,
                buttons=[{"text": b.text, "request_contact": b.request_contact} for b in reply.buttons])
            if out is not None:
                self.outbox.append(out)


def buttons_of(row: OutboxMessage) -> tuple[ReplyButton, ...]:
    return tuple(ReplyButton(b["text"], bool(b.get("request_contact"))) for b in row.buttons or [])
