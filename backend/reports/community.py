"""Community-level reports (a local authority's REPORT: where, what was done, how many people were
reached; progress updates of level `community` on an action or a whole cluster), by region.

A report's region is its action's institution's region; a report on a cluster names no action,
so it is the region of the reporter's institution (the first in their roster order)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from backend.catalog.models import Action, Cluster
from backend.db import aware
from backend.inbox.models import InboxMessage
from backend.progress.models import ProgressUpdate
from backend.reports.progress import PER_PAGE, Page
from backend.roster.models import FocalPoint, Institution, Person

COMMUNITY = "community"


@dataclass(frozen=True)
class Report:
    id: int
    at: datetime
    region: str | None
    institution: str | None
    locality: str | None
    action_id: int | None
    action_code: str | None
    theme: str  # the action's title, or the cluster's name
    note: str | None
    people_reached: int | None
    period: str
    reporter: str
    channel: str | None
    inbound_id: int | None


@dataclass(frozen=True)
class RegionTotal:
    region: str | None
    reports: int
    people_reached: int


def _home():
    """Each person's first institution (roster rank order): (person_id, institution_id)."""
    first = (
        select(FocalPoint.person_id, func.min(FocalPoint.rank).label("rank")).group_by(FocalPoint.person_id).subquery()
    )
    return (
        select(FocalPoint.person_id, func.min(FocalPoint.institution_id).label("institution_id"))
        .join(first, and_(first.c.person_id == FocalPoint.person_id, first.c.rank == FocalPoint.rank))
        .group_by(FocalPoint.person_id)
        .subquery()
    )


def _query():
    home = _home()
    own = Institution.__table__.alias("own")  # the action's institution
    theirs = Institution.__table__.alias("theirs")  # the reporter's
    region = func.coalesce(own.c.region, theirs.c.region)
    query = (
        select(
            ProgressUpdate,
            region.label("region"),
            func.coalesce(own.c.short_name, theirs.c.short_name).label("institution"),
            Action.code,
            func.coalesce(Action.title, Cluster.name).label("theme"),
            Person.name,
            InboxMessage.channel,
        )
        .join(Person, Person.id == ProgressUpdate.person_id)
        .outerjoin(Action, Action.id == ProgressUpdate.action_id)
        .outerjoin(own, own.c.id == Action.institution_id)
        .outerjoin(Cluster, Cluster.id == ProgressUpdate.cluster_id)
        .outerjoin(home, home.c.person_id == ProgressUpdate.person_id)
        .outerjoin(theirs, and_(ProgressUpdate.action_id.is_(None), theirs.c.id == home.c.institution_id))
        .outerjoin(InboxMessage, InboxMessage.id == ProgressUpdate.inbound_id)
        .where(ProgressUpdate.level == COMMUNITY)
    )
    return query, region


def regions(session: Session) -> tuple[str, ...]:
    """The regions of the institutions (those of local and regional authorities)."""
    column = Institution.region
    return tuple(r for (r,) in session.execute(select(column).distinct().order_by(column)) if r)


def totals(session: Session) -> tuple[RegionTotal, ...]:
    """Reports and people reached per region (None: a report with no region)."""
    query, region = _query()
    inner = query.subquery()
    rows = session.execute(
        select(inner.c.region, func.count(), func.coalesce(func.sum(inner.c.people_reached), 0))
        .group_by(inner.c.region)
        .order_by(inner.c.region)
    )
    return tuple(RegionTotal(r, int(n), int(people)) for r, n, people in rows)


def reports(session: Session, *, region: str = "", page: int = 1, per_page: int = PER_PAGE) -> Page[Report]:
    """Community reports, newest first, in one region or all."""
    query, column = _query()
    if region:
        query = query.where(column == region)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = tuple(
        Report(
            id=u.id,
            at=aware(u.created_at),
            region=reg,
            institution=short,
            locality=u.locality,
            action_id=u.action_id,
            action_code=code,
            theme=theme or "",
            note=u.note,
            people_reached=u.people_reached,
            period=u.period,
            reporter=name,
            channel=channel,
            inbound_id=u.inbound_id,
        )
        for u, reg, short, code, theme, name, channel in rows
    )
    return Page(items, page, total, per_page)
