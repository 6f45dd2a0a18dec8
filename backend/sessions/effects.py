"""What each domain event the engine returns does to the store: one handler per event type,
registered with `@effect(EventType)`. A new event is a dataclass in conversations/views.py and
one handler here; an event without a handler fails loudly instead of being dropped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from backend.catalog.models import Action
from backend.config import Settings
from backend.meetings import service as meetings
from backend.outbox.models import OutboxMessage
from backend.progress import rounds
from backend.progress import service as progress
from backend.roster.models import Person
from conversations.views import (
    AttendanceAnswered,
    AvailabilityChanged,
    CommunityReported,
    Event,
    LanguageChanged,
    NoteAdded,
    ProgressReported,
    ProgressRetracted,
)


@dataclass
class Scene:
    """Where an event is applied: the transaction, whose event it is, the message it came from,
    and the messages it queued (to be enqueued once the transaction has committed)."""

    session: Session
    person: Person
    now: datetime
    settings: Settings
    configured: set[str]
    inbound_id: int | None = None
    outbox: list[OutboxMessage] = field(default_factory=list)


E = TypeVar("E")
HANDLERS: dict[type, Callable[[Any, Scene], None]] = {}


def effect(event_type: type[E]) -> Callable[[Callable[[E, Scene], None]], Callable[[E, Scene], None]]:
    def register(handler: Callable[[E, Scene], None]) -> Callable[[E, Scene], None]:
        HANDLERS[event_type] = handler
        return handler

    return register


def apply(event: Event, scene: Scene) -> None:
    try:
        handler = HANDLERS[type(event)]
    except KeyError:
        raise TypeError(f"no effect registered for {type(event).__name__}") from None
    handler(event, scene)


@effect(ProgressReported)
def _progress(event: ProgressReported, scene: Scene) -> None:
    progress.record(
        scene.session,
        action_id=event.action_id,
        person_id=scene.person.id,
        status=event.status,
        period=event.period,
        note=event.note,
        indicator_value=event.indicator_value,
        now=scene.now,
        inbound_id=scene.inbound_id,
    )


@effect(ProgressRetracted)
def _retracted(event: ProgressRetracted, scene: Scene) -> None:
    progress.retract(scene.session, action_ids=event.action_ids, person_id=scene.person.id, period=event.period)


@effect(NoteAdded)
def _note(event: NoteAdded, scene: Scene) -> None:
    progress.add_note(
        scene.session, action_ids=event.action_ids, person_id=scene.person.id, period=event.period, note=event.note
    )


@effect(LanguageChanged)
def _language(event: LanguageChanged, scene: Scene) -> None:
    scene.person.language = event.language


@effect(AvailabilityChanged)
def _availability(event: AvailabilityChanged, scene: Scene) -> None:
    scene.person.away_until = event.until
    if event.until is not None:  # AWAY: an update waiting for them goes on to their substitute
        rounds.wake(scene.session, scene.now, holder_id=scene.person.id)
        meetings.wake(scene.session, scene.now, person_id=scene.person.id)  # their invitations, to the substitute


@effect(CommunityReported)
def _community(event: CommunityReported, scene: Scene) -> None:
    action = scene.session.get(Action, event.action_id) if event.action_id else None
    status = "in_progress" if action is None or action.status == "not_started" else action.status
    progress.record(
        scene.session,
        action_id=event.action_id,
        person_id=scene.person.id,
        status=status,
        period=event.period,
        note=event.note,
        now=scene.now,
        inbound_id=scene.inbound_id,
        level="community",
        locality=event.locality,
        people_reached=event.people_reached,
        cluster_id=event.cluster_id,
    )


@effect(AttendanceAnswered)
def _attendance(event: AttendanceAnswered, scene: Scene) -> None:
    queued = meetings.answer(
        scene.session,
        person_id=scene.person.id,
        meeting_id=event.meeting_id,
        answer=event.answer,
        now=scene.now,
        settings=scene.settings,
        configured=scene.configured,
    )
    scene.outbox.extend(queued)
