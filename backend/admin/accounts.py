"""User management (admins only) and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from backend.accounts import audit, users
from backend.accounts.models import ROLES
from backend.accounts.sessions import SignedIn
from backend.admin.guard import USERS, csrf, require
from backend.admin.i18n import _
from backend.admin.web import client_of, render
from backend.deps import context
from backend.wiring.context import Context

router = APIRouter(prefix="/admin")


def _page(request: Request, ctx: Context, status_code: int = 200, **values):
    with ctx.db.transaction() as db:
        rows = [(u.username, u.role, u.active, u.created_at) for u in users.listing(db)]
    return render(request, "users.html", status_code=status_code, title=_("Users"), users=rows, roles=ROLES, **values)


@router.get("/users")
def users_page(
    request: Request, done: str = "", user: SignedIn = Depends(require(*USERS)), ctx: Context = Depends(context)
):
    return _page(request, ctx, done=done)


@router.post("/users", dependencies=[Depends(csrf)])
def create_user(
    request: Request,
    username: str = Form(..., max_length=80),
    password: str = Form(..., max_length=300),
    role: str = Form(...),
    user: SignedIn = Depends(require(*USERS)),
    ctx: Context = Depends(context),
):
    now = datetime.now(UTC)
    try:
        with ctx.db.transaction() as db:
            created = users.create(db, username=username, password=password, role=role, now=now)
            audit.record(
                db,
                username=user.username,
                action="user_created",
                now=now,
                detail=f"{created.username} as {role}",
                client=client_of(request),
            )
    except users.AccountError as exc:
        return _page(request, ctx, status_code=400, error=f"{str(exc).capitalize()}.")
    return RedirectResponse("/admin/users?done=created", status_code=303)


@router.post("/users/{username}", dependencies=[Depends(csrf)])
def change_user(
    request: Request,
    username: str,
    change: str = Form(...),  # disable | enable | role
    role: str = Form(""),
    user: SignedIn = Depends(require(*USERS)),
    ctx: Context = Depends(context),
):
    now = datetime.now(UTC)
    try:
        with ctx.db.transaction() as db:
            target = users.find(db, username)
            if target is None:
                raise users.AccountError(f"there is no user {username!r}")
            if target.id == user.user_id and change != "enable":
                raise users.AccountError("you cannot disable yourself or change your own role")
            if change == "disable":
                users.set_active(db, target, False)
            elif change == "enable":
                users.set_active(db, target, True)
            elif change == "role":
                users.set_role(db, target, role)
            else:
                raise users.AccountError(f"unknown change {change!r}")
            audit.record(
                db,
                username=user.username,
                action=f"user_{change}",
                now=now,
                detail=f"{target.username}" + (f" to {role}" if change == "role" else ""),
                client=client_of(request),
            )
    except users.AccountError as exc:
        return _page(request, ctx, status_code=400, error=f"{str(exc).capitalize()}.")
    return RedirectResponse("/admin/users?done=" + change, status_code=303)


@router.get("/audit")
def audit_page(
    request: Request, page: int = 1, user: SignedIn = Depends(require(*USERS)), ctx: Context = Depends(context)
):
    page = min(max(1, page), 100_000)  # beyond any real log; a huge number is no database error
    with ctx.db.transaction() as db:
        rows = [
            (e.at, e.username, e.action, e.detail, e.client)
            for e in audit.recent(db, limit=101, offset=(page - 1) * 100)
        ]
    return render(request, "audit.html", title=_("Audit log"), rows=rows[:100], page=page, more=len(rows) > 100)
