"""What the progress pages and the progress CSV show: actions with their latest status, filtered
by cluster, SDG target, mechanism, institution, region and level; an action's and a
recommendation's timeline of updates; and the updates as spreadsheet-safe CSV lines."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from backend.catalog.models import (
    Action,
    Cluster,
    Recommendation,
    SdgTarget,
    action_recommendation,
    recommendation_sdg,
)
from backend.db import aware
from backend.imports.csvfile import guard_cell
from backend.inbox.models import InboxMessage
from backend.progress.models import STATUSES, ProgressUpdate
from backend.roster.models import Institution, Person

PER_PAGE = 50
T = TypeVar("T")


class UnknownFilter(ValueError):
    """A filter value the store does not have (the message names it)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    page: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Filters:
    """Each empty: no filter. Values are codes as the selects offer them."""

    cluster: str = ""  # cluster code
    sdg: str = ""  # SDG target code, "5.2"
    mechanism: str = ""  # the recommendation's mechanism, "UPR"
    institution: str = ""  # short name
    region: str = ""
    level: str = ""  # the institution's level: national / regional / local
    status: str = ""  # the action's latest status

    def query(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True)
class Options:
    cluster: tuple[tuple[str, str], ...]  # (code, name)
    sdg: tuple[tuple[str, str], ...]
    mechanism: tuple[tuple[str, str], ...]
    institution: tuple[tuple[str, str], ...]
    region: tuple[tuple[str, str], ...]
    level: tuple[tuple[str, str], ...]
    status: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RecommendationRef:
    id: int
    reference: str
    mechanism: str


@dataclass(frozen=True)
class Update:
    id: int
    at: datetime
    action_id: int | None
    action_code: str | None
    action_title: str | None
    institution: str | None
    status: str
    note: str | None
    figure: str  # the indicator value as written ("45", "12.5"), or ""
    period: str
    level: str  # national / community
    locality: str | None
    people_reached: int | None
    channel: str | None  # the channel the report came on (None: not from a message)
    inbound_id: int | None
    reporter: str
    reporter_phone: str | None


@dataclass(frozen=True)
class ActionRow:
    id: int
    code: str
    title: str
    institution: str
    level: str
    region: str | None
    status: str
    recommendations: tuple[RecommendationRef, ...]
    latest: Update | None


@dataclass(frozen=True)
class ActionTimeline:
    action: ActionRow
    indicator: str | None
    target_date: str | None
    updates: Page[Update]


@dataclass(frozen=True)
class RecommendationTimeline:
    id: int
    reference: str
    mechanism: str
    cycle: str | None
    support: str | None
    text: str
    cluster: str | None
    sdg_targets: tuple[str, ...]
    actions: tuple[ActionRow, ...]
    updates: Page[Update]


def figure(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def options(session: Session) -> Options:
    """What each filter may be set to: the values the store holds."""

    def pairs(query) -> tuple[tuple[str, str], ...]:
        return tuple((str(a), str(b)) for a, b in session.execute(query) if a is not None)

    def plain(column) -> tuple[tuple[str, str], ...]:
        return tuple((v, v) for (v,) in session.execute(select(column).distinct().order_by(column)) if v)

    return Options(
        cluster=pairs(select(Cluster.code, Cluster.name).order_by(Cluster.name)),
        sdg=pairs(
            select(SdgTarget.code, SdgTarget.code)
            .where(SdgTarget.code.in_(select(recommendation_sdg.c.sdg_target)))
            .order_by(SdgTarget.goal, SdgTarget.code)
        ),
        mechanism=plain(Recommendation.mechanism),
        institution=pairs(select(Institution.short_name, Institution.name).order_by(Institution.short_name)),
        region=plain(Institution.region),
        level=plain(Institution.level),
        status=tuple((s, s.replace("_", " ")) for s in STATUSES),
    )


def check(filters: Filters, allowed: Options) -> None:
    """Raise UnknownFilter for a value the selects do not offer."""
    for name, value in filters.query().items():
        if value not in {code for code, _ in getattr(allowed, name)}:
            raise UnknownFilter(f"There is no {name} {value!r}: choose one from the list.")


def _via_recommendations(*where) -> Select:
    return (
        select(action_recommendation.c.action_id)
        .join(Recommendation, Recommendation.id == action_recommendation.c.recommendation_id)
        .where(*where)
    )


def _actions(filters: Filters) -> Select:
    query = select(Action.id).join(Institution, Institution.id == Action.institution_id)
    if filters.cluster:
        cluster = select(Cluster.id).where(Cluster.code == filters.cluster).scalar_subquery()
        query = query.where(Action.id.in_(_via_recommendations(Recommendation.cluster_id == cluster)))
    if filters.sdg:
        tagged = select(recommendation_sdg.c.recommendation_id).where(recommendation_sdg.c.sdg_target == filters.sdg)
        query = query.where(Action.id.in_(_via_recommendations(Recommendation.id.in_(tagged))))
    if filters.mechanism:
        query = query.where(Action.id.in_(_via_recommendations(Recommendation.mechanism == filters.mechanism)))
    if filters.institution:
        query = query.where(Institution.short_name == filters.institution)
    if filters.region:
        query = query.where(Institution.region == filters.region)
    if filters.level:
        query = query.where(Institution.level == filters.level)
    if filters.status:
        query = query.where(Action.status == filters.status)
    return query


def _updates() -> Select:
    """Progress updates with what a row shows; filter and order it."""
    return (
        select(ProgressUpdate, Action.code, Action.title, Institution.short_name, InboxMessage.channel, Person)
        .join(Person, Person.id == ProgressUpdate.person_id)
        .outerjoin(Action, Action.id == ProgressUpdate.action_id)
        .outerjoin(Institution, Institution.id == Action.institution_id)
        .outerjoin(InboxMessage, InboxMessage.id == ProgressUpdate.inbound_id)
    )


def _update(row) -> Update:
    u, code, title, short, channel, person = row
    return Update(
        id=u.id,
        at=aware(u.created_at),
        action_id=u.action_id,
        action_code=code,
        action_title=title,
        institution=short,
        status=u.status,
        note=u.note,
        figure=figure(u.indicator_value),
        period=u.period,
        level=u.level,
        locality=u.locality,
        people_reached=u.people_reached,
        channel=channel,
        inbound_id=u.inbound_id,
        reporter=person.name,
        reporter_phone=person.phone,
    )


def _page(session: Session, query: Select, *, page: int, per_page: int = PER_PAGE) -> Page[Update]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.execute(
        query.order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(tuple(_update(r) for r in rows), page, total, per_page)


def _rows(session: Session, actions: list[Action]) -> tuple[ActionRow, ...]:
    """Action rows with their recommendations and latest update (three queries for any number)."""
    ids = [a.id for a in actions]
    recs: dict[int, list[RecommendationRef]] = {}
    for action_id, rid, ref, mech in session.execute(
        select(action_recommendation.c.action_id, Recommendation.id, Recommendation.reference, Recommendation.mechanism)
        .join(Recommendation, Recommendation.id == action_recommendation.c.recommendation_id)
        .where(action_recommendation.c.action_id.in_(ids))
        .order_by(Recommendation.reference)
    ):
        recs.setdefault(action_id, []).append(RecommendationRef(rid, ref, mech))
    last = (
        select(func.max(ProgressUpdate.id)).where(ProgressUpdate.action_id.in_(ids)).group_by(ProgressUpdate.action_id)
    )
    latest = {u.action_id: u for u in map(_update, session.execute(_updates().where(ProgressUpdate.id.in_(last))))}
    return tuple(
        ActionRow(
            id=a.id,
            code=a.code,
            title=a.title,
            institution=a.institution.short_name,
            level=a.institution.level,
            region=a.institution.region,
            status=a.status,
            recommendations=tuple(recs.get(a.id, ())),
            latest=latest.get(a.id),
        )
        for a in actions
    )


def actions(session: Session, *, filters: Filters, page: int = 1, per_page: int = PER_PAGE) -> Page[ActionRow]:
    """Actions matching the filters, by institution and code."""
    ids = _actions(filters)
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    found = list(
        session.scalars(
            select(Action)
            .join(Institution, Institution.id == Action.institution_id)
            .where(Action.id.in_(ids))
            .order_by(Institution.short_name, Action.code)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(_rows(session, found), page, total, per_page)


def action_timeline(session: Session, *, action_id: int, page: int = 1) -> ActionTimeline | None:
    """Every update on the action, newest first (national and community level)."""
    action = session.get(Action, action_id)
    if action is None:
        return None
    (row,) = _rows(session, [action])
    updates = _page(session, _updates().where(ProgressUpdate.action_id == action_id), page=page)
    target = action.target_date.isoformat() if action.target_date else None
    return ActionTimeline(row, action.indicator, target, updates)


def recommendation_timeline(
    session: Session, *, recommendation_id: int, page: int = 1
) -> RecommendationTimeline | None:
    """The recommendation, the actions answering it, and all their updates, newest first."""
    rec = session.get(Recommendation, recommendation_id)
    if rec is None:
        return None
    linked = select(action_recommendation.c.action_id).where(action_recommendation.c.recommendation_id == rec.id)
    found = list(session.scalars(select(Action).where(Action.id.in_(linked)).order_by(Action.code)))
    updates = _page(session, _updates().where(ProgressUpdate.action_id.in_(linked)), page=page)
    return RecommendationTimeline(
        id=rec.id,
        reference=rec.reference,
        mechanism=rec.mechanism,
        cycle=rec.cycle,
        support=rec.support,
        text=rec.text,
        cluster=rec.cluster.name if rec.cluster else None,
        sdg_targets=tuple(sorted(t.code for t in rec.sdg_targets)),
        actions=_rows(session, found),
        updates=updates,
    )


def export(session: Session, *, filters: Filters, batch: int = 500) -> Iterator[Update]:
    """Every update on the actions matching the filters, oldest first, read in batches."""
    query = _updates().where(ProgressUpdate.action_id.in_(_actions(filters)))
    query = query.order_by(ProgressUpdate.created_at, ProgressUpdate.id).execution_options(yield_per=batch)
    for row in session.execute(query):
        yield _update(row)


# --- CSV ---------------------------------------------------------------------------------------

COLUMNS = (
    "when",
    "institution",
    "action code",
    "action title",
    "status",
    "note",
    "figure",
    "period",
    "channel",
    "reported by",
)


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text (backend/imports/csvfile.py `guard_cell`: `=HYPERLINK(...)`
    in a note is never run as a formula)."""
    return guard_cell("" if value is None else str(value))


def csv_lines(updates: Iterable[Update], *, with_phone: bool) -> Iterator[str]:
    """The progress CSV, line by line: a header, then one row per update. The reporter's phone
    number is a column only `with_phone` (admin and secretariat)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(c) for c in cells])
        return buffer.getvalue()

    yield line(COLUMNS + (("reporter phone",) if with_phone else ()))
    for u in updates:
        cells = [
            u.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            u.institution,
            u.action_code,
            u.action_title,
            u.status,
            u.note,
            u.figure,
            u.period,
            u.channel,
            u.reporter,
        ]
        if with_phone:
            cells.append(u.reporter_phone)
        yield line(cells)
