"""The read-only JSON API for other systems (national tracking databases such as NRTD-style tools,
IMPACT OSS, SIMORE): progress updates, actions, recommendations and meetings, paginated, behind
per-client bearer tokens (`nmirf api-token create NAME`; stored hashed, revocable at once).

A FastAPI application of its own, mounted at /api, so that it has its own OpenAPI schema. Its
documentation (/api/docs, a server-rendered page generated from the schema, and
/api/openapi.json) is for signed-in admin users only. The answers name people by name, role,
title, institution and language: never a phone number or a Telegram id."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Generic, Literal, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response, Security
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from backend.accounts import tokens
from backend.admin.api_docs import describe
from backend.admin.guard import signed_in_user
from backend.admin.web import render
from backend.deps import context
from backend.reports import records
from backend.wiring.context import Context

PREFIX = "/api"
DOC_ROLES = ("admin",)  # who may read /api/docs and /api/openapi.json
MAX_LIMIT = 200
HOW = (
    "send the header `Authorization: Bearer <token>`; an administrator makes a token with `nmirf api-token create NAME`"
)
T = TypeVar("T")


# ---------------------------------------------------------------- answers


class Model(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Problem(BaseModel):
    detail: str = Field(description="What was wrong, and what to do about it.")


class Person(Model):
    name: str
    role: str = Field(description="focal_point, secretariat or observer")
    language: str = Field(description="the language the bot speaks with them (e.g. en, fr, ar)")
    institution: str | None = Field(description="short name of their institution (for this record)")
    title: str | None = Field(description="their title there")
    position: Literal["lead", "substitute"] | None = Field(description="their place in the institution's roster")


class Progress(Model):
    id: int
    created_at: datetime
    period: str = Field(description="the reporting period, an ISO week such as 2026-W48")
    status: Literal["not_started", "in_progress", "completed", "blocked"]
    note: str | None = Field(description="what the focal point wrote, as written")
    figure: float | None = Field(description="the action's indicator value, if reported")
    level: str = Field(description="national, or community for a community-level report")
    locality: str | None = Field(description="community reports: where")
    people_reached: int | None
    action: str | None = Field(description="the action's code (None for a community report on a cluster)")
    cluster: str | None = Field(description="a community report's cluster code")
    institution: str | None = Field(description="short name of the institution the update is for")
    reporter: Person


class Action(Model):
    id: int
    code: str
    title: str
    short_title: str | None
    translations: dict[str, dict[str, str]] | None = Field(description='{"fr": {"title": ..., "short_title": ...}}')
    institution: str = Field(description="short name of the institution that committed to it")
    institution_name: str
    target_date: date | None
    indicator: str | None = Field(description="what figure is reported, if any")
    status: str = Field(description="the latest reported status")
    recommendations: list[str] = Field(description="references of the recommendations it answers")
    last_update_at: datetime | None


class Recommendation(Model):
    id: int
    reference: str
    text: str
    translations: dict[str, dict[str, str]] | None = Field(description='{"fr": {"text": ...}}')
    mechanism: str = Field(description="UPR, CRC, CEDAW, ...")
    cycle: str | None
    support: str | None = Field(description="supported, supported_in_part or noted")
    cluster: str | None
    cluster_name: str | None
    sdg_targets: list[str]
    actions: list[str] = Field(description="codes of the actions that answer it")


class Invitation(Model):
    id: int
    person: Person
    institution: str
    observer: bool
    status: Literal["pending", "confirmed", "declined", "delegated", "no_reply", "away"] = Field(
        description="the answer; delegated, no_reply and away were handed to a substitute"
    )
    answered_at: datetime | None
    delegated_from: int | None = Field(description="a substitute's invitation: the invitation it was handed from")
    followed_up_at: datetime | None
    reminded_at: datetime | None = Field(description="when the last reminder was sent")


class Meeting(Model):
    id: int
    title: str
    committee: str | None
    starts_at: datetime
    timezone: str = Field(description="the zone the time was given in")
    place: str
    agenda_items: list[str]
    cluster: str | None
    status: Literal["scheduled", "cancelled"]
    revision: int = Field(description="how many times its time or place changed")
    changed_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    invitations: list[Invitation]


class Page(Model, Generic[T]):
    items: list[T]
    next: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class ProgressPage(Page[Progress]):
    pass


class ActionPage(Page[Action]):
    pass


class RecommendationPage(Page[Recommendation]):
    pass


class MeetingPage(Page[Meeting]):
    pass


# ---------------------------------------------------------------- who is asking

bearer = HTTPBearer(auto_error=False, scheme_name="token", description=HOW)


def _unauthorized(detail: str, error: str | None = None) -> HTTPException:
    challenge = 'Bearer realm="nmirf-api"' + (f', error="{error}"' if error else "")
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": challenge})


def client(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Security(bearer),
    ctx: Context = Depends(context),
) -> str:
    """The client system's token name; 401 without a valid, unrevoked token."""
    if credentials is None:
        raise _unauthorized(f"no API token: {HOW}")
    with ctx.db.transaction() as db:
        row = tokens.check(db, credentials.credentials, datetime.now(UTC))
        name = row.name if row is not None else None
    if name is None:
        raise _unauthorized(
            "this API token is not valid (mistyped, or revoked): ask the administrator for a new one "
            "(`nmirf api-token create NAME`)",
            "invalid_token",
        )
    request.state.api_client = name
    return name


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


# ---------------------------------------------------------------- pages of answers


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int
    cursor: str | None

    def after(self, kind: str) -> int | None:
        if self.cursor is None:
            return None
        try:
            raw = base64.urlsafe_b64decode(self.cursor + "=" * (-len(self.cursor) % 4)).decode()
        except ValueError:
            raw = ""
        found = re.fullmatch(rf"{kind}:([0-9]{{1,18}})", raw)
        if found is None:
            raise HTTPException(400, "this cursor was not given by this endpoint: start again without `cursor`")
        return int(found.group(1))


def paging(
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description=f"items per page, at most {MAX_LIMIT}"),
    cursor: str | None = Query(None, max_length=100, description="the `next` of the previous page"),
    offset: int = Query(0, ge=0, le=10_000_000, description="or: skip this many items (instead of a cursor)"),
) -> Paging:
    if cursor is not None and offset:
        raise HTTPException(400, "use either `cursor` or `offset`, not both")
    return Paging(limit, offset, cursor)


def _cursor(kind: str, found: records.Slice) -> str | None:
    if not found.more or found.last_id is None:
        return None
    return base64.urlsafe_b64encode(f"{kind}:{found.last_id}".encode()).decode().rstrip("=")


ERRORS: dict[int | str, dict] = {
    400: {"model": Problem, "description": "a filter or cursor this endpoint cannot use"},
    401: {"model": Problem, "description": "no valid API token"},
}

v1 = APIRouter(prefix="/v1", dependencies=[Depends(client), Depends(_no_store)], responses=ERRORS)


def _read(ctx: Context, kind: str, page: Paging, read, model: type[Page], **filters):
    with ctx.db.transaction() as db:
        try:
            found = read(db, after=page.after(kind), offset=page.offset, limit=page.limit, **filters)
        except records.UnknownFilter as exc:
            raise HTTPException(400, str(exc)) from None
        return model.model_validate({"items": found.items, "next": _cursor(kind, found)}, from_attributes=True)


@v1.get("/progress", response_model=ProgressPage, summary="Progress updates, oldest first")
def progress(
    page: Paging = Depends(paging),
    since: datetime | None = Query(
        None, description="only updates made at or after this ISO 8601 time (UTC when no offset is given)"
    ),
    institution: str | None = Query(None, max_length=40, description="an institution's short name"),
    action: str | None = Query(None, max_length=40, description="an action's code"),
    ctx: Context = Depends(context),
):
    """What focal points reported: status, note and figure per action and period, and community
    reports by region. To stay in step, keep the last `next` (or the newest `created_at` for `since`)."""
    return _read(
        ctx, "progress", page, records.progress, ProgressPage, since=since, institution=institution, action=action
    )


@v1.get("/actions", response_model=ActionPage, summary="Actions and their latest status")
def actions(
    page: Paging = Depends(paging),
    institution: str | None = Query(None, max_length=40, description="an institution's short name"),
    status: Literal["not_started", "in_progress", "completed", "blocked"] | None = Query(None),
    ctx: Context = Depends(context),
):
    return _read(ctx, "actions", page, records.actions, ActionPage, institution=institution, status=status)


@v1.get("/recommendations", response_model=RecommendationPage, summary="Recommendations and the actions answering them")
def recommendations(
    page: Paging = Depends(paging),
    mechanism: str | None = Query(None, max_length=40, description="UPR, CRC, CEDAW, ..."),
    ctx: Context = Depends(context),
):
    return _read(ctx, "recommendations", page, records.recommendations, RecommendationPage, mechanism=mechanism)


@v1.get("/meetings", response_model=MeetingPage, summary="Meetings with their invitations and answers")
def meetings(
    page: Paging = Depends(paging),
    status: Literal["scheduled", "cancelled"] | None = Query(None),
    ctx: Context = Depends(context),
):
    return _read(ctx, "meetings", page, records.meetings, MeetingPage, status=status)


# ---------------------------------------------------------------- its documentation


def _docs_refused(request: Request, ctx: Context) -> Response | None:
    user = signed_in_user(request, ctx)
    if user is None:
        return RedirectResponse("/admin/login?next=" + quote(request.url.path), status_code=303)
    if user.role not in DOC_ROLES:
        return render(
            request, "error.html", status_code=403, title="Not possible", detail="the API's documentation is for admins"
        )
    return None


def build(ctx: Context) -> FastAPI:
    api = FastAPI(
        title="nmirf-bot API",
        version="1",
        summary="Read-only: progress, actions, recommendations and meetings, for tracking databases.",
        description=(
            f"Every request needs a token: {HOW}. Answers are pages of `items` in id order, at most "
            f"{MAX_LIMIT} (`limit`, default 50); pass a page's `next` as `cursor` to get the next one "
            '(`next` is null on the last). Errors are JSON `{"detail": ...}` saying what to do. '
            "No answer carries a phone number or another address."
        ),
        servers=[{"url": PREFIX}],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    api.state.ctx = ctx
    api.include_router(v1)

    @api.get("/openapi.json", include_in_schema=False)
    def openapi_json(request: Request, ctx: Context = Depends(context)):
        return _docs_refused(request, ctx) or JSONResponse(api.openapi(), headers={"Cache-Control": "no-store"})

    @api.get("/docs", include_in_schema=False)
    def docs(request: Request, ctx: Context = Depends(context)):
        refused = _docs_refused(request, ctx)
        if refused is not None:
            return refused
        endpoints, models = describe(api.openapi())
        return render(request, "api.html", title="API for other systems", endpoints=endpoints, models=models)

    return api


def mount(app: FastAPI, ctx: Context) -> None:
    app.mount(PREFIX, build(ctx), name="api")
