"""The simulator in the admin view: a signed-in admin or secretariat user talks to the bot as a
chosen roster person whose channels include the simulator, exactly as that person's phone would
(the message is stored and handled like any webhook's). Mounted only with SIMULATOR_ENABLED.
Each message sent is audited (who acted as whom; never the text)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from backend.accounts import audit
from backend.accounts.sessions import SignedIn
from backend.admin.guard import changer, csrf
from backend.admin.i18n import _
from backend.admin.web import client_of, render
from backend.deps import context
from backend.inbox.service import accept
from backend.reports import simulator
from backend.wiring.context import Context
from bot.message import Address, Channel, ContentKind, InboundMessage

router = APIRouter(prefix="/admin")
MAX_TEXT = 4096  # what a chat app carries in one message


@router.get("/simulator")
def simulator_page(
    request: Request, person: int | None = None, user: SignedIn = Depends(changer()), ctx: Context = Depends(context)
):
    with ctx.db.transaction() as db:
        choices = simulator.people(db)
        chosen = next((p for p in choices if p.id == person), None) if person else None
        lines = simulator.conversation(db, chosen.phone) if chosen else []
    return render(request, "simulator.html", title=_("Simulator"), choices=choices, chosen=chosen, lines=lines)


@router.post("/simulator", dependencies=[Depends(csrf)])
def simulator_send(
    request: Request,
    person: int = Form(...),
    text: str = Form(..., min_length=1, max_length=MAX_TEXT),
    user: SignedIn = Depends(changer()),
    ctx: Context = Depends(context),
):
    with ctx.db.transaction() as db:
        chosen = simulator.person(db, person)
    if chosen is None:
        raise HTTPException(
            status_code=400, detail=_("That person is not on the simulator channel: pick one from the list.")
        )
    message = InboundMessage(
        address=Address(Channel.SIMULATOR, chosen.phone),
        provider_id=f"admin-{uuid.uuid4().hex}",
        kind=ContentKind.TEXT,
        text=text,
    )
    accept(ctx, message)
    with ctx.db.transaction() as db:
        audit.record(
            db,
            username=user.username,
            action="simulator_message",
            now=datetime.now(UTC),
            detail=f"as {chosen.name} (person {chosen.id})",
            client=client_of(request),
        )
    return RedirectResponse(f"/admin/simulator?person={chosen.id}", status_code=303)
