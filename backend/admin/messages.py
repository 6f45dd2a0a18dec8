"""The message log: inbound and outbound, newest first, with delivery status, the route tried,
segments, attempts and failures; one message at a time with ?inbound=<id> or ?outbound=<id>.
Admin and secretariat read bodies and addresses (they answer people); a viewer sees neither."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from backend.accounts.sessions import SignedIn
from backend.admin.guard import CHANGE, reader
from backend.admin.i18n import _
from backend.admin.web import render
from backend.deps import context
from backend.reports import messages as report
from backend.roster.models import CHANNELS
from backend.wiring.context import Context

router = APIRouter(prefix="/admin")


def _id(value: str, what: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise HTTPException(status_code=400, detail=_("{name} must be a message number", name=what))
    return int(value)


@router.get("/messages")
def messages_page(
    request: Request,
    person: str = "",
    channel: str = "",
    status: str = "",
    kind: str = "",
    direction: str = "",
    inbound: str = "",
    outbound: str = "",
    page: str = "1",
    user: SignedIn = Depends(reader()),
    ctx: Context = Depends(context),
):
    full = user.role in CHANGE
    if inbound or outbound:
        number = _id(inbound or outbound, "inbound" if inbound else "outbound")
        with ctx.db.transaction() as db:
            read = report.inbound if inbound else report.outbound
            detail = read(db, id=number, addresses=full, bodies=full)
        if detail is None:
            raise HTTPException(
                status_code=404,
                detail=_("There is no inbound message {number}.", number=number)
                if inbound
                else _("There is no outbound message {number}.", number=number),
            )
        title = (
            _("Inbound message {number}", number=number) if inbound else _("Outbound message {number}", number=number)
        )
        return render(request, "messages.html", title=title, detail=detail, full=full)
    filters = report.Filters(
        person=person.strip(),
        channel=channel.strip(),
        status=status.strip(),
        kind=kind.strip(),
        direction=direction.strip(),
    )
    number = int(page) if page.isdigit() and 0 < len(page) < 7 else 1
    try:
        with ctx.db.transaction() as db:
            listing = report.log(db, filters=filters, page=number, addresses=full, bodies=full)
    except report.FilterError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    values = {"person": filters.person, "channel": filters.channel, "status": filters.status}
    values |= {"kind": filters.kind, "direction": filters.direction}
    return render(
        request,
        "messages.html",
        title=_("Messages"),
        listing=listing,
        filters=values,
        query={k: v for k, v in values.items() if v},
        channels=CHANNELS,
        statuses=report.STATUSES,
        full=full,
    )
