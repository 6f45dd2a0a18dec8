"""Catalog queries: the actions a person answers for."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.catalog.models import Action, Cluster, Recommendation, action_recommendation


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


def clusters_for(session: Session, *, institution_ids: Iterable[int]) -> list[Cluster]:
    """Recommendation clusters the institutions' actions answer; every cluster when they have no
    action yet (a local authority may implement before any action is catalogued for it)."""
    ids = list(institution_ids)
    if not ids:
        return []
    linked = list(
        session.scalars(
            select(Cluster)
            .join(Recommendation, Recommendation.cluster_id == Cluster.id)
            .join(action_recommendation, action_recommendation.c.recommendation_id == Recommendation.id)
            .join(Action, Action.id == action_recommendation.c.action_id)
            .where(Action.institution_id.in_(ids))
            .distinct()
            .order_by(Cluster.code)
        )
    )
    if linked or session.scalar(select(Action.id).where(Action.institution_id.in_(ids)).limit(1)):
        return linked
    return list(session.scalars(select(Cluster).order_by(Cluster.code)))
