"""The overview: this period at a glance (filled in by the reports service)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from backend.accounts.sessions import SignedIn
from backend.admin.guard import reader
from backend.admin.web import render

router = APIRouter(prefix="/admin")


@router.get("/")
def overview(request: Request, user: SignedIn = Depends(reader())):
    return render(request, "overview.html", title="Overview")
