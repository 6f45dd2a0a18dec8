"""Storing and listing progress updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.catalog.models import Action
from backend.progress import rounds
from backend.progress.models import ProgressUpdate


def record(
    session: Session,
    *,
    action_id: int | None,
    person_id: int,
    status: str,
    period: str,
    now: datetime,
    note: str | None = None,
    indicator_value=None,
    inbound_id: int | None = None,
    level: str = "national",
    locality: str | None = None,
    people_reached: int | None = None,
    cluster_id: int | None = None,
) -> ProgressUpdate:
    update = ProgressUpdate(
        action_id=action_id,
        cluster_id=cluster_id,
        person_id=person_id,
        status=status,
        note=note,
        indicator_value=indicator_value,
        period=period,
        inbound_id=inbound_id,
        created_at=now,
        level=level,
        locality=locality,
        people_reached=people_reached,
    )
    session.add(update)
    action = session.get(Action, action_id) if action_id is not None else None
    if action is not None:
        action.status = status
        if level == "national":
            rounds.mark_answered(session, action_id=action.id, period=period, person_id=person_id, now=now)
    return update


def add_note(session: Session, *, action_ids: tuple[int, ...], person_id: int, period: str, note: str) -> int:
    """Append a note to this period's latest update by this person on each action."""
    touched = 0
    for action_id in action_ids:
        latest = session.scalar(
            select(ProgressUpdate)
            .where(
                ProgressUpdate.action_id == action_id,
                ProgressUpdate.person_id == person_id,
                ProgressUpdate.period == period,
            )
            .order_by(ProgressUpdate.id.desc())
            .limit(1)
        )
        if latest is not None:
            latest.note = f"{latest.note} | {note}" if latest.note else note
            touched += 1
    return touched


def retract(session: Session, *, action_ids: tuple[int, ...], person_id: int, period: str) -> int:
    """UNDO: delete this period's latest update by this person on each action, and give each
    action back the status its latest remaining update says (not started when none)."""
    removed = 0
    for action_id in action_ids:
        last = session.scalar(
            select(ProgressUpdate)
            .where(
                ProgressUpdate.action_id == action_id,
                ProgressUpdate.person_id == person_id,
                ProgressUpdate.period == period,
                ProgressUpdate.level == "national",
            )
            .order_by(ProgressUpdate.id.desc())
            .limit(1)
        )
        if last is None:
            continue
        session.delete(last)
        session.flush()
        removed += 1
        before = session.scalar(
            select(ProgressUpdate.status)
            .where(ProgressUpdate.action_id == action_id)
            .order_by(ProgressUpdate.id.desc())
            .limit(1)
        )
        action = session.get(Action, action_id)
        assert action is not None  # it had the update just deleted
        action.status = before or "not_started"
    return removed


def latest(session: Session, *, limit: int = 50, period: str | None = None) -> list[ProgressUpdate]:
    query = select(ProgressUpdate).order_by(ProgressUpdate.id.desc()).limit(limit)
    if period:
        query = query.where(ProgressUpdate.period == period)
    return list(session.scalars(query))
