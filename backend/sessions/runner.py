"""Handling one inbox row: who sent it, what the conversation engine makes of it, and storing
the outcome (session, events through effects.py, replies) in the caller's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from backend.config import Settings
from backend.inbox.models import InboxMessage
from backend.outbox import addresses
from backend.outbox.models import OutboxMessage
from backend.outbox.start import medium_of, queue_outbound
from backend.roster import service as roster
from backend.roster.models import Person
from backend.sessions import effects
from backend.sessions.people import person_view
from backend.sessions.state import load_state, save_state
from bot.channel import Channel
from conversations import engine, onboarding, subscription
from conversations.views import Outcome, Reply


class Runner:
    def __init__(self, session: Session, *, settings: Settings, channels: dict[str, Channel], configured: set[str]):
        self.session = session
        self.settings = settings
        self.channels = channels
        self.configured = configured
        self.default_language = settings.default_language
        self.mechanism = settings.mechanism_name
        self.timeout = timedelta(hours=settings.session_timeout_hours)
        self.outbox: list[OutboxMessage] = []

    def handle(self, row: InboxMessage, person: Person | None, now: datetime) -> None:
        if row.kind == "event:blocked":
            addresses.mark_unreachable(
                self.session, channel=row.channel, address=row.address, reason="blocked the bot", now=now
            )
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
                replies = onboarding.unknown_sender(language, row.channel, self.default_language, self.mechanism)
                self._reply(row, replies, now, None)
            return
        state = load_state(self.session, person_id=person.id)
        view = person_view(
            self.session,
            person,
            now,
            extra_action_ids=state.action_ids() if state else (),
            fallback_language=self.default_language,
            mechanism=self.mechanism,
            medium=medium_of(row.channel),
        )
        if row.kind == "unsupported":
            self._reply(row, [engine.unsupported(person.language, self.default_language)], now, person.id)
            return
        text = "help" if row.kind == "command" else row.text
        outcome = engine.handle_text(view, state, text, now, self.timeout)
        self.apply(person, outcome, now, inbound_id=row.id)
        self._reply(row, outcome.replies, now, person.id)

    def apply(self, person: Person, outcome: Outcome, now: datetime, inbound_id: int | None = None) -> None:
        save_state(self.session, person_id=person.id, state=outcome.state, now=now)
        scene = effects.Scene(
            session=self.session,
            person=person,
            now=now,
            settings=self.settings,
            configured=self.configured,
            inbound_id=inbound_id,
        )
        for event in outcome.events:
            effects.apply(event, scene)
        self.outbox.extend(scene.outbox)
        self.session.flush()

    def _subscription(self, row: InboxMessage, language: str, now: datetime) -> bool:
        """STOP / START, whoever sends them. A channel whose provider answers its own opt-out words
        (Twilio on SMS) would refuse our answer to them: those get none from us."""
        word = subscription.keyword(row.text, language)
        if word == "stop":
            addresses.opt_out(self.session, channel=row.channel, address=row.address, now=now)
            channel = self.channels.get(row.channel)
            if channel is None or row.text.strip().lower() not in channel.opt_out_words:
                reply = subscription.stopped(language, self.default_language, self.mechanism)
                self._reply(row, [reply], now, row.person_id, kind="stop_ack")
        elif word == "start":
            addresses.opt_in(self.session, channel=row.channel, address=row.address)
            reply = subscription.started(language, self.default_language, self.mechanism)
            self._reply(row, [reply], now, row.person_id)
        return word is not None

    def _contact(self, row: InboxMessage, now: datetime) -> None:
        contact = row.payload.get("contact") or {}
        fallback = self.default_language
        if row.channel != "telegram" or not contact.get("own"):
            self._reply(row, onboarding.not_own_contact(fallback, fallback), now, None)
            return
        person = roster.link_telegram(self.session, phone=contact["phone"], telegram_user_id=int(row.address))
        if person is None:
            self._reply(row, onboarding.not_in_roster(fallback, fallback, self.mechanism), now, None)
            return
        row.person_id = person.id
        self._reply(row, onboarding.linked(person.language, person.name, fallback), now, person.id)

    def _reply(
        self, row: InboxMessage, replies: list[Reply], now: datetime, person_id: int | None, kind: str = "reply"
    ) -> None:
        for n, reply in enumerate(replies):
            out = queue_outbound(
                self.session,
                key=f"in{row.id}:{n}",
                channel=row.channel,
                address=row.address,
                text=reply.text,
                kind=kind,
                now=now,
                person_id=person_id,
                priority=0,
                in_reply_to=row.id,
                buttons=[{"text": b.text, "request_contact": b.request_contact} for b in reply.buttons],
            )
            if out is not None:
                self.outbox.append(out)
