"""Catalog queries: the actions a person answers for."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.catalog.models import Action


def actions_of(session: Session, *, institution_ids: Iterable[int]) -> list[Action]:
    ids = list(institution_ids)
    if not ids:
        return []
    return list(session.scalars(select(Action).where(Action.institution_id.in_(ids)).order_by(Action.code)))


def actions_by_id(session: Session, *, ids: Iterable[int]) -> dict[int, Action]:
    ids = list(ids)
    if not ids:
        return {}
    return {a.id: a for a in session.scalars(select(Action).where(Action.id.in_(ids)))}
