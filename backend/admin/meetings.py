"""The meetings pages: upcoming and past meetings with their answers, one meeting's invitees,
observers, hand-overs and messages, and creating, changing and cancelling a meeting through the
meetings service (which sends what it sends: invitations, change and cancellation notices)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from backend.accounts import audit
from backend.accounts.sessions import SignedIn
from backend.admin import meetings_form
from backend.admin.guard import CHANGE, changer, csrf, reader
from backend.admin.i18n import N_, _
from backend.admin.web import client_of, render
from backend.deps import context
from backend.meetings import observers as standing
from backend.meetings import service
from backend.meetings.fields import MeetingError
from backend.reports import meetings as reports
from backend.reports import meetings_forms as forms
from backend.wiring.context import Context, Work

router = APIRouter(prefix="/admin")

DONE = {"created": _("Meeting created"), "changed": _("Meeting changed"), "cancelled": _("Meeting cancelled")}


def number(text: str) -> int | None:
    """A positive whole number as typed in a URL; None for anything else (no 500 on nonsense)."""
    text = text.strip()
    return int(text) if text.isdigit() and 0 < len(text) < 10 and int(text) > 0 else None


def _meeting_id(text: str) -> int:
    found = number(text)
    if found is None:
        raise HTTPException(
            status_code=404, detail=_("There is no meeting “{number}”: see the list of meetings.", number=text[:20])
        )
    return found


@router.get("/meetings")
def meetings_page(
    request: Request,
    when: str = "upcoming",
    page: str = "1",
    user: SignedIn = Depends(reader()),
    ctx: Context = Depends(context),
):
    when = "past" if when == "past" else "upcoming"
    page_number = min(number(page) or 1, 100_000)
    with ctx.db.transaction() as db:
        listing = reports.meetings(db, now=datetime.now(UTC), when=when, page=page_number)
    return render(
        request, "meetings.html", title=_("Meetings"), listing=listing, when=when, can_change=user.role in CHANGE
    )


def _form(request: Request, ctx: Context, *, typed, errors: dict[str, str], meeting_id: int | None, status_code=200):
    with ctx.db.transaction() as db:
        choices = forms.choices(db)
        current = forms.form_values(db, meeting_id=meeting_id) if meeting_id is not None else None
    title = _("Change meeting {number}", number=meeting_id) if meeting_id is not None else _("Create a meeting")
    return render(
        request,
        "meetings_form.html",
        status_code=status_code,
        title=title,
        typed=typed,
        errors=errors,
        error=_("The meeting was not saved: see the messages below.") if errors else None,
        choices=choices,
        zones=meetings_form.zones(),
        meeting_id=meeting_id,
        invited=current.invited if current else frozenset(),
        invited_observers=current.observers if current else frozenset(),
    )


@router.get("/meetings/new")
def new_meeting(request: Request, user: SignedIn = Depends(changer()), ctx: Context = Depends(context)):
    typed = meetings_form.Typed(timezone=ctx.settings.default_timezone)
    return _form(request, ctx, typed=typed, errors={}, meeting_id=None)


def _read(ctx: Context, *, new: bool, now: datetime, **typed):
    with ctx.db.transaction() as db:
        choices = forms.choices(db)
    return meetings_form.read(now=now, choices=choices, new=new, **typed)


def _invite(work: Work, ctx: Context, meeting, institutions, people, now: datetime) -> dict:
    """Invite as `nmirf meetings create` does; the messages are sent once the work commits."""
    session = work.session
    report = service.invite(
        session, meeting=meeting, institutions=institutions, now=now, settings=ctx.settings, configured=ctx.configured
    )
    more = service.invite_observers(
        session, meeting=meeting, people=people, now=now, settings=ctx.settings, configured=ctx.configured
    )
    return _queued(work, {"queued": report["queued"] + more["queued"], "skipped": report["skipped"] + more["skipped"]})


def _queued(work: Work, report: dict) -> dict:
    for row in report["queued"]:
        work.send(row)
    return report


def _skipped(report: dict) -> str:
    """Who was not invited or told, and why, for the audit log (names and reasons, no address)."""
    return "; ".join(f"{name}: {why}" for name, why in report["skipped"])


def _done(meeting_id: int, done: str, queued: int, skipped: int) -> RedirectResponse:
    return RedirectResponse(
        f"/admin/meetings/{meeting_id}?done={done}&queued={queued}&skipped={skipped}", status_code=303
    )


@router.post("/meetings", dependencies=[Depends(csrf)])
def create_meeting(
    request: Request,
    title: str = Form(""),
    committee: str = Form(""),
    cluster: str = Form(""),
    date: str = Form(""),
    time: str = Form(""),
    timezone: str = Form(""),
    place: str = Form(""),
    agenda: str = Form(""),
    institution: list[str] = Form([]),
    observer: list[str] = Form([]),
    standing_observers: str = Form(""),
    user: SignedIn = Depends(changer()),
    ctx: Context = Depends(context),
):
    now = datetime.now(UTC)
    typed, parsed, errors = _read(
        ctx,
        new=True,
        now=now,
        title=title,
        committee=committee,
        cluster=cluster,
        day=date,
        hour=time,
        timezone=timezone,
        place=place,
        agenda=agenda,
        institutions=institution,
        observers=observer,
        standing=bool(standing_observers),
    )
    if parsed is None:
        return _form(request, ctx, typed=typed, errors=errors, meeting_id=None, status_code=400)
    try:
        with ctx.work() as work:
            db = work.session
            chosen = forms.targets(db, institutions=parsed.institutions, observers=parsed.observers)
            meeting = service.create(
                db,
                title=parsed.title,
                starts_at=parsed.starts_at,
                place=parsed.place,
                now=now,
                agenda=parsed.agenda,
                cluster=parsed.cluster,
                committee=parsed.committee or None,
                timezone=parsed.timezone,
            )
            people = list(chosen.observers)
            if parsed.standing:
                people += [p for p in standing.of_cluster(db, meeting.cluster_id) if p not in people]
            report = _invite(work, ctx, meeting, chosen.institutions, people, now)
            meeting_id = meeting.id
            audit.record(
                db,
                username=user.username,
                action="meeting_created",
                now=now,
                detail=f"meeting {meeting_id} ({parsed.title}), {len(chosen.institutions)} institutions and "
                f"{len(people)} observers, {len(report['queued'])} invitations queued"
                + (f"; not invited: {_skipped(report)}" if report["skipped"] else ""),
                client=client_of(request),
            )
    except MeetingError as exc:
        errors = {"form": f"{str(exc).capitalize()}."}
        return _form(request, ctx, typed=typed, errors=errors, meeting_id=None, status_code=400)
    return _done(meeting_id, "created", len(report["queued"]), len(report["skipped"]))


@router.get("/meetings/{meeting_id}")
def meeting_page(
    request: Request,
    meeting_id: str,
    done: str = "",
    queued: str = "",
    skipped: str = "",
    user: SignedIn = Depends(reader()),
    ctx: Context = Depends(context),
):
    found = _meeting_id(meeting_id)
    with ctx.db.transaction() as db:
        detail = reports.meeting(db, meeting_id=found, now=datetime.now(UTC), addresses=user.role in CHANGE)
    if detail is None:
        raise HTTPException(
            status_code=404, detail=_("There is no meeting {number}: see the list of meetings.", number=found)
        )
    notice = None
    if done in DONE:
        sent, missed = number(queued) or 0, number(skipped) or 0
        queued_text = N_("{done}: {count} message queued", "{done}: {count} messages queued", sent, done=DONE[done])
        notice = (
            _(
                "{queued}, {missed} not sent (nobody in post or reachable; see the roster).",
                queued=queued_text,
                missed=missed,
            )
            if missed
            else _("{queued}.", queued=queued_text)
        )
    return render(
        request,
        "meetings_detail.html",
        title=detail.title,
        meeting=detail,
        notice=notice,
        can_change=user.role in CHANGE,
    )


@router.get("/meetings/{meeting_id}/change")
def change_form(
    request: Request, meeting_id: str, user: SignedIn = Depends(changer()), ctx: Context = Depends(context)
):
    found = _meeting_id(meeting_id)
    with ctx.db.transaction() as db:
        current = forms.form_values(db, meeting_id=found)
    if current is None:
        raise HTTPException(
            status_code=404, detail=_("There is no meeting {number}: see the list of meetings.", number=found)
        )
    typed = meetings_form.Typed(
        title=current.title,
        committee=current.committee,
        cluster=current.cluster,
        date=current.date,
        time=current.time,
        timezone=current.timezone,
        place=current.place,
        agenda=current.agenda,
        standing=False,
    )
    return _form(request, ctx, typed=typed, errors={}, meeting_id=found)


@router.post("/meetings/{meeting_id}/change", dependencies=[Depends(csrf)])
def change_meeting(
    request: Request,
    meeting_id: str,
    title: str = Form(""),
    committee: str = Form(""),
    date: str = Form(""),
    time: str = Form(""),
    timezone: str = Form(""),
    place: str = Form(""),
    agenda: str = Form(""),
    institution: list[str] = Form([]),
    observer: list[str] = Form([]),
    user: SignedIn = Depends(changer()),
    ctx: Context = Depends(context),
):
    found = _meeting_id(meeting_id)
    now = datetime.now(UTC)
    typed, parsed, errors = _read(
        ctx,
        new=False,
        now=now,
        title=title,
        committee=committee,
        cluster="",
        day=date,
        hour=time,
        timezone=timezone,
        place=place,
        agenda=agenda,
        institutions=institution,
        observers=observer,
        standing=False,
    )
    if parsed is None:
        return _form(request, ctx, typed=typed, errors=errors, meeting_id=found, status_code=400)
    try:
        with ctx.work() as work:
            db = work.session
            chosen = forms.targets(db, meeting_id=found, institutions=parsed.institutions, observers=parsed.observers)
            if chosen.meeting is None:
                raise HTTPException(
                    status_code=404, detail=_("There is no meeting {number}: see the list of meetings.", number=found)
                )
            report = _queued(
                work,
                service.change(
                    db,
                    meeting=chosen.meeting,
                    now=now,
                    settings=ctx.settings,
                    configured=ctx.configured,
                    title=parsed.title,
                    starts_at=parsed.starts_at,
                    timezone=parsed.timezone,
                    place=parsed.place,
                    agenda=parsed.agenda,
                    committee=parsed.committee,
                ),
            )
            more = _invite(work, ctx, chosen.meeting, chosen.institutions, chosen.observers, now)
            both = {"skipped": report["skipped"] + more["skipped"]}
            changed = ", ".join(f.replace("_items", "").replace("starts_at", "time") for f in report["changed"])
            audit.record(
                db,
                username=user.username,
                action="meeting_changed",
                now=now,
                detail=f"meeting {found}: {changed or 'nothing'} changed, {len(report['queued'])} notices and "
                f"{len(more['queued'])} invitations queued"
                + (f"; not told or invited: {_skipped(both)}" if both["skipped"] else ""),
                client=client_of(request),
            )
    except MeetingError as exc:
        errors = {"form": f"{str(exc).capitalize()}."}
        return _form(request, ctx, typed=typed, errors=errors, meeting_id=found, status_code=400)
    queued = len(report["queued"]) + len(more["queued"])
    return _done(found, "changed", queued, len(report["skipped"]) + len(more["skipped"]))


@router.post("/meetings/{meeting_id}/cancel", dependencies=[Depends(csrf)])
def cancel_meeting(
    request: Request,
    meeting_id: str,
    confirm: str = Form(""),
    user: SignedIn = Depends(changer()),
    ctx: Context = Depends(context),
):
    found = _meeting_id(meeting_id)
    if confirm != "yes":
        raise HTTPException(status_code=400, detail=_("Tick the box to confirm the cancellation, then cancel again."))
    now = datetime.now(UTC)
    try:
        with ctx.work() as work:
            db = work.session
            meeting = forms.targets(db, meeting_id=found).meeting
            if meeting is None:
                raise HTTPException(
                    status_code=404, detail=_("There is no meeting {number}: see the list of meetings.", number=found)
                )
            report = _queued(
                work, service.cancel(db, meeting=meeting, now=now, settings=ctx.settings, configured=ctx.configured)
            )
            if not report["already"]:
                audit.record(
                    db,
                    username=user.username,
                    action="meeting_cancelled",
                    now=now,
                    detail=f"meeting {found}: {len(report['queued'])} cancellation notices queued"
                    + (f"; not told: {_skipped(report)}" if report["skipped"] else ""),
                    client=client_of(request),
                )
    except MeetingError as exc:
        raise HTTPException(status_code=400, detail=_("Not cancelled: {reason}.", reason=exc)) from None
    return _done(found, "cancelled", len(report["queued"]), len(report["skipped"]))
