"""The progress pages: actions and their latest status (filtered), an action's and a
recommendation's timeline, community reports by region, and the progress CSV. Read only."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse

from backend.accounts.sessions import SignedIn
from backend.admin.guard import CHANGE, reader
from backend.admin.i18n import _
from backend.admin.overview import page_number
from backend.admin.web import render
from backend.deps import context
from backend.reports import community
from backend.reports import progress as report
from backend.wiring.context import Context

router = APIRouter(prefix="/admin")

FILTERS = ("cluster", "sdg", "mechanism", "institution", "region", "level", "status")
LABELS = {
    "cluster": _("Cluster"),
    "sdg": _("SDG target"),
    "mechanism": _("Mechanism"),
    "institution": _("Institution"),
    "region": _("Region"),
    "level": _("Level"),
    "status": _("Latest status"),
}


def _text(request: Request, name: str) -> str:
    value = request.query_params.get(name, "").strip()
    if len(value) > 200:
        raise HTTPException(status_code=400, detail=_("The {name} filter is too long.", name=name))
    return value


def _filters(request: Request, db) -> tuple[report.Filters, report.Options]:
    """The page's filters from the query string, checked against what the store holds (400 with
    what was wrong otherwise)."""
    filters = report.Filters(**{name: _text(request, name) for name in FILTERS})
    allowed = report.options(db)
    try:
        report.check(filters, allowed)
    except report.UnknownFilter as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return filters, allowed


def _id(value: str) -> int:
    if not value.isdecimal() or len(value) > 12:
        raise HTTPException(status_code=404, detail=_("There is no such record."))
    return int(value)


def _phones(user: SignedIn) -> bool:
    return user.role in CHANGE


@router.get("/progress")
def progress_page(request: Request, user: SignedIn = Depends(reader()), ctx: Context = Depends(context)):
    number = page_number(request.query_params.get("page", "1"))
    with ctx.db.transaction() as db:
        filters, allowed = _filters(request, db)
        found = report.actions(db, filters=filters, page=number)
    selects = [(name, LABELS[name], getattr(allowed, name), getattr(filters, name)) for name in FILTERS]
    return render(
        request,
        "progress.html",
        title=_("Progress"),
        found=found,
        selects=selects,
        query=urlencode(filters.query()),
        filtered=bool(filters.query()),
    )


@router.get("/progress/action/{action_id}")
def action_page(request: Request, action_id: str, user: SignedIn = Depends(reader()), ctx: Context = Depends(context)):
    number = page_number(request.query_params.get("page", "1"))
    with ctx.db.transaction() as db:
        timeline = report.action_timeline(db, action_id=_id(action_id), page=number)
    if timeline is None:
        raise HTTPException(status_code=404, detail=_("There is no such action."))
    return render(
        request,
        "progress_action.html",
        title=_("Action {code}", code=timeline.action.code),
        timeline=timeline,
        path=request.url.path,
    )


@router.get("/progress/recommendation/{recommendation_id}")
def recommendation_page(
    request: Request, recommendation_id: str, user: SignedIn = Depends(reader()), ctx: Context = Depends(context)
):
    number = page_number(request.query_params.get("page", "1"))
    with ctx.db.transaction() as db:
        timeline = report.recommendation_timeline(db, recommendation_id=_id(recommendation_id), page=number)
    if timeline is None:
        raise HTTPException(status_code=404, detail=_("There is no such recommendation."))
    return render(
        request,
        "progress_recommendation.html",
        title=_("Recommendation {reference}", reference=timeline.reference),
        timeline=timeline,
        path=request.url.path,
    )


@router.get("/progress/community")
def community_page(request: Request, user: SignedIn = Depends(reader()), ctx: Context = Depends(context)):
    number = page_number(request.query_params.get("page", "1"))
    region = _text(request, "region")
    with ctx.db.transaction() as db:
        regions = community.regions(db)
        if region and region not in regions:
            raise HTTPException(
                status_code=400, detail=_("There is no region “{region}”: choose one from the list.", region=region)
            )
        found = community.reports(db, region=region, page=number)
        totals = community.totals(db)
    return render(
        request,
        "progress_community.html",
        title=_("Community reports"),
        found=found,
        regions=regions,
        region=region,
        totals=totals,
        query=urlencode({"region": region} if region else {}),
    )


@router.get("/exports/progress.csv")
def progress_csv(request: Request, user: SignedIn = Depends(reader()), ctx: Context = Depends(context)):
    """The progress updates on the filtered actions, oldest first; the reporter's phone number
    only for admin and secretariat."""
    with ctx.db.transaction() as db:
        filters, _allowed = _filters(request, db)
    with_phone = _phones(user)

    def lines():
        with ctx.db.transaction() as db:
            yield from report.csv_lines(report.export(db, filters=filters), with_phone=with_phone)

    name = f"progress-{datetime.now(UTC):%Y%m%d}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
